#!/usr/bin/env python3
"""Probe what screenpipe 0.4.50 requires of rows written into its database by another process.

Called by probe.sh while a real recorder runs (or, with --search-only, against a stopped copy):

    probe_import.py insert-and-search DATA_DIR --port P --key K --out OUT_DIR
    probe_import.py search-only DATA_DIR --out OUT_DIR --tag copy

For each variant it inserts rows the way an importer would (its own sqlite3 connection, WAL, while
screenpipe writes), then asks screenpipe itself: `screenpipe search WORD --json` (CLI) and, when a
port is given, `GET /search` (API). It writes OUT_DIR/import-probe-<tag>.jsonl (raw answers) and
OUT_DIR/import-probe-<tag>.md (one table row per variant and query).
"""
import argparse
import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import urllib.request

SP_BIN = os.environ.get("SP_BIN") or os.path.join(
    os.environ.get("SCREENPIPE_CACHE", os.path.expanduser("~/.cache/screenpipe-real")), "bin", "screenpipe")


def rfc(t, digits=6, z=False):
    s = t.strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        s += "." + ("%06d" % t.microsecond)[:digits].ljust(digits, "0")
    return s + ("Z" if z else "+00:00")


# Each variant: (key, unique word, description, content types to query, inserter)
def variants(data_dir, jpg):
    now = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=2)
    imp = os.path.join(data_dir, "data", "imported")
    os.makedirs(imp, exist_ok=True)

    def copy_jpg(name):
        p = os.path.join(imp, name)
        shutil.copyfile(jpg, p)
        return p

    def frame(con, **cols):
        keys = ",".join(cols)
        q = ",".join("?" * len(cols))
        return con.execute("INSERT INTO frames (%s) VALUES (%s)" % (keys, q), tuple(cols.values())).lastrowid

    out = []

    def v(key, word, desc, types, fn):
        out.append((key, word, desc, types, fn))

    v("F1-minimal", "probealpha", "frames(timestamp, full_text) only", ["ocr", "all"],
      lambda con: frame(con, timestamp=rfc(now), full_text="imported probealpha minimal row"))
    v("F2-snapshot", "probebravo", "frames(timestamp, full_text, snapshot_path) (JPEG exists)", ["ocr", "all"],
      lambda con: frame(con, timestamp=rfc(now), full_text="imported probebravo row",
                        snapshot_path=copy_jpg("bravo.jpg")))

    def f3(con):
        p = copy_jpg("charlie.jpg")
        text = "imported probecharlie complete row"
        words = text.split()
        tj = json.dumps([{"level": "5", "page_num": "1", "block_num": "1", "par_num": "1", "line_num": "1",
                          "word_num": str(i + 1), "left": "%.4f" % (0.1 + 0.1 * i), "top": "0.1",
                          "width": "0.08", "height": "0.04", "conf": "95.0", "text": w}
                         for i, w in enumerate(words)], separators=(",", ":"))
        fid = frame(con, timestamp=rfc(now, 9), name=p, snapshot_path=p, device_name="monitor_7",
                    app_name="ImportedApp", window_name="Imported Window", browser_url="https://example.org/x",
                    focused=1, offset_index=0, full_text=text, accessibility_text=text, text_source="ocr",
                    capture_trigger="manual", text_json=tj, machine_id="probe-machine", sync_id="probe-sync-1")
        for i, w in enumerate(words):
            con.execute("INSERT INTO elements (frame_id, source, role, text, parent_id, depth, left_bound, top_bound,"
                        " width_bound, height_bound, confidence, sort_order) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                        (fid, "ocr", "word", w, None, 4, 0.1 + 0.1 * i, 0.1, 0.08, 0.04, 95.0, i))
        return fid
    v("F3-complete", "probecharlie", "all columns a recorder frame has (snapshot, device, app, window, url,"
      " focused, accessibility_text=full_text, text_source, capture_trigger, text_json, machine_id,"
      " sync_id) + elements", ["ocr", "accessibility", "all"], f3)

    def f4(con):
        mp4 = os.path.join(imp, "monitor_7_2026-01-01_00-00-00.mp4")
        open(mp4, "ab").close()
        vc = con.execute("INSERT INTO video_chunks (file_path, device_name, fps) VALUES (?,?,?)",
                         (mp4, "monitor_7", 0.5)).lastrowid
        return frame(con, video_chunk_id=vc, offset_index=3, timestamp=rfc(now), name=mp4,
                     full_text="imported probedelta video frame", device_name="monitor_7")
    v("F4-videochunk", "probedelta", "video_chunks row + frames(video_chunk_id, offset_index=3, ...) no snapshot",
      ["ocr", "all"], f4)
    v("F5-ts-space", "probeecho", "timestamp as 'YYYY-MM-DD HH:MM:SS' (SQLite datetime())", ["ocr", "ocr+start"],
      lambda con: frame(con, timestamp=now.strftime("%Y-%m-%d %H:%M:%S"), full_text="imported probeecho row",
                        snapshot_path=copy_jpg("echo.jpg")))
    v("F6-ts-zulu", "probefoxtrot", "timestamp as RFC 3339 with 'Z' and milliseconds", ["ocr", "ocr+start"],
      lambda con: frame(con, timestamp=rfc(now, 3, z=True), full_text="imported probefoxtrot row",
                        snapshot_path=copy_jpg("foxtrot.jpg")))
    v("F7-a11y-only", "probegolf", "full_text NULL, accessibility_text set", ["ocr", "accessibility", "all"],
      lambda con: frame(con, timestamp=rfc(now), accessibility_text="imported probegolf accessibility only",
                        snapshot_path=copy_jpg("golf.jpg")))

    def f8(con):
        fid = frame(con, timestamp=rfc(now), snapshot_path=copy_jpg("hotel.jpg"))
        con.execute("UPDATE frames SET full_text = ? WHERE id = ?", ("imported probehotel set by update", fid))
        return fid
    v("F8-update", "probehotel", "frame inserted without text, full_text set by a later UPDATE", ["ocr"], f8)
    v("F9-empty", "probeindia", "full_text '' (word only in text_json)", ["ocr"],
      lambda con: frame(con, timestamp=rfc(now), full_text="",
                        text_json='[{"text":"probeindia"}]'))
    v("F10-missing-file", "probejuliet", "snapshot_path to a file that does not exist", ["ocr"],
      lambda con: frame(con, timestamp=rfc(now), full_text="imported probejuliet row",
                        snapshot_path=os.path.join(imp, "does-not-exist.jpg")))

    def f11(con):
        fid = frame(con, timestamp=rfc(now), snapshot_path=copy_jpg("kilo.jpg"))
        con.execute("INSERT INTO elements (frame_id, source, role, text, depth, sort_order) VALUES (?,?,?,?,?,?)",
                    (fid, "ocr", "word", "probekilo", 4, 0))
        return fid
    v("F11-elements-only", "probekilo", "frame without full_text; word only in an elements row",
      ["ocr", "accessibility", "all"], f11)

    def m1(con):
        return con.execute("INSERT INTO memories (content) VALUES (?)",
                           ("imported probelima memory note",)).lastrowid
    v("M1-memory", "probelima", "memories(content) only", ["memory", "all"], m1)

    def a1(con):
        wav = os.path.join(imp, "Probe Mic (input)_2026-01-01_00-00-00.mp4")
        open(wav, "ab").close()
        ac = con.execute("INSERT INTO audio_chunks (file_path, timestamp) VALUES (?,?)", (wav, rfc(now))).lastrowid
        return con.execute("INSERT INTO audio_transcriptions (audio_chunk_id, offset_index, timestamp, transcription,"
                           " device, is_input_device, transcription_engine, start_time, end_time)"
                           " VALUES (?,?,?,?,?,?,?,?,?)",
                           (ac, 0, rfc(now), "imported probemike spoken words", "Probe Mic", 1,
                            "WhisperLargeV3Turbo", 0.0, 2.5)).lastrowid
    v("A1-audio", "probemike", "audio_chunks + audio_transcriptions (device, is_input_device, engine, times)",
      ["audio", "all"], a1)

    def a2(con):
        ac = con.execute("INSERT INTO audio_chunks (file_path, timestamp) VALUES (?,?)",
                         ("cloud://blob/123", rfc(now))).lastrowid
        return con.execute("INSERT INTO audio_transcriptions (audio_chunk_id, offset_index, timestamp, transcription)"
                           " VALUES (?,?,?,?)", (ac, 0, rfc(now), "imported probenovember cloud chunk")).lastrowid
    v("A2-audio-cloud", "probenovember", "audio_chunks.file_path 'cloud://...' (minimal transcription row)",
      ["audio"], a2)

    def u1(con):
        return con.execute("INSERT INTO ui_events (timestamp, event_type, text_content, app_name, window_title)"
                           " VALUES (?,?,?,?,?)", (rfc(now), "text", "typed probeoscar here", "ProbeApp",
                                                    "Probe Window")).lastrowid
    v("U1-input", "probeoscar", "ui_events(timestamp, event_type='text', text_content, app_name, window_title)",
      ["input", "all"], u1)
    return out


def cli_search(data_dir, word, ctype, home, extra=()):
    args = [SP_BIN, "search", word, "--data-dir", data_dir, "--json", "--limit", "20"]
    if ctype and ctype != "all":
        args += ["--content-type", ctype]
    args += list(extra)
    env = dict(os.environ, HOME=home)
    p = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    items = []
    for line in p.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                items.append(json.loads(line))
            except ValueError:
                pass
    return p.returncode, items, p.stderr.strip()[-500:]


def api_search(port, key, word, ctype):
    url = "http://127.0.0.1:%d/search?q=%s&limit=20" % (port, word)
    if ctype and ctype != "all":
        url += "&content_type=" + ctype
    req = urllib.request.Request(url, headers={"Authorization": "Bearer " + key})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, {"error": e.read().decode(errors="replace")}


def summarize(items, word):
    hits = [i for i in items if word in json.dumps(i)]
    if not hits:
        return "not found", ""
    kinds = ",".join(sorted({i.get("type", "?") for i in hits}))
    paths = sorted({str(i.get("content", {}).get("file_path")) for i in hits})
    return "found (%s)" % kinds, " ".join(repr(p) for p in paths)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["insert-and-search", "search-only"])
    ap.add_argument("data_dir")
    ap.add_argument("--port", type=int)
    ap.add_argument("--key", default="")
    ap.add_argument("--out", required=True)
    ap.add_argument("--tag", default="live")
    ap.add_argument("--home", default=None)
    ap.add_argument("--jpg", default=None, help="a JPEG to copy as imported snapshot")
    a = ap.parse_args()
    data_dir = os.path.abspath(a.data_dir)
    home = a.home or os.path.join(a.out, ".home")
    os.makedirs(home, exist_ok=True)
    db = os.path.join(data_dir, "db.sqlite")

    jpg = a.jpg
    if not jpg:
        for root, _, files in os.walk(os.path.join(data_dir, "data")):
            for f in files:
                if f.endswith(".jpg"):
                    jpg = os.path.join(root, f)
                    break
            if jpg:
                break
    vs = variants(data_dir, jpg) if a.mode == "insert-and-search" else variants_for_search()

    ids = {}
    if a.mode == "insert-and-search":
        con = sqlite3.connect(db, timeout=60, isolation_level=None)
        con.execute("PRAGMA foreign_keys = ON")
        for key, word, desc, types, fn in vs:
            con.execute("BEGIN IMMEDIATE")
            ids[key] = fn(con)
            con.execute("COMMIT")
        fts = {}
        for key, word, *_ in vs:
            fts[key] = {t: con.execute("SELECT count(*) FROM %s WHERE %s MATCH ?" % (t, t), (word,)).fetchone()[0]
                        for t in ("frames_fts", "elements_fts", "memories_fts", "audio_transcriptions_fts",
                                  "ui_events_fts")}
        con.close()
        with open(os.path.join(a.out, "import-probe-variants.json"), "w") as fh:
            json.dump([{"key": k, "word": w, "desc": d, "row_id": ids.get(k), "fts_rows_after_insert": fts[k]}
                       for k, w, d, *_ in vs], fh, indent=1)

    rows, raw = [], []
    start_arg = ["--start", "1h ago"]
    for key, word, desc, types, _ in vs:
        for t in types:
            ctype, extra = (t.split("+")[0], start_arg) if "+start" in t else (t, [])
            rc, items, err = cli_search(data_dir, word, ctype, home, extra)
            found, paths = summarize(items, word)
            if rc != 0:
                found = "CLI exit %d: %s" % (rc, err[-160:])
            api = ""
            if a.port and not extra:
                st, body = api_search(a.port, a.key, word, ctype)
                api_items = body.get("data", []) if isinstance(body, dict) else []
                api = summarize(api_items, word)[0] if st == 200 else "HTTP %d" % st
                raw.append({"variant": key, "query": word, "content_type": ctype, "via": "api", "status": st,
                            "body": body})
            raw.append({"variant": key, "query": word, "content_type": ctype, "extra": extra, "via": "cli",
                        "rc": rc, "items": items, "stderr": err})
            rows.append((key, desc, word, t, found, paths, api))

    with open(os.path.join(a.out, "import-probe-%s.jsonl" % a.tag), "w") as fh:
        for r in raw:
            fh.write(json.dumps(r) + "\n")
    with open(os.path.join(a.out, "import-probe-%s.md" % a.tag), "w") as fh:
        fh.write("| variant | rows written | query | content type | `screenpipe search --json` | file_path returned |"
                 " `GET /search` |\n|---|---|---|---|---|---|---|\n")
        for key, desc, word, t, found, paths, api in rows:
            fh.write("| %s | %s | %s | %s | %s | %s | %s |\n" % (key, desc, word, t, found,
                                                                paths.replace(data_dir, "$DATA"), api or "-"))
    print(open(os.path.join(a.out, "import-probe-%s.md" % a.tag)).read())


def variants_for_search():
    """The same keys/words/queries as variants(), built in a throw-away folder (nothing inserted)."""
    import tempfile
    tmp = tempfile.mkdtemp()
    os.makedirs(os.path.join(tmp, "data"), exist_ok=True)
    jpg = os.path.join(tmp, "x.jpg")
    open(jpg, "wb").close()
    vs = variants(tmp, jpg)
    shutil.rmtree(tmp, ignore_errors=True)
    return vs


if __name__ == "__main__":
    main()

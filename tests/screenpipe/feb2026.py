#!/usr/bin/env python3
"""Build a February-2026-generation screenpipe database (50 migrations) with a few realistic rows.

    python3 tests/screenpipe/feb2026.py OUT_DIR [--migrations DIR] [--no-rows] [--no-fts] [--force]

OUT_DIR gets `db.sqlite` (single file, journal_mode=DELETE; screenpipe itself runs it in WAL) and
empty placeholder media files at the absolute paths the rows reference (under OUT_DIR/data/, the
way screenpipe lays out `~/.screenpipe/data/`), so an importer can open them.

How it is built, as screenpipe of that generation (public source at commit 56d3ccb87, Feb 2026):
- the migrations of /work/shared/screenpipe-schema/2026-02/ are applied in file-name order, each in
  its own transaction, and recorded in `_sqlx_migrations` exactly like sqlx 0.8 does: version = the
  number before the first `_`, description = the rest of the file name without `.sql` with `_`
  replaced by spaces, success = 1, checksum = SHA-384 of the file's bytes, execution_time in
  nanoseconds, installed_on = CURRENT_TIMESTAMP. (Verified: the 50 checksums and descriptions are
  byte-identical to the first 50 rows that the real screenpipe 0.4.50 writes.)
- `vec_length` (sqlite-vec) is registered as a stub: one migration's CHECK calls it.
- rows are written with the INSERT statements of crates/screenpipe-db/src/db.rs of that generation
  (quoted below next to each insert), timestamps bound the way sqlx binds chrono DateTime<Utc>:
  RFC 3339 text with `+00:00` (`2026-02-14T09:00:00.123456+00:00`).
- FTS: that generation has NO insert triggers (migration 20260209000001 dropped them); a background
  indexer (crates/screenpipe-db/src/fts_indexer.rs) copies new rows every 30 s with the statements
  reproduced in `run_fts_indexer` and advances `fts_index_progress`. By default this script runs
  that indexer once, as screenpipe would within 30 s; `--no-fts` leaves the rows unindexed (as in the
  first seconds after capture).
"""
import argparse
import datetime as dt
import hashlib
import json
import os
import sqlite3
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_MIGRATIONS = os.environ.get(
    "SCREENPIPE_FEB2026_MIGRATIONS", "/work/shared/screenpipe-schema/2026-02")

SQLX_MIGRATIONS_DDL = """CREATE TABLE IF NOT EXISTS _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    success BOOLEAN NOT NULL,
    checksum BLOB NOT NULL,
    execution_time BIGINT NOT NULL
);"""


def rfc3339(t):
    """chrono DateTime<Utc> as sqlx-sqlite binds it: to_rfc3339_opts(AutoSi, false)."""
    s = t.strftime("%Y-%m-%dT%H:%M:%S")
    us = t.microsecond
    if us:
        s += ".%03d" % (us // 1000) if us % 1000 == 0 else ".%06d" % us
    return s + "+00:00"


def connect(path):
    con = sqlite3.connect(path, isolation_level=None)
    con.create_function("vec_length", 1, lambda blob: 512, deterministic=True)
    return con


def apply_migrations(con, mig_dir):
    files = sorted(f for f in os.listdir(mig_dir) if f.endswith(".sql"))
    if not files:
        sys.exit("feb2026: no .sql files in %s" % mig_dir)
    con.execute(SQLX_MIGRATIONS_DDL)
    done = {r[0] for r in con.execute("SELECT version FROM _sqlx_migrations")}
    for f in files:
        version_s, _, rest = f[:-4].partition("_")
        version = int(version_s)
        if version in done:
            continue
        with open(os.path.join(mig_dir, f), "rb") as fh:
            raw = fh.read()
        sql = raw.decode("utf-8")
        t0 = time.monotonic_ns()
        con.execute("BEGIN")
        try:
            # executescript would COMMIT first; run the statements one by one inside our transaction.
            for stmt in split_sql(sql):
                con.execute(stmt)
            con.execute(
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)"
                " VALUES (?1, ?2, TRUE, ?3, -1)",
                (version, rest.replace("_", " "), hashlib.sha384(raw).digest()))
            con.execute("COMMIT")
        except Exception as e:  # noqa: BLE001
            con.execute("ROLLBACK")
            sys.exit("feb2026: migration %s failed: %s" % (f, e))
        # sqlx records the elapsed time afterwards, in a second statement
        con.execute("UPDATE _sqlx_migrations SET execution_time = ?1 WHERE version = ?2",
                    (time.monotonic_ns() - t0, version))
    return len(files)


def split_sql(sql):
    """Split a migration into complete statements (handles CREATE TRIGGER ... BEGIN ... END;)."""
    out, buf = [], ""
    for line in sql.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf)
            buf = ""
    if buf.strip() and any(l.strip() and not l.strip().startswith("--") for l in buf.splitlines()):
        out.append(buf)
    return out


def ocr_text_json(lines):
    """text_json as screenpipe's Tesseract path stores it: one object per word, all values strings."""
    words = []
    for ln, line in enumerate(lines, 1):
        left = 0.05
        for wn, word in enumerate(line.split(), 1):
            width = round(0.012 * len(word) + 0.01, 5)
            words.append({"level": "5", "page_num": "1", "block_num": "1", "par_num": "1",
                          "line_num": str(ln), "word_num": str(wn), "left": str(round(left, 5)),
                          "top": str(round(0.06 * ln, 3)), "width": str(width), "height": "0.036",
                          "conf": "95.12", "text": word})
            left += width + 0.01
    return json.dumps(words, separators=(",", ":"))


def insert_rows(con, out_dir):
    data = os.path.join(out_dir, "data")
    os.makedirs(data, exist_ok=True)
    base = dt.datetime(2026, 2, 14, 9, 0, 0, tzinfo=dt.timezone.utc)

    def touch(path):
        open(path, "ab").close()
        return path

    # --- video chunk: DatabaseManager::insert_video_chunk_with_fps --------------------------------
    # "INSERT INTO video_chunks (file_path, device_name, fps) VALUES (?1, ?2, ?3)"
    # file name: video.rs create_output_file: {data}/monitor_{id}_{%Y-%m-%d_%H-%M-%S}.mp4 (UTC)
    vpath = touch(os.path.join(data, "monitor_1_2026-02-14_09-00-00.mp4"))
    con.execute("BEGIN IMMEDIATE")
    vc = con.execute("INSERT INTO video_chunks (file_path, device_name, fps) VALUES (?1, ?2, ?3)",
                     (vpath, "monitor_1", 0.5)).lastrowid

    # --- frames + ocr_text: DatabaseManager::insert_frames_with_ocr_batch --------------------------
    # one capture cycle = one offset_index shared by the window rows of that cycle
    captures = [
        (0, 0, [("Code", "feb2026.py - screenpipe-sync", None, True,
                 ["def build_database(out_dir):", "    # the quokka ledger migration"])]),
        (1, 2, [("Google Chrome", "Quarterly review - Google Docs", "https://docs.google.com/document/d/1x",
                 True, ["Quarterly review", "Revenue grew with the zanzibar launch"]),
                ("Slack", "general - Acme", None, False, ["standup at ten", "marmalade invoice sent"])]),
        (2, 4, [("Terminal", "bash", None, True, ["$ cargo test", "test result: ok. 12 passed"])]),
    ]
    frame_ids = []
    for offset_index, secs, windows in captures:
        ts = rfc3339(base + dt.timedelta(seconds=secs, microseconds=123456))
        for app, window, url, focused, lines in windows:
            fid = con.execute(
                "INSERT INTO frames (video_chunk_id, offset_index, timestamp, name, browser_url, app_name,"
                " window_name, focused, device_name) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                (vc, offset_index, ts, vpath, url, app, window, focused, "monitor_1")).lastrowid
            text = "\n".join(lines)
            con.execute(
                "INSERT INTO ocr_text (frame_id, text, text_json, ocr_engine, text_length)"
                " VALUES (?1, ?2, ?3, ?4, ?5)",
                (fid, text, ocr_text_json(lines), "AppleNative", len(text.encode())))
            frame_ids.append(fid)
    con.execute("COMMIT")

    # --- audio: insert_audio_chunk + insert_audio_transcription -----------------------------------
    # "INSERT INTO audio_chunks (file_path, timestamp) VALUES (?1, ?2)"
    # "INSERT OR IGNORE INTO audio_transcriptions (audio_chunk_id, transcription, offset_index, timestamp,
    #   transcription_engine, device, is_input_device, speaker_id, start_time, end_time, text_length)
    #   VALUES (?1, ..., ?11)"
    audio = [
        ("MacBook Pro Microphone (input)", "MacBook Pro Microphone", True, 30,
         "let's ship the pelican release on friday"),
        ("Display Audio (output)", "Display Audio", False, 60,
         "the kumquat dashboard is live for everyone"),
    ]
    con.execute("BEGIN IMMEDIATE")
    sp = con.execute("INSERT INTO speakers (name) VALUES (?)", ("Alice",)).lastrowid
    for dev_full, dev, is_input, secs, words in audio:
        t = base + dt.timedelta(seconds=secs, microseconds=654321)
        apath = touch(os.path.join(data, "%s_%s.mp4" % (dev_full, t.strftime("%Y-%m-%d_%H-%M-%S"))))
        ac = con.execute("INSERT INTO audio_chunks (file_path, timestamp) VALUES (?1, ?2)",
                         (apath, rfc3339(t))).lastrowid
        con.execute(
            "INSERT OR IGNORE INTO audio_transcriptions (audio_chunk_id, transcription, offset_index,"
            " timestamp, transcription_engine, device, is_input_device, speaker_id, start_time, end_time,"
            " text_length) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            (ac, words, 0, rfc3339(t + dt.timedelta(seconds=3)), "WhisperLargeV3Turbo", dev, is_input,
             sp if is_input else None, 0.0, 2.8, len(words.encode())))
    con.execute("COMMIT")

    # --- ui_events: DatabaseManager::insert_ui_event ------------------------------------------------
    con.execute(
        "INSERT INTO ui_events (timestamp, session_id, relative_ms, event_type, x, y, delta_x, delta_y,"
        " button, click_count, key_code, modifiers, text_content, text_length, app_name, app_pid,"
        " window_title, browser_url, element_role, element_name, element_value, element_description,"
        " element_automation_id, element_bounds, frame_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
        " ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)",
        (rfc3339(base + dt.timedelta(seconds=5)), "5b0c9d3e-1f7a-4c55-9a61-2d7f0e4b8c11", 5000, "text",
         None, None, None, None, None, None, None, None, "hello walrus team", 17, "Slack", 4242,
         "general - Acme", None, "AXTextArea", "Message", None, None, None,
         '{"x":10,"y":700,"width":900,"height":40}', frame_ids[2]))
    return frame_ids


def run_fts_indexer(con):
    """One cycle of fts_indexer.rs (statements verbatim), from fts_index_progress to the end."""
    def last(table):
        r = con.execute("SELECT last_indexed_rowid FROM fts_index_progress WHERE table_name = ?1",
                        (table,)).fetchone()
        return r[0] if r else 0

    def progress(table, rowid):
        con.execute("INSERT OR REPLACE INTO fts_index_progress (table_name, last_indexed_rowid, updated_at)"
                    " VALUES (?1, ?2, CURRENT_TIMESTAMP)", (table, rowid))

    jobs = [
        ("frames", "SELECT rowid, id FROM frames WHERE rowid > ?1 ORDER BY rowid LIMIT ?2",
         "INSERT OR IGNORE INTO frames_fts(id, name, browser_url, app_name, window_name, focused)"
         " SELECT id, COALESCE(name, ''), COALESCE(browser_url, ''), COALESCE(app_name, ''),"
         " COALESCE(window_name, ''), COALESCE(focused, 0) FROM frames WHERE id = ?1", 1),
        ("ocr_text", "SELECT rowid FROM ocr_text WHERE rowid > ?1 AND text IS NOT NULL AND text != ''"
         " AND frame_id IS NOT NULL ORDER BY rowid LIMIT ?2",
         "INSERT OR IGNORE INTO ocr_text_fts(frame_id, text, app_name, window_name)"
         " SELECT frame_id, text, COALESCE(app_name, ''), COALESCE(window_name, '')"
         " FROM ocr_text WHERE rowid = ?1", 0),
        ("audio_transcriptions", "SELECT rowid FROM audio_transcriptions WHERE rowid > ?1"
         " AND transcription IS NOT NULL AND transcription != '' AND audio_chunk_id IS NOT NULL"
         " ORDER BY rowid LIMIT ?2",
         "INSERT OR IGNORE INTO audio_transcriptions_fts(audio_chunk_id, transcription, device, speaker_id)"
         " SELECT audio_chunk_id, transcription, COALESCE(device, ''), speaker_id"
         " FROM audio_transcriptions WHERE rowid = ?1", 0),
        ("ui_events", "SELECT rowid FROM ui_events WHERE rowid > ?1 ORDER BY rowid LIMIT ?2",
         "INSERT OR IGNORE INTO ui_events_fts(rowid, text_content, app_name, window_title, element_name)"
         " SELECT rowid, COALESCE(text_content, ''), COALESCE(app_name, ''), COALESCE(window_title, ''),"
         " COALESCE(element_name, '') FROM ui_events WHERE rowid = ?1", 0),
    ]
    n = 0
    for table, select, insert, key_col in jobs:
        while True:
            rows = con.execute(select, (last(table), 500)).fetchall()
            if not rows:
                break
            con.execute("BEGIN IMMEDIATE")
            for r in rows:
                con.execute(insert, (r[key_col],))
            con.execute("COMMIT")
            progress(table, rows[-1][0])
            n += len(rows)
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--migrations", default=DEFAULT_MIGRATIONS)
    ap.add_argument("--no-rows", action="store_true", help="schema only")
    ap.add_argument("--no-fts", action="store_true", help="do not run the background FTS indexer once")
    ap.add_argument("--force", action="store_true", help="replace an existing OUT_DIR/db.sqlite")
    a = ap.parse_args()
    os.makedirs(a.out_dir, exist_ok=True)
    out_dir = os.path.abspath(a.out_dir)
    db = os.path.join(out_dir, "db.sqlite")
    if os.path.exists(db):
        if not a.force:
            sys.exit("feb2026: %s exists (use --force)" % db)
        for suffix in ("", "-wal", "-shm", "-journal"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
    con = connect(db)
    n = apply_migrations(con, a.migrations)
    frames = []
    if not a.no_rows:
        frames = insert_rows(con, out_dir)
        if not a.no_fts:
            run_fts_indexer(con)
    con.execute("PRAGMA journal_mode=DELETE")
    con.close()
    print("feb2026: %s (%d migrations, %d frames)" % (db, n, len(frames)))


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Re-capture every raw output SCHEMA.md cites, from the REAL screenpipe 0.4.50 (about 2 minutes):
#
#   bash tests/screenpipe/probe.sh [OUT_DIR]        (default: tests/screenpipe/captured)
#
# 1. schema of a fresh 0.4.50 database (recorded here) and of the February 2026 generation
#    (feb2026.py): schema-*.sql, schema-*-tables.md
# 2. a short recording on Xvfb, then `screenpipe search --json` per content type and `GET /search`,
#    `GET /health`, an unauthenticated request, and the per-frame row values (frames-row.json)
# 3. import probe (probe_import.py): rows written by another process while screenpipe runs, and
#    whether screenpipe's own search finds them (import-probe-live.*), the same rows re-read 40 s
#    later (did screenpipe change them? import-rows-diff.txt), then the same searches on a
#    VACUUM-INTO copy with the recorder stopped (import-probe-copy.*)
# 4. the February 2026 database opened by 0.4.50's `screenpipe search` (it migrates it in place:
#    feb2026-opened-by-0.4.50.*)
# Paths inside the captured files start with /tmp/screenpipe-probe (wiped first).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$(mkdir -p "${1:-$HERE/captured}" && cd "${1:-$HERE/captured}" && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"

W=/tmp/screenpipe-probe
cleanup() { sp_stop; }
trap cleanup EXIT
sp_install
rm -rf "$W"; mkdir -p "$W"
for p in $(seq 3100 3149); do _sp_port_busy "$p" || { PORT=$p; break; }; done
KEY=probe-key
export SP_LOG_DIR="$W/logs"

# --- 2. recording -----------------------------------------------------------------------------
printf '%s\n' "" "    probe screen one: the quokka budget review" "    ship the zanzibar prototype by friday" > "$W/screen.txt"
sp_record "$W/sp" "$PORT" "$KEY" "$W/screen.txt"
sp_wait_word zanzibar 60
sleep 2
sp_show "" "    probe screen two: marmalade invoice pending" "    call the pelican hotline at noon"
sp_wait_word marmalade 60
sleep 3

api() { curl -sS -m 60 -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT/$1"; }
pretty() { python3 -m json.tool --indent 1; }
curl -sS -m 30 "http://127.0.0.1:$PORT/health" | pretty > "$OUT/health.json"
api "search?q=zanzibar&content_type=ocr&limit=1" | pretty > "$OUT/api-search-ocr.json"
api "search?q=zanzibar&content_type=accessibility&limit=5" | pretty > "$OUT/api-search-accessibility.json"
api "search?q=zanzibar&limit=5" | pretty > "$OUT/api-search-default.json"
api "search?q=zanzibar&content_type=all&limit=5" | pretty > "$OUT/api-search-all.json"
api "search?content_type=ocr&limit=1&offset=1" | pretty > "$OUT/api-search-browse-page2.json"
{ printf 'GET /search?q=zanzibar without Authorization -> HTTP '
  curl -sS -m 30 -o "$W/noauth.body" -w '%{http_code}\n' "http://127.0.0.1:$PORT/search?q=zanzibar"
  cat "$W/noauth.body"; echo
  printf 'GET /search?q=zanzibar with Authorization: Bearer wrong -> HTTP '
  curl -sS -m 30 -o "$W/noauth.body" -w '%{http_code}\n' -H 'Authorization: Bearer wrong' \
    "http://127.0.0.1:$PORT/search?q=zanzibar"
  cat "$W/noauth.body"; echo
  printf 'GET /health without Authorization -> HTTP '
  curl -sS -m 30 -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$PORT/health"
  printf 'POST /raw_sql SELECT * FROM pragma_foreign_keys LIMIT 1 -> '
  curl -sS -m 30 -X POST -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
    -d '{"query":"SELECT * FROM pragma_foreign_keys LIMIT 1"}' "http://127.0.0.1:$PORT/raw_sql"; echo
  for pr in journal_mode synchronous busy_timeout recursive_triggers; do
    printf 'POST /raw_sql pragma_%s -> ' "$pr"
    curl -sS -m 30 -X POST -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
      -d "{\"query\":\"SELECT * FROM pragma_$pr LIMIT 1\"}" "http://127.0.0.1:$PORT/raw_sql"; echo
  done
  printf 'POST /raw_sql sqlite_version() -> '
  curl -sS -m 30 -X POST -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
    -d '{"query":"SELECT sqlite_version() AS v LIMIT 1"}' "http://127.0.0.1:$PORT/raw_sql"; echo
} > "$OUT/api-auth-and-pragmas.txt"
for t in all ocr accessibility audio input memory; do
  sp_search "$W/sp" zanzibar --content-type "$t" > "$OUT/search-$t.jsonl"
done
sp_search "$W/sp" "" --content-type ocr --limit 2 > "$OUT/search-browse-ocr.jsonl"
python3 - "$W/sp/db.sqlite" > "$OUT/frames-row.json" <<'PY'
import json, sqlite3, sys
con = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
def rows(sql):
    cur = con.execute(sql)
    cols = [d[0] for d in cur.description]
    return [{c: ({"typeof": "blob"} if isinstance(v, bytes) else v) for c, v in zip(cols, r)} for r in cur]
out = {
 "frames (first two)": rows("SELECT * FROM frames ORDER BY id LIMIT 2"),
 "typeof per frames column (frame 1)": rows("SELECT " + ", ".join(
     "typeof(%s) AS %s" % (c[1], c[1]) for c in con.execute("PRAGMA table_info(frames)")) + " FROM frames WHERE id = 1"),
 "elements (first 3 of frame 1)": rows("SELECT * FROM elements WHERE frame_id = 1 ORDER BY sort_order LIMIT 3"),
 "elements roles": rows("SELECT source, role, depth, count(*) AS n, sum(parent_id IS NULL) AS no_parent FROM elements GROUP BY 1,2,3"),
 "video_chunks": rows("SELECT * FROM video_chunks"),
 "display_layout": rows("SELECT * FROM display_layout"),
 "sqlite_sequence": rows("SELECT * FROM sqlite_sequence"),
 "_sqlx_migrations (last 2)": rows("SELECT version, description, installed_on, success, typeof(checksum) AS checksum_type, length(checksum) AS checksum_len, execution_time FROM _sqlx_migrations ORDER BY version DESC LIMIT 2"),
 "frames_fts rows": rows("SELECT rowid, full_text, app_name, window_name, browser_url FROM frames_fts"),
}
print(json.dumps(out, indent=1, ensure_ascii=False))
PY

# --- 3. import probe ----------------------------------------------------------------------------
python3 "$HERE/probe_import.py" insert-and-search "$W/sp" --port "$PORT" --key "$KEY" --out "$OUT" \
  --home "$SP_LOG_DIR/home" > /dev/null
dump_imported() {
  python3 - "$W/sp/db.sqlite" <<'PY'
import json, re, sqlite3, sys
con = sqlite3.connect(sys.argv[1], timeout=30)
for t in ("frames", "elements", "video_chunks", "memories", "audio_chunks", "audio_transcriptions", "ui_events"):
    cur = con.execute("SELECT * FROM %s ORDER BY 1" % t)
    cols = [d[0] for d in cur.description]
    for r in cur:
        d = dict(zip(cols, r))
        j = json.dumps(d, default=str)
        if re.search(r"probe[a-z]|imported", j):  # the probe's rows, not the recorder's "probe screen"
            print(t, json.dumps(d, default=str, sort_keys=True))
PY
}
dump_imported > "$W/rows-before.txt"
sleep 40
dump_imported > "$W/rows-after.txt"
{ echo "imported rows re-read 40 s later while screenpipe kept running (diff before/after; empty = unchanged):"
  diff "$W/rows-before.txt" "$W/rows-after.txt" || true; } > "$OUT/import-rows-diff.txt"
cp "$W/rows-after.txt" "$OUT/import-rows.txt"
sp_stop

# the same searches on a copy with the recorder stopped
mkdir -p "$W/copy"
sp_db_copy "$W/sp" "$W/copy/db.sqlite"
python3 "$HERE/probe_import.py" search-only "$W/copy" --out "$OUT" --tag copy --home "$SP_LOG_DIR/home" > /dev/null
ls -A "$W/copy" > "$OUT/copy-folder-after-search.txt"

# --- 1. schemas -----------------------------------------------------------------------------------
python3 "$HERE/schema_dump.py" "$W/copy/db.sqlite" "$OUT/schema-0.4.50"
python3 "$HERE/feb2026.py" "$W/feb-schema" --no-rows > /dev/null
python3 "$HERE/schema_dump.py" "$W/feb-schema/db.sqlite" "$OUT/schema-2026-02"

# --- 4. February 2026 db opened by 0.4.50 ---------------------------------------------------------
python3 "$HERE/feb2026.py" "$W/feb" > /dev/null
{ echo "\$ screenpipe search zanzibar --data-dir <feb2026 db> --json   (Feb 2026 db: 50 migrations)"
  sp_search "$W/feb" zanzibar
  echo "\$ screenpipe search pelican --content-type audio --json"
  sp_search "$W/feb" pelican --content-type audio
  echo "\$ screenpipe search walrus --content-type input --json"
  sp_search "$W/feb" walrus --content-type input
  echo "--- afterwards: _sqlx_migrations count, journal_mode, tables gone, one migrated frame row"
  sqlite3 "$W/feb/db.sqlite" "SELECT count(*) FROM _sqlx_migrations; PRAGMA journal_mode;
    SELECT 'ocr_text table still there: ' || count(*) FROM sqlite_master WHERE name IN ('ocr_text','ocr_text_fts','accessibility','fts_index_progress');"
  sqlite3 -line "$W/feb/db.sqlite" "SELECT id, video_chunk_id, offset_index, timestamp, name, app_name, window_name, focused, device_name, snapshot_path, full_text, text_source, substr(text_json,1,60) AS text_json_head, accessibility_text FROM frames WHERE id = 2"
} > "$OUT/feb2026-opened-by-0.4.50.txt" 2>&1
echo "probe: wrote $OUT"

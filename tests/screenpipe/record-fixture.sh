#!/usr/bin/env bash
# Record the committed fixture tests/screenpipe/fixtures/v0.4.50/ with the REAL screenpipe 0.4.50:
# a small virtual screen (800x480), three screens of text with distinctive words mid-line, one
# frame per screen (plus whatever idle frame falls in), about 20 seconds in all.
#
#   bash tests/screenpipe/record-fixture.sh [OUT_DIR]      (default: tests/screenpipe/fixtures/v0.4.50)
#
# How the fixture is made (see fixtures/v0.4.50/README.md for how to use it):
# - screenpipe records into the FIXED data folder /tmp/screenpipe-fixture-v0.4.50 (wiped first), so
#   every absolute path in the database starts with that prefix; `sp_fixture_copy` (lib.sh) copies
#   the fixture anywhere and rewrites the prefix.
# - it is stopped with SIGINT (clean shutdown: the WAL is checkpointed into db.sqlite), then
#   db.sqlite is copied and switched to journal_mode=DELETE (one file, no -wal/-shm; screenpipe
#   switches it back to WAL when it opens it). Nothing else in the database is changed.
# - OUT_DIR keeps its README.md; db.sqlite, data/ and LAST_MIGRATION are replaced.
# - only db.sqlite and the JPEG snapshots it references are kept (not the logs, pipes/,
#   secrets.sqlite, store.bin that screenpipe also writes into its data folder).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:-$HERE/fixtures/v0.4.50}"
# shellcheck source=lib.sh
source "$HERE/lib.sh"

PREFIX=/tmp/screenpipe-fixture-v0.4.50
WORK=$(mktemp -d /tmp/screenpipe-fixture-work.XXXXXX)
cleanup() { sp_stop; rm -rf "$WORK"; }
trap cleanup EXIT

sp_install
for p in $(seq 3050 3099); do _sp_port_busy "$p" || { PORT=$p; break; }; done
[ -n "${PORT:-}" ] || { _sp_err "no free port in 3050-3099"; exit 1; }

rm -rf "$PREFIX"
printf '%s\n' "" "    fixture screen one: the quokka budget review" \
  "    ship the zanzibar prototype by friday" > "$WORK/screen.txt"
export SP_SCREEN=800x480x24 SP_FONT_SIZE=16 SP_LOG_DIR="$WORK/logs"
sp_record "$PREFIX" "$PORT" fixture-key "$WORK/screen.txt"
sp_wait_word zanzibar 60
sleep 2
sp_show "" "    fixture screen two: marmalade invoice pending" "    call the pelican hotline at noon"
sp_wait_word marmalade 60
sleep 2
sp_show "" "    fixture screen three: kumquat roadmap draft" "    review with the walrus team"
sp_wait_word kumquat 60
sleep 2
sp_stop

DB="$PREFIX/db.sqlite"
[ ! -e "$DB-wal" ] || sqlite3 "$DB" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
rm -rf "$OUT/db.sqlite" "$OUT/db.sqlite-wal" "$OUT/db.sqlite-shm" "$OUT/data" "$OUT/LAST_MIGRATION"
mkdir -p "$OUT"
cp "$DB" "$OUT/db.sqlite"
sqlite3 "$OUT/db.sqlite" "PRAGMA journal_mode=DELETE;" >/dev/null
rm -f "$OUT/db.sqlite-wal" "$OUT/db.sqlite-shm"
# the snapshots the database references, at the same place relative to the data folder
sqlite3 "$OUT/db.sqlite" "SELECT snapshot_path FROM frames WHERE snapshot_path IS NOT NULL" |
  while IFS= read -r p; do
    rel=${p#"$PREFIX"/}
    [ "$rel" != "$p" ] || { _sp_err "snapshot outside $PREFIX: $p"; exit 1; }
    mkdir -p "$OUT/$(dirname "$rel")"
    cp "$p" "$OUT/$rel"
  done
sqlite3 "$OUT/db.sqlite" "SELECT version FROM _sqlx_migrations ORDER BY version DESC LIMIT 1" > "$OUT/LAST_MIGRATION"
n=$(sqlite3 "$OUT/db.sqlite" "SELECT count(*) FROM frames WHERE full_text != ''")
size=$(du -sk "$OUT" | cut -f1)
printf 'record-fixture: %s: %s frames with OCR text, %s KiB\n' "$OUT" "$n" "$size"

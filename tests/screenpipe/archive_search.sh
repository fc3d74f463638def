#!/usr/bin/env bash
# The real screenpipe 0.4.50's own search after `screenpipe-sync archive` (issue 18): on the
# recorded fixture (three OCR frames with their JPEG snapshots), push to a sync-server on
# loopback, archive every media file, and ask the real `screenpipe search --json` (the query code
# of its `GET /search`, SCHEMA.md section d) for each frame's word: the same items as before the
# archive (the archived frames' text is still found; only the JPEGs left the disk). Then
# `restore`: every JPEG back byte for byte, the same search answers again. Then
# `archive --drop-text`: the frames' text leaves screenpipe's database (its search finds none of
# the words), and `restore` writes it back: the same search answers once more.
#
#   bash tests/screenpipe/archive_search.sh     (installs screenpipe with sp_install; builds the
#                                                CLI and the server unless SYNC_BIN_DIR is set)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
sp_install

if [ -n "${SYNC_BIN_DIR:-}" ]; then BIN=$SYNC_BIN_DIR; else
  (cd "$ROOT" && cargo build -q -p sync-server -p screenpipe-sync)
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug"
fi

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [ -n "${KEEP_WORK:-}" ]; then echo "work folder: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

SP="$WORK/sp"
sp_fixture_copy "$SP"
WORDS=(quokka marmalade kumquat)
search_all() { # OUT: screenpipe's OCR items for each word, one JSON line each
  for w in "${WORDS[@]}"; do
    sp_search "$SP" "$w" --content-type ocr --limit 50 2>"$WORK/search.err" || { cat "$WORK/search.err" >&2; return 1; }
  done >"$1"
}
hashes() { (cd "$SP/data" && find . -type f -name '*.jpg' -print0 | sort -z | xargs -0 -r sha256sum); }

# screenpipe first: it migrates the fixture and switches it to WAL, as on any db it opens.
search_all "$WORK/before.jsonl"
hashes >"$WORK/before.sha"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN/sync-server" serve --data-dir "$WORK/server" --bind "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
TOKEN=$("$BIN/sync-server" user add archive@example.com --tier pro --data-dir "$WORK/server" | tail -n 1)
sync() {
  SCREENPIPE_SYNC_SERVER="http://127.0.0.1:$PORT" SCREENPIPE_SYNC_TOKEN="$TOKEN" \
    SCREENPIPE_SYNC_DB="$SP/db.sqlite" SCREENPIPE_SYNC_DATA_DIR="$SP/data" SCREENPIPE_SYNC_STATE_DIR="$WORK/state" \
    SCREENPIPE_SYNC_PASSWORD="violet harbor engine 1987 plum" SCREENPIPE_SYNC_MEDIA_SETTLE_SECS=0 \
    "$BIN/screenpipe-sync" "$@"
}
sync init --quiet >/dev/null
sync push --json >"$WORK/push.json"
sync archive --before 2100-01-01 --verify-read --json >"$WORK/archive.json"
search_all "$WORK/archived.jsonl"
hashes >"$WORK/archived.sha"
sync restore --json >"$WORK/restore.json"
search_all "$WORK/restored.jsonl"
hashes >"$WORK/restored.sha"
sync archive --before 2100-01-01 --drop-text --json >"$WORK/drop.json"
search_all "$WORK/dropped.jsonl"
sync restore --json >"$WORK/restore2.json"
search_all "$WORK/restored2.jsonl"

python3 - "$WORK" "${#WORDS[@]}" <<'PY'
import json, sys
work, words = sys.argv[1], int(sys.argv[2])
def items(name):
    return [json.loads(l) for l in open(f"{work}/{name}.jsonl") if l.strip()]
before, archived, restored = items("before"), items("archived"), items("restored")
assert len(before) >= words and all(x["type"] == "OCR" for x in before), before
frames = {x["content"]["frame_id"] for x in before}
report = json.load(open(f"{work}/archive.json"))
jpgs = [l for l in open(f"{work}/before.sha") if l.strip()]
assert report["files"] == len(jpgs) == len(frames) and not report["skipped"], report
assert report["read_back"] == report["files"], report
assert open(f"{work}/archived.sha").read() == "", "every snapshot offloaded"
if archived != before:
    sys.exit(f"after archive, screenpipe's search differs:\n  before:   {json.dumps(before)}\n  archived: {json.dumps(archived)}")
print(f"after archive: screenpipe's search returns the same {len(before)} OCR items (frames {sorted(frames)}), no JPEG on disk")
back = json.load(open(f"{work}/restore.json"))
assert back["restored"] == report["files"] and not back["skipped"], back
assert open(f"{work}/restored.sha").read() == open(f"{work}/before.sha").read(), "the JPEGs come back byte for byte"
assert restored == before, (restored, before)
print(f"after restore: {back['restored']} JPEGs back byte for byte, the same search answers")
drop = json.load(open(f"{work}/drop.json"))
text = drop["text"]
assert not text["dry_run"] and not text["kept"] and not text["not_restorable"], text
assert text["rows"].get("frames") == len(frames), text
dropped = items("dropped")
assert dropped == [], f"after --drop-text screenpipe's search still finds the old text: {dropped}"
print(f"after archive --drop-text: {text['rows']} rows dropped, screenpipe's search finds none of the words")
back2 = json.load(open(f"{work}/restore2.json"))
assert back2["text"]["frames"] == len(frames) and not back2["text"]["failed"], back2
restored2 = items("restored2")
assert restored2 == before, (restored2, before)
print(f"after restore: {back2['text']['frames']} frames' text written back, the same search answers")
PY
echo "archive search: passed"

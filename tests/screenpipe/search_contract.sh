#!/usr/bin/env bash
# Contract test: for the same database, the sync daemon's GET /search and the real screenpipe
# 0.4.50's `search --json` return the same items with the same fields (local data: the recorded
# fixture, plus a transcription and a memory written as another process writes them). The daemon's extra
# top-level fields (`source`, `device_id`) are left aside; timestamps compare as the API renders
# them (`+00:00`; the CLI prints `Z`). `content_type=all` is compared without the CLI's UI items
# (screenpipe's API lists the OCR item only, see SCHEMA.md section d).
#
#   bash tests/screenpipe/search_contract.sh     (installs screenpipe with sp_install; builds the CLI)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
sp_install

TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
(cd "$ROOT" && cargo build -q -p screenpipe-sync)
BIN="$TARGET/debug/screenpipe-sync"

WORK="$(mktemp -d)"
DAEMON_PID=""
cleanup() {
  if [ -n "$DAEMON_PID" ]; then kill "$DAEMON_PID" 2>/dev/null || true; wait "$DAEMON_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

sp_fixture_copy "$WORK/sp"
sqlite3 "$WORK/sp/db.sqlite" "
  INSERT INTO audio_chunks (file_path, timestamp) VALUES ('$WORK/sp/data/Probe Mic (input)_2026-12-05.mp4', '2026-12-05T13:37:00.155448+00:00');
  INSERT INTO audio_transcriptions (audio_chunk_id, offset_index, timestamp, transcription, device, is_input_device,
                                    transcription_engine, start_time, end_time)
  VALUES (last_insert_rowid(), 0, '2026-12-05T13:37:00.155448+00:00', 'contract walrus spoken words', 'Probe Mic', 1,
          'WhisperLargeV3Turbo', 0.0, 2.5);
  INSERT INTO memories (content, source, tags, importance) VALUES ('contract walrus memory note', 'user', '[\"notes\"]', 0.5);"

# word|content_type|extra CLI args|extra query
CASES=(
  "quokka|ocr||"
  "pelican|ocr||"
  "kumquat|ocr||"
  "review|ocr||"
  "review|ocr|--offset 1|&offset=1"
  "quokka|accessibility||"
  "review|accessibility||"
  "walrus|audio||"
  "walrus|memory||"
  "walrus|all||"
  "review|all||"
  "screen|ocr|--start 2026-12-05T13:36:20Z|&start_time=2026-12-05T13:36:20Z"
  "screen|ocr|--start 2026-12-05T13:36:00Z --end 2026-12-05T13:36:25Z|&start_time=2026-12-05T13:36:00Z&end_time=2026-12-05T13:36:25Z"
  "nothingmatcheszz|all||"
)

# screenpipe first: it migrates and switches the db to WAL, as on any db it opens.
i=0
for c in "${CASES[@]}"; do
  IFS='|' read -r word type cli_extra _ <<<"$c"
  # shellcheck disable=SC2086
  sp_search "$WORK/sp" "$word" --content-type "$type" --limit 50 $cli_extra >"$WORK/cli-$i.jsonl" 2>"$WORK/cli-$i.err" \
    || { cat "$WORK/cli-$i.err" >&2; exit 1; }
  i=$((i + 1))
done

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
SCREENPIPE_SYNC_DB="$WORK/sp/db.sqlite" SCREENPIPE_SYNC_DATA_DIR="$WORK/sp/data" SCREENPIPE_SYNC_STATE_DIR="$WORK/state" \
  "$BIN" daemon --listen "127.0.0.1:$PORT" >"$WORK/daemon.log" 2>&1 &
DAEMON_PID=$!
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
  sleep 0.2
done
KEY="$(cat "$WORK/state/search-api-key")"

i=0
for c in "${CASES[@]}"; do
  IFS='|' read -r word type _ query_extra <<<"$c"
  curl -fsS -H "Authorization: Bearer $KEY" \
    "http://127.0.0.1:$PORT/search?q=$word&content_type=$type&limit=50$query_extra" >"$WORK/daemon-$i.json"
  i=$((i + 1))
done

python3 - "$WORK" "${#CASES[@]}" "${CASES[@]}" <<'PY'
import json, sys
work, n, cases = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def api_time(t):
    return t[:-1] + "+00:00" if isinstance(t, str) and t.endswith("Z") else t
failed = 0
seen_types = set()
for i, case in enumerate(cases):
    word, ctype = case.split("|")[:2]
    cli = [json.loads(l) for l in open(f"{work}/cli-{i}.jsonl") if l.strip()]
    if ctype == "all":
        cli = [x for x in cli if x["type"] != "UI"]
    for x in cli:
        for k in ("timestamp", "created_at", "updated_at"):
            if k in x["content"]:
                x["content"][k] = api_time(x["content"][k])
    body = json.load(open(f"{work}/daemon-{i}.json"))
    ours = [{"type": x["type"], "content": x["content"]} for x in body["data"]]
    for x in body["data"]:
        assert x["source"] == "local", x
    seen_types.update(x["type"] for x in ours)
    if ours != cli:
        failed += 1
        print(f"MISMATCH {case}:\n  screenpipe: {json.dumps(cli)}\n  daemon:     {json.dumps(ours)}")
    else:
        print(f"same ({len(ours)} items): {case}")
if failed:
    sys.exit(f"{failed} of {n} cases differ")
assert {"OCR", "UI", "Audio", "Memory"} <= seen_types, seen_types
print(f"search contract: {n} cases, the same items and fields as screenpipe 0.4.50")
PY

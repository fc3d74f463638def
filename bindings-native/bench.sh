#!/usr/bin/env bash
# Desktop client benchmark: push a one-day screenpipe fixture (text and media) to a sync-server on
# loopback and report CPU time, wall time and throughput. Usage: bindings-native/bench.sh
# Variables: BENCH_HOURS (active hours of the day, 8), BENCH_VIDEO_KIB (256), BENCH_AUDIO_KIB (64),
# BENCH_MONITORS (2), BENCH_FRAME_INTERVAL (5 s), BENCH_TEXT_ONLY=1 (delete the media files first).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
cargo build -q --release -p sync-server -p screenpipe-sync
BIN="$CARGO_TARGET_DIR/release"
WORK="$(mktemp -d -t screenpipe-sync-bench.XXXXXX)"
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$BIN/sync-server" serve --data-dir "$WORK/server" --bind "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null || true; wait $SERVER_PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/openapi.yaml" >/dev/null 2>&1 && break; sleep 0.1; done
export SCREENPIPE_SYNC_SERVER="http://127.0.0.1:$PORT"
export SCREENPIPE_SYNC_TOKEN="$("$BIN/sync-server" user add bench@example.com --tier team --data-dir "$WORK/server" | tail -n 1)"
export SCREENPIPE_SYNC_DB="$WORK/sp/db.sqlite" SCREENPIPE_SYNC_DATA_DIR="$WORK/sp/data" SCREENPIPE_SYNC_STATE_DIR="$WORK/sp/sync"
export SCREENPIPE_SYNC_PASSWORD="violet harbor engine 1987 plum" SCREENPIPE_SYNC_MEDIA_SETTLE_SECS=0

"$BIN/screenpipe-sync" dev fixture --out "$WORK/sp" --days 1 --hours-per-day "${BENCH_HOURS:-8}" \
  --monitors "${BENCH_MONITORS:-2}" --frame-interval "${BENCH_FRAME_INTERVAL:-5}" \
  --video-kib "${BENCH_VIDEO_KIB:-256}" --audio-kib "${BENCH_AUDIO_KIB:-64}" --json >"$WORK/fixture.json"
if [ "${BENCH_TEXT_ONLY:-0}" = "1" ]; then rm -f "$WORK"/sp/data/*.mp4; fi
"$BIN/screenpipe-sync" init --json >/dev/null

# `time` reports the push process's user and system CPU (all threads) and its wall time; the
# push's own report adds what it moved.
TIMEFORMAT='%R %U %S'
{ time "$BIN/screenpipe-sync" push --json >"$WORK/push.json" ; } 2>"$WORK/time.txt"
python3 - "$WORK/fixture.json" "$WORK/push.json" "$WORK/time.txt" <<'PY'
import json, sys
fx = json.load(open(sys.argv[1])); push = json.load(open(sys.argv[2]))
wall, user, sys_ = map(float, open(sys.argv[3]).read().split()[-3:])
cpu = user + sys_
mb = push["uploaded_bytes"] / 1e6
plain = (push["media_bytes"] + push["text_json_bytes"]) / 1e6
print(f"fixture: {fx['frames']} frames, {fx['ocr_text']} OCR rows, {fx['audio_transcriptions']} transcriptions, "
      f"{fx['accessibility']} accessibility rows, {fx['ui_events']} UI events, {fx['media_files']} media files "
      f"({fx['media_bytes']/1e6:.1f} MB), {fx['text_bytes']/1e6:.1f} MB of OCR and transcript text")
print(f"push: {push['uploaded_blobs']} blobs ({push['text_bundles']} text bundles, {push['media_files']} media), "
      f"{push['rows']} rows, {mb:.1f} MB uploaded ({plain:.1f} MB of media and bundle JSON before sealing)")
print(f"wall {wall:.2f} s (unlock included), CPU {cpu:.2f} s (user {user:.2f} + sys {sys_:.2f}), "
      f"throughput {mb/wall:.1f} MB/s uploaded, {push['rows']/wall:.0f} rows/s")
PY

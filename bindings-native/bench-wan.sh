#!/usr/bin/env bash
# Push and pull benchmark, loopback and WAN (issue 15; numbers in docs/PERFORMANCE.md).
#
# For each screenpipe generation (0.4.50: JPEG snapshots in media packs; 2026-02: mp4 chunks),
# one device pushes a fixture day and a second, empty one pulls it:
#   (a) on loopback, next to `restic backup` of the same files (data folder and database) in
#       the same run: MB/s and files/s;
#   (b) through the delay proxy (bindings-native/client/examples/delay_proxy.rs) at
#       50 ms RTT / 200 Mbit/s and 150 ms RTT / 20 Mbit/s, with the ratio to the ideal
#       (bytes / bandwidth + 2 s; the target is within 2x). The server's --public-url names the
#       proxy, so the signed object URLs cross it too.
#
# Usage: bindings-native/bench-wan.sh
# Variables: BENCH_HOURS (hours of the loopback day, 8), BENCH_WAN_HOURS (hours of the WAN runs,
# 1), BENCH_GENERATIONS ("0.4.50 2026-02"), BENCH_LINKS ("50:200 150:20", RTT ms:Mbit/s),
# BENCH_UPLOAD_CONCURRENCY / BENCH_DOWNLOAD_CONCURRENCY (the settings' maxima, default 16),
# BENCH_SKIP_LOOPBACK=1, BENCH_SKIP_WAN=1. Needs restic (apt-get install restic) for (a).
# Release builds; run when the machine is otherwise quiet (the load average is printed).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
cargo build -q --release -p sync-server -p screenpipe-sync
cargo build -q --release -p sync-client --example delay_proxy
BIN="$CARGO_TARGET_DIR/release"
WORK="$(mktemp -d -t screenpipe-sync-bench-wan.XXXXXX)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
export SCREENPIPE_SYNC_PASSWORD="violet harbor engine 1987 plum" SCREENPIPE_SYNC_MEDIA_SETTLE_SECS=0
unset SCREENPIPE_SYNC_CONFIG SCREENPIPE_SYNC_BANDWIDTH_LIMIT

# Peak resident memory of a command (KiB, into the file $1) where GNU time is installed.
if [ -x /usr/bin/time ]; then RSS="/usr/bin/time -f %M -o"; else RSS="rss_unknown"; fi
rss_unknown() { echo 0 >"$1"; shift; "$@"; }

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start_server NAME PORT PUBLIC_URL: a server with its own data folder.
start_server() {
  "$BIN/sync-server" serve --data-dir "$WORK/$1" --bind "127.0.0.1:$2" --public-url "$3" >"$WORK/$1.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$2/openapi.yaml" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "server $1 did not start" >&2; cat "$WORK/$1.log" >&2; return 1
}

# start_proxy PORT UPSTREAM_PORT RTT_MS MBIT
start_proxy() {
  "$BIN/examples/delay_proxy" --listen "127.0.0.1:$1" --upstream "127.0.0.1:$2" --rtt-ms "$3" --mbit "$4" \
    >"$WORK/proxy-$1.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do grep -q "listening on" "$WORK/proxy-$1.log" 2>/dev/null && return 0; sleep 0.1; done
  echo "proxy did not start" >&2; return 1
}

# device DIR: the environment of one device at DIR.
device() {
  export SCREENPIPE_SYNC_DB="$1/db.sqlite" SCREENPIPE_SYNC_DATA_DIR="$1/data" SCREENPIPE_SYNC_STATE_DIR="$1/sync"
  mkdir -p "$1/sync"
  printf 'upload_concurrency = %s\ndownload_concurrency = %s\n' \
    "${BENCH_UPLOAD_CONCURRENCY:-16}" "${BENCH_DOWNLOAD_CONCURRENCY:-16}" >"$1/sync/config.toml"
  export SCREENPIPE_SYNC_CONFIG="$1/sync/config.toml"
}

# fixture GEN HOURS OUT
fixture() {
  "$BIN/screenpipe-sync" dev fixture --generation "$1" --out "$3" --days 1 --hours-per-day "$2" --json >"$3.json"
}

# sync_run LABEL GEN HOURS SERVER_NAME URL RTT MBIT: A pushes a copy of the GEN fixture, B pulls it.
sync_run() {
  local label="$1" gen="$2" hours="$3" name="$4" url="$5" rtt="$6" mbit="$7"
  local run="$WORK/run-$label"
  mkdir -p "$run"
  cp -r "$WORK/fixture-$gen-$hours" "$run/a"
  export SCREENPIPE_SYNC_SERVER="$url"
  export SCREENPIPE_SYNC_TOKEN="$("$BIN/sync-server" user add "$label@example.com" --tier team --data-dir "$WORK/$name" | tail -n 1)"
  device "$run/a"
  "$BIN/screenpipe-sync" init --json >/dev/null
  local t0 t1
  t0=$(date +%s.%N); $RSS "$run/push.rss" "$BIN/screenpipe-sync" push --json >"$run/push.json"; t1=$(date +%s.%N)
  echo "$t0 $t1" >"$run/push.time"
  "$BIN/screenpipe-sync" dev fixture --generation "$gen" --out "$run/b" --days 0 --json >/dev/null
  device "$run/b"
  "$BIN/screenpipe-sync" init --json >/dev/null
  t0=$(date +%s.%N); $RSS "$run/pull.rss" "$BIN/screenpipe-sync" pull --json >"$run/pull.json"; t1=$(date +%s.%N)
  echo "$t0 $t1" >"$run/pull.time"
  python3 - "$label" "$gen" "$run" "$rtt" "$mbit" "$WORK/fixture-$gen-$hours" <<'PY'
import json, os, sys
label, gen, run, rtt, mbit, fx_dir = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
push = json.load(open(f"{run}/push.json")); pull = json.load(open(f"{run}/pull.json"))
files = sum(len(f) for _, _, f in os.walk(f"{fx_dir}/data")) + 1
mb = push["uploaded_bytes"] / 1e6
for what, rep in (("push", push), ("pull", pull)):
    t0, t1 = map(float, open(f"{run}/{what}.time").read().split())
    wall = rep["wall_seconds"]
    rss = int(open(f"{run}/{what}.rss").read().split()[-1]) / 1024
    line = (f"{label:<22} {what}: {mb:7.1f} MB, {files:5d} files, {push['uploaded_blobs']:4d} blobs in "
            f"{wall:6.2f} s ({t1 - t0:6.2f} s with process start and unlock): "
            f"{mb / wall:6.1f} MB/s, {files / wall:6.0f} files/s, peak RSS {rss:5.0f} MiB")
    if mbit > 0:
        ideal = push["uploaded_bytes"] * 8 / (mbit * 1e6) + 2
        line += f"; ideal {ideal:5.2f} s, ratio {wall / ideal:4.2f}x ({'within' if wall <= 2 * ideal else 'MISSES'} 2x)"
    print(line)
if pull["failures"] or pull["imported_blobs"] == 0:
    print(f"  pull problems: {pull['failures'][:3]} imported {pull['imported_blobs']}")
PY
}

GENERATIONS="${BENCH_GENERATIONS:-0.4.50 2026-02}"
echo "bench-wan: commit $(git rev-parse --short HEAD), $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

if [ "${BENCH_SKIP_LOOPBACK:-0}" != "1" ]; then
  HOURS="${BENCH_HOURS:-8}"
  PORT="$(free_port)"
  start_server loop "$PORT" "http://127.0.0.1:$PORT"
  for gen in $GENERATIONS; do
    fixture "$gen" "$HOURS" "$WORK/fixture-$gen-$HOURS"
    sync_run "loopback-$gen" "$gen" "$HOURS" loop "http://127.0.0.1:$PORT" 0 0
    if command -v restic >/dev/null; then
      export RESTIC_PASSWORD="bench" RESTIC_REPOSITORY="$WORK/restic-$gen"
      restic init -q >/dev/null
      fx="$WORK/fixture-$gen-$HOURS"
      t0=$(date +%s.%N); restic backup -q "$fx/data" "$fx/db.sqlite" >/dev/null; t1=$(date +%s.%N)
      python3 - "$gen" "$fx" "$t0" "$t1" <<'PY'
import os, sys
gen, fx, t0, t1 = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
size = os.path.getsize(f"{fx}/db.sqlite"); files = 1
for root, _, names in os.walk(f"{fx}/data"):
    for n in names:
        size += os.path.getsize(os.path.join(root, n)); files += 1
wall = t1 - t0
print(f"{'restic-' + gen:<22} backup: {size / 1e6:7.1f} MB, {files:5d} files in {wall:6.2f} s: "
      f"{size / 1e6 / wall:6.1f} MB/s, {files / wall:6.0f} files/s")
PY
      rm -rf "$RESTIC_REPOSITORY"
    else
      echo "restic not installed: apt-get install restic"
    fi
    rm -rf "$WORK/run-loopback-$gen"
  done
fi

if [ "${BENCH_SKIP_WAN:-0}" != "1" ]; then
  HOURS="${BENCH_WAN_HOURS:-1}"
  for gen in $GENERATIONS; do
    [ -d "$WORK/fixture-$gen-$HOURS" ] || fixture "$gen" "$HOURS" "$WORK/fixture-$gen-$HOURS"
  done
  for link in ${BENCH_LINKS:-50:200 150:20}; do
    rtt="${link%%:*}" mbit="${link##*:}"
    SPORT="$(free_port)" PPORT="$(free_port)"
    start_proxy "$PPORT" "$SPORT" "$rtt" "$mbit"
    start_server "wan-$rtt" "$SPORT" "http://127.0.0.1:$PPORT"
    for gen in $GENERATIONS; do
      sync_run "wan-${rtt}ms-${mbit}mbit-$gen" "$gen" "$HOURS" "wan-$rtt" "http://127.0.0.1:$PPORT" "$rtt" "$mbit"
      rm -rf "$WORK/run-wan-${rtt}ms-${mbit}mbit-$gen"
    done
  done
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

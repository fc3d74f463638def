#!/usr/bin/env bash
# The main job (README): a local sync server on the embedded default (SQLite + local files) in a
# temporary folder, an account, a day of realistic screenpipe data written by
# `screenpipe-sync dev fixture` (the screenpipe 0.4.50 generation), pushed end-to-end encrypted,
# searched back, then the desktop daemon (sync in the background, its settings page) started over
# the same database; the viewer's and the daemon's addresses are printed. Idempotent: every run uses a fresh folder (or
# DEMO_DIR, reused) and stops its server on exit. On a terminal the server keeps running until
# Ctrl-C so the viewer can be opened.
#
# Variables: DEMO_DIR (work folder), DEMO_PORT (server port), DEMO_HOURS (hours of recording,
# default 2), DEMO_DAEMON_PORT (the daemon's port, default a free one), DEMO_KEEP=0 (stop the
# server and the daemon at once even on a terminal).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_rust

log "build: sync-server and screenpipe-sync (release)"
cargo build -q --release -p sync-server -p screenpipe-sync
BIN="$CARGO_TARGET_DIR/release"

WORK="${DEMO_DIR:-$(mktemp -d -t screenpipe-sync-demo.XXXXXX)}"
mkdir -p "$WORK"
PORT="${DEMO_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
URL="http://127.0.0.1:$PORT"
SERVER_DATA="$WORK/server"
SERVER_PID=""
DAEMON_PID=""
cleanup() {
  for pid in "$DAEMON_PID" "$SERVER_PID"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
}
trap cleanup EXIT INT TERM

log "web viewer: build (web-demo/build.sh)"
bash web-demo/build.sh

STATIC_ARGS=()
if [ -f web-demo/dist/index.html ]; then
  STATIC_ARGS=(--static-dir "$PWD/web-demo/dist")
fi

log "server: $URL (data in $SERVER_DATA)"
"$BIN/sync-server" serve --data-dir "$SERVER_DATA" --bind "127.0.0.1:$PORT" "${STATIC_ARGS[@]}" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -sf "$URL/openapi.yaml" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log"; echo "the server did not start"; exit 1; }
  sleep 0.1
done

log "account"
if [ -f "$WORK/token" ]; then
  TOKEN="$(cat "$WORK/token")"
else
  TOKEN="$("$BIN/sync-server" user add demo@example.com --tier pro --data-dir "$SERVER_DATA" | tail -n 1)"
  printf '%s\n' "$TOKEN" >"$WORK/token"
fi

export SCREENPIPE_SYNC_SERVER="$URL"
export SCREENPIPE_SYNC_TOKEN="$TOKEN"
export SCREENPIPE_SYNC_DB="$WORK/screenpipe/db.sqlite"
export SCREENPIPE_SYNC_DATA_DIR="$WORK/screenpipe/data"
export SCREENPIPE_SYNC_STATE_DIR="$WORK/screenpipe/sync"
export SCREENPIPE_SYNC_DEVICE_NAME="demo laptop"
export SCREENPIPE_SYNC_PASSWORD="${SCREENPIPE_SYNC_PASSWORD:-violet harbor engine 1987 plum}"
export SCREENPIPE_SYNC_MEDIA_SETTLE_SECS=0
SYNC="$BIN/screenpipe-sync"

log "fixture: a day of screenpipe 0.4.50 recordings (${DEMO_HOURS:-2} active hours: snapshots, screen text, elements, audio, memories, meetings)"
if [ ! -f "$SCREENPIPE_SYNC_DB" ]; then
  "$SYNC" dev fixture --out "$WORK/screenpipe" --days 1 --hours-per-day "${DEMO_HOURS:-2}" --snapshot-kib 24 --audio-kib 16
fi

log "init (a new account prints its recovery phrase once)"
"$SYNC" init

log "push"
"$SYNC" push

log "search: \"budget review\""
"$SYNC" search "budget review" --limit 5
log "search: \"latency\" (cloud only)"
"$SYNC" search "latency" --cloud-only --limit 3

log "status"
"$SYNC" status

DAEMON_PORT="${DEMO_DAEMON_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
DAEMON_URL="http://127.0.0.1:$DAEMON_PORT"
log "daemon: $DAEMON_URL (background sync every 5 minutes, settings page; log in $WORK/daemon.log)"
"$SYNC" daemon --listen "127.0.0.1:$DAEMON_PORT" >"$WORK/daemon.log" 2>&1 &
DAEMON_PID=$!
for _ in $(seq 1 100); do
  curl -sf "$DAEMON_URL/api/status" >/dev/null 2>&1 && break
  kill -0 "$DAEMON_PID" 2>/dev/null || { cat "$WORK/daemon.log"; echo "the daemon did not start"; exit 1; }
  sleep 0.1
done
for _ in $(seq 1 100); do
  curl -sf "$DAEMON_URL/api/status" | grep -q '"locked":false' && break
  sleep 0.1
done
curl -sf "$DAEMON_URL/api/status" | grep -q '"locked":false' || { cat "$WORK/daemon.log"; echo "the daemon did not unlock"; exit 1; }

echo
echo "Server and viewer: $URL/"
echo "  token:    $TOKEN"
echo "  password: $SCREENPIPE_SYNC_PASSWORD"
if [ ${#STATIC_ARGS[@]} -eq 0 ]; then
  echo "  (the viewer is not built: see web-demo/README.md, then run this again)"
fi
echo "Daemon (settings page): $DAEMON_URL/"
echo "  work folder: $WORK"
if [ -t 0 ] && [ -t 1 ] && [ -z "${CI:-}" ] && [ "${DEMO_KEEP:-1}" != "0" ]; then
  echo "The server and the daemon run until Ctrl-C."
  wait "$SERVER_PID" || true
fi

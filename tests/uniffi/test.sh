#!/usr/bin/env bash
# The uniffi bindings of sync-native, tested from Python (pytest) and Kotlin against a real
# sync-server on loopback. Installs what it needs, idempotently: pytest (a venv in the cache),
# kotlin-compiler 2.4.20 from npm (with kotlinx-coroutines), JNA and sqlite3 from Debian.
#
# Usage: bash tests/uniffi/test.sh        (SKIP_KOTLIN=1 or SKIP_PYTHON=1 to run one side)
# Honours CARGO_TARGET_DIR (scripts/lib.sh's default: ~/.cache/screenpipe-sync/target).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh

cache="$HOME/.cache/screenpipe-sync"
work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

log "uniffi: tools (pytest, kotlin-compiler, JNA, sqlite3)"
apt_missing=()
[ -f /usr/share/java/jna.jar ] || apt_missing+=(libjna-java)
command -v sqlite3 >/dev/null || apt_missing+=(sqlite3)
command -v java >/dev/null || apt_missing+=(default-jre-headless)
if [ ${#apt_missing[@]} -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq "${apt_missing[@]}" >/dev/null
fi
venv="$cache/uniffi-venv"
if ! "$venv/bin/python" -c 'import pytest' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q pytest
fi
kotlin_home="$cache/kotlin"
kotlinc="$kotlin_home/node_modules/kotlin-compiler/bin/kotlinc"
if [ ! -x "$kotlinc" ]; then
  mkdir -p "$kotlin_home"
  (cd "$kotlin_home" && npm install --silent --no-audit --no-fund kotlin-compiler@2.4.20 >/dev/null)
fi
kotlin_lib="$kotlin_home/node_modules/kotlin-compiler/lib"

log "uniffi: build sync-server and screenpipe-sync, generate the bindings"
cargo build -q -p sync-server --bin sync-server
cargo build -q -p screenpipe-sync --bin screenpipe-sync
bindings="$cache/uniffi-bindings"
bash bindings-native/generate-bindings.sh "$bindings"
server_bin="$CARGO_TARGET_DIR/debug/sync-server"
cli_bin="$CARGO_TARGET_DIR/debug/screenpipe-sync"

log "uniffi: fixtures and a server on loopback"
"$cli_bin" dev fixture --out "$work/fixture" --days 1 --hours-per-day 1 --monitors 1 --frame-interval 30 \
  --chunk-secs 120 --video-kib 8 --audio-kib 4 --seed 11 >/dev/null
"$cli_bin" dev fixture --out "$work/empty" --days 0 >/dev/null
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
mkdir -p "$work/server"
"$server_bin" serve --data-dir "$work/server" --bind "127.0.0.1:$port" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done

export SYNC_SERVER_URL="http://127.0.0.1:$port" SYNC_SERVER_DATA="$work/server" SYNC_SERVER_BIN="$server_bin"
export SYNC_CLI_BIN="$cli_bin"
export SYNC_FIXTURE="$work/fixture" SYNC_EMPTY_FIXTURE="$work/empty"

if [ "${SKIP_PYTHON:-0}" != 1 ]; then
  log "uniffi: Python (pytest)"
  SYNC_BINDINGS_PY="$bindings/python" "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/uniffi/test_sync_native.py
fi

if [ "${SKIP_KOTLIN:-0}" != 1 ]; then
  log "uniffi: Kotlin"
  cp="/usr/share/java/jna.jar:$kotlin_lib/kotlinx-coroutines-core-jvm.jar"
  classes="$cache/uniffi-kotlin-classes"
  stamp="$(cat "$bindings/kotlin/uniffi/sync_native/sync_native.kt" tests/uniffi/SyncNativeTest.kt | sha256sum | cut -c1-16)"
  if [ "$(cat "$classes/.stamp" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$classes" && mkdir -p "$classes"
    "$kotlinc" -nowarn -cp "$cp" -d "$classes" \
      "$bindings/kotlin/uniffi/sync_native/sync_native.kt" tests/uniffi/SyncNativeTest.kt
    echo "$stamp" >"$classes/.stamp"
  fi
  SYNC_WORK="$work/kotlin" java -Djna.library.path="$bindings/kotlin" \
    -cp "$classes:$cp:$kotlin_lib/kotlin-stdlib.jar" SyncNativeTestKt
fi
echo "uniffi tests passed"

#!/usr/bin/env bash
# Every test of the web viewer, for CI and for developers (installs what it needs, idempotently):
#   1. Chromium from Debian when absent (apt-get; CI runs as root);
#   2. the wasm package (bindings-wasm/build.sh) when dist/ is missing or older than its sources;
#   3. npm ci, then the viewer's build (tsc + vite build into web-demo/dist);
#   4. unit tests (vitest);
#   5. sync-server and screenpipe-sync (cargo build), then the end-to-end test (vitest +
#      playwright-core): a fixture pushed to a real server that serves dist/, driven in Chromium.
# Screenshots: web-demo/test-artifacts/e2e/. Honours CARGO_TARGET_DIR (scripts/lib.sh's default).
# Usage: bash web-demo/test.sh
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
source "$ROOT/scripts/lib.sh"
step() { printf '\n== web-demo: %s (%s)\n' "$*" "$(date +%H:%M:%S)"; }
start=$(date +%s)

if ! command -v chromium >/dev/null; then
  step "apt-get install chromium"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

WASM_DIST="$ROOT/bindings-wasm/dist"
if [ ! -f "$WASM_DIST/web/sync_wasm_bg.wasm" ] || [ ! -f "$WASM_DIST/testing/sync_wasm.js" ] ||
  [ -n "$(find "$ROOT/bindings-wasm/src" "$ROOT/bindings-wasm/js" "$ROOT/core/src" "$ROOT/Cargo.lock" -newer "$WASM_DIST/web/sync_wasm_bg.wasm" -print -quit)" ]; then
  step "build the wasm package (bindings-wasm/build.sh)"
  bash "$ROOT/bindings-wasm/build.sh"
else
  step "the wasm package is up to date"
fi

cd "$HERE"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "npm ci"
  npm ci --no-audit --no-fund
fi

step "build the viewer (tsc, vite build)"
npm run build

step "unit tests (vitest)"
npm test

step "sync-server and screenpipe-sync (cargo build)"
(cd "$ROOT" && cargo build -p sync-server -p sync-native --bins)
export SYNC_SERVER_BIN="$CARGO_TARGET_DIR/debug/sync-server"
export SCREENPIPE_SYNC_BIN="$CARGO_TARGET_DIR/debug/screenpipe-sync"
export CHROMIUM="$(command -v chromium)"

step "end-to-end test (vitest + playwright-core, Chromium, a real server)"
npm run e2e

step "all passed in $(( $(date +%s) - start )) s; screenshots in web-demo/test-artifacts/e2e/"

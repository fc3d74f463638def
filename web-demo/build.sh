#!/usr/bin/env bash
# Builds the web viewer into web-demo/dist (what `sync-server serve --static-dir` serves),
# installing what it needs, idempotently: the wasm package (bindings-wasm/build.sh) when its
# dist/ is missing or older than its sources, then npm ci, then tsc and vite build.
# Honours CARGO_TARGET_DIR. Usage: bash web-demo/build.sh
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
step() { printf '\n== web-demo: %s (%s)\n' "$*" "$(date +%H:%M:%S)"; }

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

step "build the viewer (tsc, vite build) into web-demo/dist"
npm run build

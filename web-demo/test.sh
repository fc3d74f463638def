#!/usr/bin/env bash
# Every test of the web viewer, for CI and for developers (installs what it needs, idempotently):
#   1. Chromium and sqlite3 from Debian when absent (apt-get; CI runs as root);
#   2. build.sh: the wasm package (bindings-wasm/build.sh) when its dist/ is missing or older
#      than its sources, npm ci, then the viewer's build (tsc + vite build into web-demo/dist);
#   3. unit tests (vitest);
#   4. sync-server and screenpipe-sync (cargo build), then the end-to-end test (vitest +
#      playwright-core): a fixture pushed to a real server that serves dist/, driven in Chromium.
# Screenshots: web-demo/test-artifacts/e2e/. Honours CARGO_TARGET_DIR (scripts/lib.sh's default).
# Usage: bash web-demo/test.sh
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
source "$ROOT/scripts/lib.sh"
step() { printf '\n== web-demo: %s (%s)\n' "$*" "$(date +%H:%M:%S)"; }
start=$(date +%s)

# Chromium drives the pages; sqlite3 rewrites the paths of the recorded screenpipe fixture that
# the day view's test pushes (tests/screenpipe/lib.sh, sp_fixture_copy).
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v sqlite3 >/dev/null || missing+=(sqlite3)
if [ ${#missing[@]} -gt 0 ]; then
  step "apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

bash "$HERE/build.sh"
cd "$HERE"

step "unit tests (vitest)"
npm test

step "sync-server and screenpipe-sync (cargo build)"
# Two commands: built together, cargo unifies their features and rebuilds the dependencies the
# earlier test builds already hold.
(cd "$ROOT" && cargo build -p sync-server --bins && cargo build -p screenpipe-sync --bins)
export SYNC_SERVER_BIN="$CARGO_TARGET_DIR/debug/sync-server"
export SCREENPIPE_SYNC_BIN="$CARGO_TARGET_DIR/debug/screenpipe-sync"
export CHROMIUM="$(command -v chromium)"

step "end-to-end test (vitest + playwright-core, Chromium, a real server)"
npm run e2e

step "all passed in $(( $(date +%s) - start )) s; screenshots in web-demo/test-artifacts/e2e/"

#!/usr/bin/env bash
# The daemon's settings page end to end (installs what it needs, idempotently): Chromium from
# Debian when absent, npm ci of playwright-core, sync-server and screenpipe-sync (cargo build),
# then e2e/daemon.e2e.test.mjs in headless Chromium against a real server and a daemon over a
# fixture database. Screenshots: bindings-native/daemon/test-artifacts/e2e/.
# Honours CARGO_TARGET_DIR (scripts/lib.sh's default). Usage: bash bindings-native/daemon/test.sh
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
source "$ROOT/scripts/lib.sh"

if ! command -v chromium >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

(cd "$ROOT" && cargo build -q -p sync-server --bins && cargo build -q -p screenpipe-sync --bins)
export SYNC_SERVER_BIN="$CARGO_TARGET_DIR/debug/sync-server"
export SCREENPIPE_SYNC_BIN="$CARGO_TARGET_DIR/debug/screenpipe-sync"
export CHROMIUM="$(command -v chromium)"

cd "$HERE/e2e"
npm ci --no-audit --no-fund --loglevel=error
npm run e2e

#!/usr/bin/env bash
# screenpipe's own MCP server (mcp-e2e/screenpipe-mcp, unchanged) against the sync daemon: npm ci
# (@modelcontextprotocol/sdk, ws, typescript), tsc of screenpipe-mcp, cargo build of sync-server
# and screenpipe-sync, then mcp.e2e.test.mjs. Honours CARGO_TARGET_DIR (scripts/lib.sh's
# default). Usage: bash bindings-native/daemon/mcp-e2e/test.sh
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
source "$ROOT/scripts/lib.sh"

(cd "$ROOT" && cargo build -q -p sync-server --bins && cargo build -q -p screenpipe-sync --bins)
export SYNC_SERVER_BIN="$CARGO_TARGET_DIR/debug/sync-server"
export SCREENPIPE_SYNC_BIN="$CARGO_TARGET_DIR/debug/screenpipe-sync"

cd "$HERE"
npm ci --no-audit --no-fund --loglevel=error
npm run -s build-mcp
npm run -s e2e

#!/usr/bin/env bash
# Runs every test of the project (the README's test command). Installs what the tests need,
# idempotently. Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

log "toolchain"
ensure_rust

log "core: unit, property, vector and primitive tests"
cargo test -p sync-core --all-features

log "core: vector files through the command-line verifier"
# The dev profile with the test's features reuses the library the tests built (dependencies are
# optimised in dev too, see Cargo.toml); `--release` works the same, as the README shows.
cargo run -q -p sync-core --all-features --example vectors -- verify tests/vectors/*.json

log "core: wasm32 build"
cargo build -p sync-core --target wasm32-unknown-unknown

log "core: fuzz smoke (a few seconds per target)"
ensure_fuzz
(cd core/fuzz && for t in blob_open envelope_keyring bundle_decode zstd_payload; do
  cargo +nightly fuzz run --dev --target-dir "$CARGO_TARGET_DIR/fuzz" "$t" -- -max_total_time="${FUZZ_SECONDS:-5}" -max_len=20000 2>&1 | grep -E '^Done|ERROR|panicked' || { echo "fuzz target $t failed"; exit 1; }
done)

log "server: fuzz smoke of every request body it parses (a few seconds per target)"
(cd server/fuzz && for t in init_body upload_body complete_body download_body search_body keys_body stripe_webhook; do
  cargo +nightly fuzz run --dev --target-dir "$CARGO_TARGET_DIR/fuzz" "$t" -- -max_total_time="${FUZZ_SECONDS:-5}" -max_len=20000 2>&1 | grep -E '^Done|ERROR|panicked' || { echo "fuzz target $t failed"; exit 1; }
done)

log "server: SQLite + local files (the two-process tests start PostgreSQL + SeaweedFS)"
# scripts/services.sh starts PostgreSQL 15 and SeaweedFS on loopback (idempotent); stop them at exit.
trap 'scripts/services.sh stop >/dev/null 2>&1 || true' EXIT
cargo test -p sync-server

log "server: PostgreSQL 15 + SeaweedFS (the same API and binary tests; the store conformance stories on both stores)"
SYNC_TEST_BACKEND=postgres-s3 cargo test -p sync-server --test api --test cli --test store_conformance

log "real screenpipe 0.4.50: install (idempotent), smoke (record, OCR, search)"
bash tests/screenpipe/install.sh
bash tests/screenpipe/smoke.sh
# The client's tests below search the targets with the real binary; require it.
export SCREENPIPE_REQUIRE_REAL=1

log "native client: unit, two devices per pair of screenpipe generations on a real server, schema and live-database rules, CLI (kill -9 during push, quota, device limit), fixture"
cargo test -p sync-client -p screenpipe-sync -p sync-fixture

log "daemon: control API and screenpipe's search API on a real server, login service units, keychain"
cargo test -p sync-daemon

log "daemon: the settings page end to end in Chromium (a real server, a daemon over a fixture)"
bash bindings-native/daemon/test.sh

log "daemon: screenpipe's own MCP server (unchanged, stdio) answers from another device's cloud data"
bash bindings-native/daemon/mcp-e2e/test.sh

log "native client against the real screenpipe: push while it records, pull, its own search"
cargo build -q -p sync-server -p screenpipe-sync
SYNC_BIN_DIR="$CARGO_TARGET_DIR/debug" bash tests/screenpipe/live_push.sh
log "daemon's GET /search against the real screenpipe's search --json on the same database (contract)"
bash tests/screenpipe/search_contract.sh
log "the real screenpipe's own search after archive (its snapshots offloaded) and after restore"
SYNC_BIN_DIR="$CARGO_TARGET_DIR/debug" bash tests/screenpipe/archive_search.sh
log "native bindings: error mapping (the Python and Kotlin tests run below)"
cargo test -p sync-native

log "wasm package: build, wasm-bindgen tests in Node and Chromium, vectors and cross tests in Node, types, bench smoke"
bash bindings-wasm/test.sh

log "web viewer: build, unit tests, end-to-end test in Chromium against a real server with a pushed fixture"
bash web-demo/test.sh

log "uniffi bindings: Python (pytest) and Kotlin drive SyncManager against a real server"
bash tests/uniffi/test.sh

log "all tests passed"

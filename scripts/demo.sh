#!/usr/bin/env bash
# The main job (README): for now, a tour of the core in memory (create an account, package and
# encrypt records, search tokens, unlock elsewhere, search and decrypt).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_rust
cargo run -q --release -p sync-core --example demo

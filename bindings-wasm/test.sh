#!/usr/bin/env bash
# Every test of bindings-wasm (sync-wasm), for CI and for developers:
#   1. build.sh: the npm package (installs the wasm target, wasm-bindgen-cli, npm deps);
#   2. Chromium and chromedriver from Debian when absent (apt-get; CI runs as root);
#   3. the native cross-implementation tool (examples/native_cross.rs, with ring);
#   4. the wasm-bindgen-test suite in Node, then in headless Chromium;
#   5. the Node tests (node --test): vector files, API, native <-> wasm, browser + worker;
#   6. the TypeScript types against a usage file (tsc --noEmit);
#   7. a benchmark smoke run (BENCH_SMOKE=1: tiny sizes, checks it runs; numbers mean nothing).
# Honours CARGO_TARGET_DIR. Usage: bash bindings-wasm/test.sh
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
step() { printf '\n== bindings-wasm: %s (%s)\n' "$*" "$(date +%H:%M:%S)"; }

step "build the package"
bash "$HERE/build.sh"

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  step "apt-get install chromium chromium-driver"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi

cd "$ROOT"
step "native cross-implementation tool"
cargo build -p sync-wasm --example native_cross

# The core optimised (dependencies already are, Cargo.toml): its wasm SIMD Argon2id runs the
# 64 MiB vectors, and unoptimised one of them would block Chromium's page past the runner's 20 s.
CORE_OPT=(--config 'profile.test.package.sync-core.opt-level=3')

step "wasm-bindgen-test in Node"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test "${CORE_OPT[@]}" -p sync-wasm --target wasm32-unknown-unknown --features testing

step "wasm-bindgen-test in headless Chromium"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  CHROMEDRIVER="$(command -v chromedriver)" WASM_BINDGEN_USE_BROWSER=1 \
  cargo test "${CORE_OPT[@]}" -p sync-wasm --target wasm32-unknown-unknown --features testing --test wasm

cd "$HERE"
step "Node tests: vectors, API, native <-> wasm, Chromium + worker"
CHROMIUM="$(command -v chromium)" node --test test/

step "TypeScript types"
node_modules/.bin/tsc -p test/types/tsconfig.json

step "benchmark smoke run"
BENCH_SMOKE=1 node bench/bench.mjs

step "all passed"

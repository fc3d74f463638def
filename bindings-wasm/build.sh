#!/usr/bin/env bash
# Builds the npm package of sync-wasm into bindings-wasm/dist/ and prints the .wasm sizes.
#
#   bash bindings-wasm/build.sh            # dist/web (ES module), dist/node (CommonJS + ESM),
#                                          # dist/testing (Node, with the vector-runner exports)
#   SKIP_TESTING_BUILD=1 bash build.sh     # only what is published
#
# Installs what it needs, idempotently: the wasm32 target, wasm-bindgen-cli at exactly the
# version of wasm-bindgen in Cargo.lock (only when `wasm-bindgen --version` differs), and the
# package's npm dev dependencies (binaryen's wasm-opt among them: Debian's binaryen 108 makes
# modules that fail to load). Honours CARGO_TARGET_DIR.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
WASM_TARGET=wasm32-unknown-unknown
cd "$HERE"

say() { printf '\n== %s\n' "$*"; }

# --- tools -------------------------------------------------------------------------------------
if ! rustup target list --installed | grep -qx "$WASM_TARGET"; then
  say "rustup target add $WASM_TARGET"
  rustup target add "$WASM_TARGET"
fi

WB_VERSION="$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")"
if [ -z "$WB_VERSION" ]; then
  echo "build.sh: no wasm-bindgen in Cargo.lock" >&2
  exit 1
fi
if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WB_VERSION" ]; then
  say "cargo install wasm-bindgen-cli --version $WB_VERSION (about 8 minutes once)"
  # Without --locked: with it the install fails on a webpki-roots version the registry lacks.
  cargo install wasm-bindgen-cli --version "$WB_VERSION"
fi

if [ ! -x node_modules/.bin/wasm-opt ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund
fi
WASM_OPT="$HERE/node_modules/.bin/wasm-opt"

# --- wasm --------------------------------------------------------------------------------------
# +simd128 comes from .cargo/config.toml ([target.wasm32-unknown-unknown] rustflags); a RUSTFLAGS
# in the environment would replace it, so refuse that rather than ship a slow build.
if [ -n "${RUSTFLAGS:-}" ] && [[ "$RUSTFLAGS" != *simd128* ]]; then
  echo "build.sh: RUSTFLAGS is set without +simd128; unset it (the wasm32 flags are in .cargo/config.toml)" >&2
  exit 1
fi

# The features wasm-opt may assume: those rustc enables for this target plus simd128.
WASM_OPT_FEATURES=(--enable-simd --enable-bulk-memory --enable-sign-ext --enable-mutable-globals
  --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue)

build_variant() { # $1 = features ("" or testing), then wasm-bindgen targets as name:target pairs
  local features="$1"; shift
  say "cargo build -p sync-wasm --release --target $WASM_TARGET ${features:+--features $features}"
  (cd "$ROOT" && cargo build -p sync-wasm --release --target "$WASM_TARGET" ${features:+--features "$features"})
  local wasm="$TARGET_DIR/$WASM_TARGET/release/sync_wasm.wasm"
  local pair out target
  for pair in "$@"; do
    out="dist/${pair%%:*}"
    target="${pair##*:}"
    rm -rf "$out"
    wasm-bindgen --target "$target" --out-dir "$out" --out-name sync_wasm "$wasm"
    "$WASM_OPT" -O3 "${WASM_OPT_FEATURES[@]}" "$out/sync_wasm_bg.wasm" -o "$out/sync_wasm_bg.wasm"
    if [ "$target" = nodejs ]; then
      # wasm-bindgen's Node glue is CommonJS; the package is "type": "module".
      echo '{ "type": "commonjs" }' > "$out/package.json"
    fi
  done
}

mkdir -p dist
build_variant "" web:web node:nodejs
if [ -z "${SKIP_TESTING_BUILD:-}" ]; then
  build_variant testing testing:nodejs
fi

# --- JavaScript entries and types ----------------------------------------------------------------
cp js/web/*.js dist/web/
cp js/node/index.cjs js/node/index.mjs dist/node/
cp js/index.d.ts js/worker.d.ts dist/

# --- sizes ---------------------------------------------------------------------------------------
say "sizes"
for f in dist/web/sync_wasm_bg.wasm dist/node/sync_wasm_bg.wasm; do
  raw=$(wc -c < "$f")
  gz=$(gzip -9 -c "$f" | wc -c)
  printf '%-32s %9d bytes raw  %9d bytes gzip -9\n' "$f" "$raw" "$gz"
done
node -e 'import("./dist/node/index.mjs").then(m => console.log("buildInfo", JSON.stringify(m.buildInfo())))'

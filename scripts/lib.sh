# Shared helpers for scripts/demo.sh, scripts/test.sh and .ci/run: idempotent installs of what
# the tests need, and a target directory outside the clone. Source it; do not run it.

# A target dir outside the clone, so CI runs on fresh clones reuse compiled dependencies.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/screenpipe-sync/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
mkdir -p "$CARGO_TARGET_DIR"

log() { printf '\n\033[1m== %s\033[0m (%s)\n' "$*" "$(date +%H:%M:%S)"; }

ensure_rust() {
  rustup component add rustfmt clippy >/dev/null 2>&1 || true
  rustup target add wasm32-unknown-unknown >/dev/null
}

ensure_fuzz() {
  rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
  command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
}

ensure_python_pkg() { # module pip-name
  python3 -c "import $1" 2>/dev/null || python3 -m pip install -q "$2"
}

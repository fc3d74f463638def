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
  # The Linux desktop client links the system's OpenSSL (sync-core's `openssl-aead`): headers and
  # pkg-config to build it (on the base image; apt-get where missing, CI runs as root).
  if ! dpkg -s libssl-dev pkg-config >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libssl-dev pkg-config >/dev/null
  fi
}

ensure_fuzz() {
  rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
  command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
}

ensure_python_pkg() { # module pip-name
  python3 -c "import $1" 2>/dev/null || python3 -m pip install -q "$2"
}

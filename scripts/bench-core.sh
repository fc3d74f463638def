#!/usr/bin/env bash
# Side-by-side benchmark of the core against its peers, in one run (docs/PERFORMANCE.md, "The targets"):
#   blob seal/open (64 KiB segments, 1 GiB streamed) vs `openssl speed -evp chacha20-poly1305`,
#   Argon2id at the defaults vs argon2-cffi (libargon2), search tokens per second.
# Prints each figure and the ratios. Usage: scripts/bench-core.sh [BYTES] (ROUNDS=3)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
BYTES=${1:-1073741824}
python3 -c 'import argon2' 2>/dev/null || python3 -m pip install -q argon2-cffi >/dev/null 2>&1 || true

# The builds the clients use: the core's default Argon2id (single thread), and the Linux desktop
# client's (parallel Argon2id lanes, OpenSSL for blob segments; `ring` and RustCrypto by name).
cargo build -q --release -p sync-core --example throughput
cp "$CARGO_TARGET_DIR/release/examples/throughput" /tmp/throughput-serial
cargo build -q --release -p sync-core --features parallel-kdf,openssl-aead --example throughput
TP="$CARGO_TARGET_DIR/release/examples/throughput"

openssl_mbs() {
  openssl speed -evp chacha20-poly1305 -bytes 65536 -seconds "${1:-3}" 2>/dev/null \
    | awk '/^ChaCha20-Poly1305/ { v=$2; sub(/k$/, "", v); printf "%.1f", v / 1000 }'
}
last() { tail -n 1 | awk '{print $1}'; }
max() { python3 -c "import sys; print(max(float(v) for v in sys.argv[1:]))" "$@"; }

# On a shared machine the load moves between measurements: ROUNDS interleaved rounds of OpenSSL's
# own `speed` and the core's seal and open (a quarter of BYTES each), and the best of each; then
# one full BYTES stream each way for the peak RSS. `seal`/`open` are the in-place segment paths
# (one segment buffer, as `openssl speed` encrypts one buffer) with the native backend (OpenSSL
# in this build); `ring` is the backend where OpenSSL is not built in; `seal-push`/`open-push`
# the copying push API.
echo "== blob seal/open, 64 KiB segments, best of ${ROUNDS:-3} interleaved rounds of $((BYTES / 4)) bytes =="
declare -A best rounds
names=(openssl seal open ring-seal ring-open seal-push open-push)
for _ in $(seq 1 "${ROUNDS:-3}"); do
  for n in "${names[@]}"; do
    case $n in
      openssl) v=$(openssl_mbs 2) ;;
      ring-*) v=$(SYNC_AEAD_BACKEND=ring $TP "${n#ring-}" $((BYTES / 4)) | last) ;;
      *) v=$($TP "$n" $((BYTES / 4)) | last) ;;
    esac
    rounds[$n]="${rounds[$n]:-} $v"
    best[$n]=$(max "$v" "${best[$n]:-0}")
  done
done
portable=$(SYNC_AEAD_BACKEND=portable $TP open $((BYTES / 4)) | last)
echo "openssl speed chacha20-poly1305 (65536-byte blocks): ${best[openssl]} MB/s (rounds:${rounds[openssl]})"
for n in seal open ring-seal ring-open seal-push open-push; do
  printf '%-10s %8s MB/s (rounds:%s)\n' "$n" "${best[$n]}" "${rounds[$n]}"
done
echo "open in place (RustCrypto, wasm's backend): $portable MB/s"
echo "segment AEAD of seal/open: $($TP seal 65536 | grep 'segment AEAD')"
for n in seal open; do
  out=$($TP $n "$BYTES"); echo "$n $BYTES bytes: $(echo "$out" | last) MB/s, $(echo "$out" | grep RSS)"
done
python3 - "${best[openssl]}" "${best[seal]}" "${best[open]}" "${best[ring-seal]}" "${best[ring-open]}" "${best[seal-push]}" "${best[open-push]}" "$portable" <<'PY'
import sys
o, seal, opn, rs, ro, sp, op, port = map(float, sys.argv[1:])
print(f"ratios vs openssl speed: seal {seal/o:.2f}x, open {opn/o:.2f}x in place (target >= 0.90x); "
      f"ring seal {rs/o:.2f}x, open {ro/o:.2f}x; push API seal {sp/o:.2f}x, open {op/o:.2f}x; portable open {port/o:.2f}x")
PY

echo "== Argon2id, m=64 MiB, t=3, p=4 (median of 5) =="
cffi=$(python3 - <<'PY'
import time, argon2.low_level as ll
ts = []
for _ in range(5):
    t = time.perf_counter()
    ll.hash_secret_raw(b"correct horse battery staple", b"\x01" * 32, time_cost=3, memory_cost=65536,
                       parallelism=4, hash_len=32, type=ll.Type.ID)
    ts.append((time.perf_counter() - t) * 1000)
print(f"{sorted(ts)[2]:.1f}")
PY
)
par=$($TP argon2 5 | last)
ser=$(/tmp/throughput-serial argon2 5 | last)
echo "argon2-cffi (libargon2): $cffi ms"
echo "sync-core, parallel-kdf (native clients): $par ms"
echo "sync-core, single thread (core default):  $ser ms"
python3 -c "print(f'ratios vs argon2-cffi: parallel {$par/$cffi:.2f}x, single thread {$ser/$cffi:.2f}x of its time (target < 1.00x)')"

echo "== search tokens (16-byte words) =="
$TP tokens 5000000 | tail -n 1

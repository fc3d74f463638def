#!/usr/bin/env bash
# Side-by-side benchmark of the core against its peers, in one run (DESIGN.md 6, issue 2):
#   blob seal/open (64 KiB segments, 1 GiB streamed) vs `openssl speed -evp chacha20-poly1305`,
#   Argon2id at the defaults vs argon2-cffi (libargon2), search tokens per second.
# Prints each figure and the ratios. Usage: scripts/bench-core.sh [BYTES] (ROUNDS=3)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
BYTES=${1:-1073741824}
python3 -c 'import argon2' 2>/dev/null || python3 -m pip install -q argon2-cffi >/dev/null 2>&1 || true

cargo build -q --release -p sync-core --example throughput
cp "$CARGO_TARGET_DIR/release/examples/throughput" /tmp/throughput-serial
cargo build -q --release -p sync-core --features parallel-kdf --example throughput
TP="$CARGO_TARGET_DIR/release/examples/throughput"

openssl_mbs() {
  openssl speed -evp chacha20-poly1305 -bytes 65536 -seconds "${1:-3}" 2>/dev/null \
    | awk '/^ChaCha20-Poly1305/ { v=$2; sub(/k$/, "", v); printf "%.1f", v / 1000 }'
}
last() { tail -n 1 | awk '{print $1}'; }
max() { python3 -c "import sys; print(max(float(v) for v in sys.argv[1:]))" "$@"; }

# On a shared machine the load moves between measurements: ROUNDS interleaved rounds of OpenSSL,
# seal and open (a quarter of BYTES each), and the best of each; then one full BYTES stream
# each way for the peak RSS. `seal`/`open` are the in-place segment paths (one segment buffer,
# as `openssl speed` encrypts one buffer); `seal-push`/`open-push` the copying push API.
echo "== blob seal/open, 64 KiB segments, best of ${ROUNDS:-3} interleaved rounds of $((BYTES / 4)) bytes =="
os=(); ss=(); ops=(); sps=(); ops_push=()
for _ in $(seq 1 "${ROUNDS:-3}"); do
  os+=("$(openssl_mbs 2)")
  ss+=("$($TP seal $((BYTES / 4)) | last)")
  ops+=("$($TP open $((BYTES / 4)) | last)")
  sps+=("$($TP seal-push $((BYTES / 4)) | last)")
  ops_push+=("$($TP open-push $((BYTES / 4)) | last)")
done
openssl=$(max "${os[@]}"); seal=$(max "${ss[@]}"); open=$(max "${ops[@]}")
seal_push=$(max "${sps[@]}"); open_push=$(max "${ops_push[@]}")
portable=$(SYNC_AEAD_BACKEND=portable $TP open $((BYTES / 4)) | last)
seal_out=$($TP seal "$BYTES"); open_out=$($TP open "$BYTES")
seal_push_out=$($TP seal-push "$BYTES"); open_push_out=$($TP open-push "$BYTES")
echo "openssl chacha20-poly1305 (65536-byte blocks): $openssl MB/s (rounds: ${os[*]})"
echo "seal in place (ring):  $seal MB/s (rounds: ${ss[*]}); $BYTES bytes: $(echo "$seal_out" | last) MB/s, $(echo "$seal_out" | grep RSS)"
echo "open in place (ring):  $open MB/s (rounds: ${ops[*]}); $BYTES bytes: $(echo "$open_out" | last) MB/s, $(echo "$open_out" | grep RSS)"
echo "seal push API (ring):  $seal_push MB/s (rounds: ${sps[*]}); $BYTES bytes: $(echo "$seal_push_out" | last) MB/s, $(echo "$seal_push_out" | grep RSS)"
echo "open push API (ring):  $open_push MB/s (rounds: ${ops_push[*]}); $BYTES bytes: $(echo "$open_push_out" | last) MB/s, $(echo "$open_push_out" | grep RSS)"
echo "open in place (RustCrypto, wasm's backend): $portable MB/s"
python3 -c "print(f'ratios vs openssl: seal {$seal/$openssl:.2f}x, open {$open/$openssl:.2f}x in place (target >= 0.90x); push API seal {$seal_push/$openssl:.2f}x, open {$open_push/$openssl:.2f}x; portable open {$portable/$openssl:.2f}x')"

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

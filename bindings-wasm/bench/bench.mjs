// `npm run bench`: this package against its peers in one Node run, as ratios.
//
// Open throughput, 16 MiB of random data in 64 KiB segments (MB = 10^6 bytes):
//   - this package: keys.blobDecryptor(context) fed 64 KiB + 16 byte chunks (streaming, the way a
//     fetch() body arrives), and keys.decryptBlob(blob, context) on the whole blob;
//   - libsodium-wrappers: crypto_aead_xchacha20poly1305_ietf_decrypt, one call per segment;
//   - WebCrypto AES-256-GCM: one decrypt per segment, awaited one by one, and all in flight.
// Unlock, Argon2id m = 64 MiB, t = 3, p = 4:
//   - this package: unlock(envelope, password) (Argon2id, HKDF, XChaCha unwrap of the key);
//   - hash-wasm: argon2id() with the same parameters (the key derivation alone).
//
// Every contender runs in each round, interleaved, and the medians are compared, so that a
// busy machine slows all of them alike. BENCH_SMOKE=1: 1 MiB and two rounds (a CI smoke run,
// its numbers mean nothing). BENCH_JSON=path writes the results as JSON.
import { webcrypto } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import _sodium from 'libsodium-wrappers';
import { argon2id } from 'hash-wasm';
import * as sync from '../dist/node/index.mjs';

const smoke = process.env.BENCH_SMOKE === '1';
const SIZE = smoke ? 1 << 20 : 16 << 20;
const SEG = 64 << 10;
const OPEN_ROUNDS = smoke ? 2 : 15;
const KDF_ROUNDS = smoke ? 1 : 7;
const KDF = { m_kib: 65536, t: 3, p: 4 };
const PASSWORD = 'correct horse battery staple 1987!';

await _sodium.ready;
const sodium = _sodium;
const subtle = (globalThis.crypto ?? webcrypto).subtle;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mbps = (bytes, ms) => bytes / ms / 1000;

// --- data and ciphertexts ---------------------------------------------------------------------
const data = new Uint8Array(SIZE);
for (let i = 0; i < SIZE; i += 65536) globalThis.crypto.getRandomValues(data.subarray(i, i + 65536));

const { keys } = sync.createAccount(PASSWORD, { m_kib: 19456, t: 2, p: 1 });
const context = {
  blob_id: '5e'.repeat(16),
  blob_type: 'frames',
  device_id: 'bench',
  time_start: 1767600000000,
  time_end: 1767603599999,
};
const blob = keys.encryptBlob(data, context, { segmentExp: 16 });

const sodiumKey = sodium.randombytes_buf(32);
const sodiumSegments = [];
for (let o = 0; o < SIZE; o += SEG) {
  const nonce = sodium.randombytes_buf(24);
  sodiumSegments.push([nonce, sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(data.subarray(o, o + SEG), null, null, nonce, sodiumKey)]);
}

const aesKey = await subtle.importKey('raw', globalThis.crypto.getRandomValues(new Uint8Array(32)), 'AES-GCM', false, ['encrypt', 'decrypt']);
const aesSegments = [];
for (let o = 0; o < SIZE; o += SEG) {
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
  aesSegments.push([iv, new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv }, aesKey, data.subarray(o, o + SEG)))]);
}

// --- contenders -----------------------------------------------------------------------------------
const check = (n) => {
  if (n !== SIZE) throw new Error(`decrypted ${n} bytes, expected ${SIZE}`);
};
const open = {
  'sync-wasm stream (64 KiB pushes)': () => {
    const d = keys.blobDecryptor(context);
    let n = 0;
    for (let o = 0; o < blob.length; o += SEG + 16) n += d.push(blob.subarray(o, o + SEG + 16)).length;
    n += d.finish().length;
    d.free();
    check(n);
  },
  'sync-wasm decryptBlob (whole)': () => check(keys.decryptBlob(blob, context).length),
  'libsodium.js XChaCha20-Poly1305': () => {
    let n = 0;
    for (const [nonce, c] of sodiumSegments) n += sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, c, null, nonce, sodiumKey).length;
    check(n);
  },
  'WebCrypto AES-256-GCM (sequential)': async () => {
    let n = 0;
    for (const [iv, c] of aesSegments) n += (await subtle.decrypt({ name: 'AES-GCM', iv }, aesKey, c)).byteLength;
    check(n);
  },
  'WebCrypto AES-256-GCM (all in flight)': async () => {
    const outs = await Promise.all(aesSegments.map(([iv, c]) => subtle.decrypt({ name: 'AES-GCM', iv }, aesKey, c)));
    check(outs.reduce((n, b) => n + b.byteLength, 0));
  },
};

const times = Object.fromEntries(Object.keys(open).map((k) => [k, []]));
for (const fn of Object.values(open)) await fn(); // warm-up
for (let r = 0; r < OPEN_ROUNDS; r++) {
  for (const [name, fn] of Object.entries(open)) {
    const t0 = performance.now();
    await fn();
    times[name].push(performance.now() - t0);
  }
}

// --- unlock ---------------------------------------------------------------------------------------
const envelope = keys.changePassword(PASSWORD, KDF);
if (JSON.stringify(envelope.kdf) !== JSON.stringify({ alg: 'argon2id', version: 19, ...KDF })) throw new Error('bench envelope parameters');
const salt = globalThis.crypto.getRandomValues(new Uint8Array(32));
const kdfTimes = { 'sync-wasm unlock': [], 'hash-wasm argon2id': [] };
const kdf = {
  'sync-wasm unlock': () => sync.unlock(envelope, PASSWORD).free(),
  'hash-wasm argon2id': () =>
    argon2id({ password: PASSWORD, salt, parallelism: KDF.p, iterations: KDF.t, memorySize: KDF.m_kib, hashLength: 32, outputType: 'binary' }),
};
for (const fn of Object.values(kdf)) await fn(); // warm-up (compiles, grows memory)
for (let r = 0; r < KDF_ROUNDS; r++) {
  for (const [name, fn] of Object.entries(kdf)) {
    const t0 = performance.now();
    await fn();
    kdfTimes[name].push(performance.now() - t0);
  }
}

// --- report ---------------------------------------------------------------------------------------
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
console.log(`sync-wasm ${sync.buildInfo().version} (${sync.buildInfo().segmentAead}), Node ${process.version}, V8 ${process.versions.v8}, ${cpu}, ${os.cpus().length} cores${smoke ? ', SMOKE RUN' : ''}`);
console.log(`\nopen ${SIZE / (1 << 20)} MiB in 64 KiB segments, median of ${OPEN_ROUNDS} rounds (MB = 10^6 bytes):`);
const sodiumMs = median(times['libsodium.js XChaCha20-Poly1305']);
const aesMs = median(times['WebCrypto AES-256-GCM (sequential)']);
const results = { size: SIZE, rounds: OPEN_ROUNDS, open: {}, unlock: {}, smoke };
for (const [name, ts] of Object.entries(times)) {
  const ms = median(ts);
  results.open[name] = { ms, mbps: mbps(SIZE, ms) };
  console.log(
    `  ${name.padEnd(40)} ${mbps(SIZE, ms).toFixed(0).padStart(6)} MB/s   ${(sodiumMs / ms).toFixed(2)}x libsodium.js   ${(aesMs / ms).toFixed(2)}x WebCrypto (seq.)`,
  );
}
console.log(`\nunlock, Argon2id m=64 MiB t=3 p=4, median of ${KDF_ROUNDS} rounds:`);
const hashWasmMs = median(kdfTimes['hash-wasm argon2id']);
for (const [name, ts] of Object.entries(kdfTimes)) {
  const ms = median(ts);
  results.unlock[name] = { ms };
  console.log(`  ${name.padEnd(40)} ${ms.toFixed(0).padStart(6)} ms     ${(ms / hashWasmMs).toFixed(2)}x hash-wasm's time`);
}

const streamRatio = sodiumMs / median(times['sync-wasm stream (64 KiB pushes)']);
const wholeRatio = sodiumMs / median(times['sync-wasm decryptBlob (whole)']);
const kdfRatio = median(kdfTimes['sync-wasm unlock']) / hashWasmMs;
results.ratios = { openStreamVsLibsodium: streamRatio, openWholeVsLibsodium: wholeRatio, unlockVsHashWasm: kdfRatio };
console.log('\ntargets (docs/PERFORMANCE.md, "The targets"):');
console.log(`  open >= 1.00x libsodium.js:      stream ${streamRatio.toFixed(2)}x, whole blob ${wholeRatio.toFixed(2)}x  ${Math.min(streamRatio, wholeRatio) >= 1 ? 'met' : 'NOT MET'}`);
console.log(`  Argon2id <= 0.75x hash-wasm:     ${kdfRatio.toFixed(2)}x  ${kdfRatio <= 0.75 ? 'met' : 'NOT MET'}`);
if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify(results, null, 2));
keys.free();

// Cross-implementation tests between the native core (sync-core with `ring`, through
// examples/native_cross.rs) and this package's Node build:
// - blobs sealed natively open in wasm, one-shot and streamed in random splits;
// - blobs sealed in wasm open natively;
// - a tampered native blob fails in wasm with code 'tampered' and releases no plaintext of the
//   bad segment (only verified bytes of earlier segments, equal to the true plaintext).
// The native tool is built here if needed (cargo build -p sync-wasm --example native_cross; dependencies are optimised in the dev profile).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import * as sync from '../dist/node/index.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const targetDir = process.env.CARGO_TARGET_DIR ? path.resolve(process.env.CARGO_TARGET_DIR) : path.join(root, 'target');
const tool = path.join(targetDir, 'debug', 'examples', process.platform === 'win32' ? 'native_cross.exe' : 'native_cross');
const work = mkdtempSync(path.join(tmpdir(), 'sync-wasm-cross-'));
const unb64 = (text) => new Uint8Array(Buffer.from(text, 'base64url'));
const b64 = (bytes) => Buffer.from(bytes).toString('base64url');

function native(...args) {
  return execFileSync(tool, args, { encoding: 'utf8' });
}

function splitter(seed) {
  let s = seed >>> 0 || 1;
  return (max) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % max;
  };
}

/** Streams `blob` in random chunks; returns {released, error}. */
function stream(keys, blob, context, seed) {
  const rand = splitter(seed);
  const decryptor = keys.blobDecryptor(context);
  const parts = [];
  try {
    let offset = 0;
    while (offset < blob.length) {
      const n = Math.min(blob.length - offset, 1 + rand(rand(3) === 0 ? 100000 : 500));
      parts.push(decryptor.push(blob.subarray(offset, offset + n)));
      offset += n;
    }
    parts.push(decryptor.finish());
    return { released: Buffer.concat(parts) };
  } catch (error) {
    assert.ok(sync.isSyncError(error), String(error));
    return { released: Buffer.concat(parts), error: error.code };
  } finally {
    decryptor.free();
  }
}

before(() => {
  if (!existsSync(tool)) {
    execFileSync('cargo', ['build', '-p', 'sync-wasm', '--example', 'native_cross'], { cwd: root, stdio: 'inherit' });
  }
  assert.ok(existsSync(tool), `${tool} was not built`);
});

test('blobs sealed natively open in wasm, one-shot and streamed in random splits', () => {
  const file = path.join(work, 'native.json');
  native('seal', file);
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(doc.sealed_by, 'ring');
  assert.equal(sync.buildInfo().segmentAead, 'simd128');
  const keys = sync.unlock(doc.envelope, doc.password, doc.keyring);
  let checked = 0;
  doc.blobs.forEach((item, i) => {
    const blob = unb64(item.blob);
    const plain = Buffer.from(unb64(item.plaintext));
    assert.deepEqual(Buffer.from(keys.decryptBlob(blob, item.context)), plain, `blob ${i}`);
    for (let seed = 1; seed <= 8; seed++) {
      const { released, error } = stream(keys, blob, item.context, seed * 7919 + i);
      assert.equal(error, undefined, `blob ${i} seed ${seed}`);
      assert.deepEqual(released, plain, `blob ${i} seed ${seed}`);
      checked++;
    }
  });
  assert.ok(checked >= 80);
  keys.free();
});

test('blobs sealed in wasm open natively', () => {
  const password = 'correct horse battery staple 1987!';
  const account = sync.createAccount(password, { m_kib: 19456, t: 2, p: 1 });
  const rand = splitter(42);
  const cases = [
    ['text', {}, 30000],
    ['text', { segmentExp: 12, compress: false }, 9000],
    ['frames', { segmentExp: 12 }, 0],
    ['frames', { segmentExp: 12 }, 4096],
    ['frames', { segmentExp: 12 }, 3 * 4096 + 1],
    ['frames', {}, 200000],
    ['audio', { segmentExp: 13, pad: true }, 12345],
    ['audio', { compress: true }, 50000],
  ];
  const blobs = cases.map(([blobType, options, len], i) => {
    const data = new Uint8Array(len);
    for (let j = 0; j < len; j++) data[j] = blobType === 'text' ? 97 + (rand(26)) : rand(256);
    const context = {
      blob_id: (i + 16).toString(16).padStart(2, '0').repeat(16),
      blob_type: blobType,
      device_id: 'browser-1',
      time_start: 1767600000000 + i * 1000,
      time_end: 1767600000999 + i * 1000,
    };
    const blob = account.keys.encryptBlob(data, context, options);
    return { context, options, blob: b64(blob), plaintext: b64(data) };
  });
  const file = path.join(work, 'wasm.json');
  writeFileSync(file, JSON.stringify({ password, envelope: account.envelope, keyring: [], blobs }));
  const out = native('open', file);
  assert.match(out, new RegExp(`opened natively: ${cases.length} blobs, every plaintext equal`));
  // And a wasm blob with one flipped bit is refused natively.
  const bad = structuredClone(blobs[5]);
  const bytes = unb64(bad.blob);
  bytes[200] ^= 4;
  bad.blob = b64(bytes);
  writeFileSync(file, JSON.stringify({ password, envelope: account.envelope, keyring: [], blobs: [bad] }));
  assert.throws(() => execFileSync(tool, ['open', file], { stdio: 'pipe' }), /tampered/);
  account.keys.free();
});

test('a tampered native blob fails in wasm with tampered and releases no plaintext of the bad segment', () => {
  const doc = JSON.parse(readFileSync(path.join(here, '../tests/fixtures/native_blobs.json'), 'utf8'));
  const keys = sync.unlock(doc.envelope, doc.password, doc.keyring);
  // The 4 KiB-segment media blobs with several segments.
  const multi = doc.blobs.filter((b) => b.options.segmentExp === 12 && !b.options.compress && !b.options.pad && unb64(b.plaintext).length > 8192);
  assert.ok(multi.length >= 1);
  const rand = splitter(7);
  for (const item of multi) {
    const blob = unb64(item.blob);
    const plain = Buffer.from(unb64(item.plaintext));
    const segments = Math.ceil((blob.length - 88) / (4096 + 16));
    for (let bad = 0; bad < segments; bad++) {
      const tampered = blob.slice();
      const start = 88 + bad * 4112;
      const end = Math.min(start + 4112, tampered.length);
      tampered[start + rand(end - start)] ^= 1 << rand(8);
      assert.throws(() => keys.decryptBlob(tampered, item.context), (e) => sync.isSyncError(e, 'tampered'));
      for (let seed = 1; seed <= 4; seed++) {
        const { released, error } = stream(keys, tampered, item.context, seed + bad * 31);
        assert.equal(error, 'tampered', `segment ${bad}`);
        assert.ok(released.length <= bad * 4096, `segment ${bad}: ${released.length} bytes released`);
        assert.deepEqual(released, plain.subarray(0, released.length));
      }
    }
  }
  keys.free();
});

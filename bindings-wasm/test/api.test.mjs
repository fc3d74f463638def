// The package's JavaScript surface in Node: both entries (ESM and CommonJS), the values and
// errors JavaScript sees, and decryptionStream over a web ReadableStream (as a fetch() body).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as esm from '../dist/node/index.mjs';
import init from '../dist/node/index.mjs';

const require = createRequire(import.meta.url);
const cjs = require('../dist/node/index.cjs');
const sync = esm;
const PASSWORD = 'correct horse battery staple 1987!';
const FAST = { m_kib: 19456, t: 2, p: 1 };
const API = [
  'createAccount',
  'unlock',
  'unlockWithRecovery',
  'terms',
  'errorCodes',
  'buildInfo',
  'Keys',
  'BlobDecryptor',
  'MediaPack',
  'Joiner',
  'isMediaPack',
  'packHeaderLength',
  'packIndex',
  'init',
  'isSyncError',
  'decryptionStream',
];

function context(blobType = 'frames', n = 1) {
  return {
    blob_id: n.toString(16).padStart(2, '0').repeat(16),
    blob_type: blobType,
    device_id: 'node-1',
    time_start: 1767603600000,
    time_end: 1767607199999,
  };
}

test('ESM and CommonJS entries export the same API', async () => {
  for (const name of API) {
    assert.equal(typeof esm[name], 'function', `esm ${name}`);
    assert.equal(esm[name], cjs[name], name);
  }
  assert.equal(init, esm.init);
  await init();
  const info = sync.buildInfo();
  assert.equal(info.simd128, true);
  assert.equal(info.segmentAead, 'simd128');
  assert.equal(info.argon2, 'simd128');
  assert.deepEqual(info.features, []);
  assert.equal(sync.testingKdf, undefined, 'the published build has no testing exports');
});

test('accounts: objects out, SyncErrors with codes, rollback', () => {
  const account = sync.createAccount(PASSWORD, FAST);
  assert.deepEqual(Object.keys(account).sort(), ['envelope', 'keys', 'mnemonic', 'recoveryEnvelope']);
  assert.deepEqual(Object.keys(account.envelope), ['v', 'kdf', 'salt', 'key_id', 'key_version', 'nonce', 'wrapped_key']);
  assert.deepEqual(Object.keys(account.recoveryEnvelope), ['v', 'key_id', 'key_version', 'nonce', 'wrapped_key']);
  assert.ok(account.keys instanceof sync.Keys);
  assert.equal(account.keys.keyId, account.envelope.key_id);
  assert.equal(account.keys.keyVersion, 1);
  // Nothing in the handle is key bytes.
  for (const value of Object.values(account.keys)) assert.ok(!(value instanceof Uint8Array));
  // The envelope survives a JSON round trip (as the server stores it) and unlocks.
  const fromServer = JSON.parse(JSON.stringify(account.envelope));
  const keys = sync.unlock(fromServer, PASSWORD, [], 1);
  assert.equal(keys.keyId, account.keys.keyId);
  const codeOf = (fn) => {
    try {
      fn();
    } catch (error) {
      assert.ok(error instanceof Error);
      assert.equal(error.name, 'SyncError');
      assert.ok(sync.isSyncError(error));
      assert.ok(error.message.length > 0);
      return error.code;
    }
    assert.fail('expected a SyncError');
  };
  assert.equal(codeOf(() => sync.unlock(fromServer, 'nope nope nope 1')), 'wrong_password');
  assert.equal(codeOf(() => sync.unlock(fromServer, PASSWORD, null, 2)), 'rollback');
  assert.equal(codeOf(() => sync.unlock(fromServer, PASSWORD, null, { key_version: 1, key_id: 'cd'.repeat(16) })), 'rollback');
  assert.equal(codeOf(() => sync.unlockWithRecovery(account.recoveryEnvelope, account.mnemonic, [], 5)), 'rollback');
  assert.equal(codeOf(() => sync.unlock({ ...fromServer, v: 2 }, PASSWORD)), 'unsupported');
  assert.equal(codeOf(() => sync.unlock({ ...fromServer, extra: 1 }, PASSWORD)), 'malformed');
  assert.equal(codeOf(() => sync.createAccount('123456')), 'weak_password');
  assert.equal(codeOf(() => keys.decryptBlob(new Uint8Array(10), context())), 'malformed');
  assert.ok(sync.errorCodes().includes('rollback'));
  const recovered = sync.unlockWithRecovery(account.recoveryEnvelope, account.mnemonic);
  const envelope = recovered.changePassword('a brand new passphrase for 2026', FAST);
  assert.equal(sync.unlock(envelope, 'a brand new passphrase for 2026').keyId, account.keys.keyId);
  for (const k of [keys, recovered, account.keys]) k.free();
});

test('blobs: Uint8Array, Buffer and ArrayBuffer in, Uint8Array out; records and tokens', () => {
  const { keys } = sync.createAccount(PASSWORD, FAST);
  const data = new TextEncoder().encode('a frame of video, byte for byte');
  const blob = keys.encryptBlob(data, context());
  assert.ok(blob instanceof Uint8Array);
  for (const input of [blob, Buffer.from(blob), blob.buffer, new DataView(blob.buffer)]) {
    const out = keys.decryptBlob(input, context());
    assert.ok(out instanceof Uint8Array);
    assert.deepEqual(out, data);
  }
  const bundle = {
    v: 1,
    device_id: 'node-1',
    time_start: '2026-01-05T09:00:00.000Z',
    time_end: '2026-01-05T09:05:00.000Z',
    audio_transcriptions: [],
    frames: [{ row_id: 1, offset_index: 0, timestamp: '2026-01-05T09:01:00.000Z', app_name: 'Numbers' }],
    ocr_text: [{ row_id: 1, frame_row_id: 1, text: 'quarterly report draft' }],
  };
  const text = keys.encryptBlob(new TextEncoder().encode(JSON.stringify(bundle)), context('text', 2));
  const records = keys.openRecords(text, context('text', 2));
  // A v1 bundle comes back as v2: the OCR row's text is on its frame, and ocr_text is gone.
  assert.equal(records.v, 2);
  assert.equal(records.ocr_text, undefined);
  assert.equal(records.frames[0].text, 'quarterly report draft');
  assert.equal(records.frames[0].text_source, 'ocr');
  assert.equal(records.frames[0].window_name, null);
  assert.equal(records.frames[0].snapshot, null);
  assert.deepEqual(records.memories, []);
  assert.deepEqual(records.meetings, []);
  const tokens = keys.queryTokens('Quarterly REPORT', Date.UTC(2026, 0, 1), Date.UTC(2026, 1, 10));
  assert.equal(tokens.length, 2 * 2);
  assert.ok(tokens.every((t) => /^[A-Za-z0-9_-]{22}$/.test(t)));
  assert.deepEqual(sync.terms('Quarterly REPORT, report!'), ['quarterly', 'report']);
  keys.free();
});

test('decryptionStream decrypts a ReadableStream (a fetch() body) and errors on a tampered one', async () => {
  const { keys } = sync.createAccount(PASSWORD, FAST);
  const data = new Uint8Array(300000).map((_, i) => (i * 131) & 0xff);
  const blob = keys.encryptBlob(data, context('audio', 3));
  const body = (bytes) =>
    new ReadableStream({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 7777) controller.enqueue(bytes.subarray(i, i + 7777));
        controller.close();
      },
    });
  const decryptor = keys.blobDecryptor(context('audio', 3));
  const plain = await new Response(body(blob).pipeThrough(sync.decryptionStream(decryptor))).arrayBuffer();
  assert.deepEqual(new Uint8Array(plain), data);
  assert.equal(decryptor.__wbg_ptr, 0, 'the decryptor is freed at the end');
  const tampered = blob.slice();
  tampered[100000] ^= 1;
  await assert.rejects(
    new Response(body(tampered).pipeThrough(sync.decryptionStream(keys.blobDecryptor(context('audio', 3))))).arrayBuffer(),
    (error) => sync.isSyncError(error, 'tampered'),
  );
  // Progress counters.
  const d = keys.blobDecryptor(context('audio', 3));
  d.push(blob.subarray(0, 70000));
  assert.equal(d.bytesIn, 70000);
  assert.equal(d.bytesOut, 65536);
  d.free();
  keys.free();
});

test('Joiner: the joiner of device linking (code or link URI), errors with codes', () => {
  const doc = JSON.parse(readFileSync(new URL('../../tests/vectors/pairing.json', import.meta.url), 'utf8'));
  const v = doc.vectors[0];
  const start = Date.parse(v.start);
  const joiner = new sync.Joiner(v.code, 'Browser', 'Chrome on Linux', start);
  assert.equal(joiner.mailbox(), Number(v.code.split('-')[0]));
  assert.equal(joiner.stage(), 'awaiting_initiator');
  const step = joiner.receive(v.messages[0], start);
  assert.equal(step.send.length, 2);
  assert.deepEqual(JSON.parse(step.send[0]).device, { name: 'Browser', os: 'Chrome on Linux' });
  assert.equal(JSON.parse(step.send[1]).kind, 'confirm');
  assert.equal(joiner.stage(), 'awaiting_confirmation');
  // The vector's message 4 confirms another joiner's transcript (other randomness): refused.
  assert.throws(() => joiner.receive(v.messages[3], start), (e) => e.name === 'SyncError' && e.code === 'pairing_failed');
  assert.equal(joiner.stage(), 'ended');
  assert.throws(() => joiner.receive(v.messages[3], start), (e) => e.code === 'invalid_state');
  assert.throws(() => new sync.Joiner('12-not-a-code', 'B', 'C', start), (e) => e.code === 'invalid_input');
  assert.throws(() => new sync.Joiner(v.code, 'bad\u0007name', 'C', start), (e) => e.code === 'invalid_input');
  const uri = `screenpipe-sync://link?v=1&code=${v.code}&server=https%3A%2F%2Fsync.example.com`;
  assert.equal(new sync.Joiner(uri, 'B', 'C', start).mailbox(), joiner.mailbox());
});

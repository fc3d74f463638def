// Media packs in Node: packs built by the core (the testing build's `testingMediaPack`, the
// packager's own code), opened by the published API whole, from their first bytes, and inside
// an encrypted `frames` blob; a records bundle v2 naming a snapshot; malformed packs refused
// with their stable codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as sync from '../dist/node/index.mjs';

const require = createRequire(import.meta.url);
const testing = require('../dist/testing/sync_wasm.js');
const PASSWORD = 'correct horse battery staple 1987!';
const FAST = { m_kib: 19456, t: 2, p: 1 };
const jpeg = (label) => new Uint8Array([0xff, 0xd8, 0xff, 0xe0, ...new TextEncoder().encode(label), 0xff, 0xd9]);
const FILES = [
  { name: '1796477777811_m60.jpg', time: 1796477777811, type: 'image/jpeg', bytes: jpeg('first snapshot') },
  { name: '1796477807811_m60.jpg', time: '2026-12-05T13:36:47.811Z', type: 'image/jpeg', bytes: jpeg('second, longer snapshot') },
];
const context = (blobType, n, deviceId = 'laptop-1') => ({
  blob_id: n.toString(16).padStart(2, '0').repeat(16),
  blob_type: blobType,
  device_id: deviceId,
  time_start: '2026-12-05T13:35:00.000Z',
  time_end: '2026-12-05T13:39:59.999Z',
});

test('a pack built by the core opens whole, and gives each entry by name', () => {
  const payload = testing.testingMediaPack(FILES);
  assert.equal(sync.isMediaPack(payload), true);
  assert.equal(sync.isMediaPack(new TextEncoder().encode('\0\0\0\x18ftypisom')), false);
  const pack = new sync.MediaPack(payload);
  assert.equal(pack.payloadLength, payload.length);
  assert.deepEqual(
    pack.entries.map(({ name, size, time, type }) => ({ name, size, time, type })),
    [
      { name: FILES[0].name, size: FILES[0].bytes.length, time: '2026-12-05T13:36:17.811Z', type: 'image/jpeg' },
      { name: FILES[1].name, size: FILES[1].bytes.length, time: '2026-12-05T13:36:47.811Z', type: 'image/jpeg' },
    ],
  );
  assert.equal(pack.entries[0].offset, pack.headerLength);
  assert.equal(pack.entries[1].offset, pack.headerLength + FILES[0].bytes.length);
  assert.deepEqual(pack.entry(FILES[1].name), FILES[1].bytes);
  assert.deepEqual(pack.entry(FILES[0].name), FILES[0].bytes);
  assert.equal(pack.entry('not-there.jpg'), undefined);
  assert.equal(pack.entryType(FILES[0].name), 'image/jpeg');
  pack.free();
});

test('the index reads from the first bytes, to seek to one entry', () => {
  const payload = testing.testingMediaPack(FILES);
  const headerLength = sync.packHeaderLength(payload.subarray(0, 12));
  const index = sync.packIndex(payload.subarray(0, headerLength));
  assert.equal(index.headerLength, headerLength);
  assert.equal(index.payloadLength, payload.length);
  const second = index.entries[1];
  assert.deepEqual(payload.subarray(second.offset, second.offset + second.size), FILES[1].bytes);
  assert.throws(() => sync.packIndex(payload.subarray(0, headerLength - 1)), (e) => sync.isSyncError(e, 'truncated'));
});

test('malformed packs are refused with their stable codes', () => {
  const payload = testing.testingMediaPack(FILES);
  const refused = (bytes, code) =>
    assert.throws(() => new sync.MediaPack(bytes), (e) => sync.isSyncError(e, code), code);
  refused(payload.subarray(0, payload.length - 1), 'truncated');
  refused(new Uint8Array([...payload, 0]), 'malformed');
  const badMagic = payload.slice();
  badMagic[0] = 0x58;
  refused(badMagic, 'malformed');
  const newer = payload.slice();
  newer[4] = 2;
  refused(newer, 'unsupported');
  const spaced = payload.slice();
  spaced[13] = 0x20; // the index is no longer the canonical JSON
  refused(spaced, 'malformed');
  assert.throws(() => sync.packHeaderLength(new Uint8Array(4)), (e) => sync.isSyncError(e, 'malformed'));
  // The core refuses to build a pack with a bad entry name, too.
  assert.throws(
    () => testing.testingMediaPack([{ ...FILES[0], name: '../etc/passwd' }]),
    (e) => e.name === 'SyncError' && e.code === 'malformed',
  );
});

test('a bundle v2 names a snapshot; keys.openPack opens its frames blob', () => {
  const { keys } = sync.createAccount(PASSWORD, FAST);
  const packContext = context('frames', 7);
  const packBlob = keys.encryptBlob(testing.testingMediaPack(FILES), packContext);
  const bundle = {
    v: 2,
    device_id: 'laptop-1',
    time_start: '2026-12-05T13:35:00.000Z',
    time_end: '2026-12-05T13:39:59.999Z',
    frames: [
      {
        row_id: 17,
        offset_index: 0,
        timestamp: '2026-12-05T13:36:17.811204094+00:00',
        app_name: 'Arc',
        snapshot: { blob_id: packContext.blob_id, entry: FILES[0].name, file_name: FILES[0].name },
        text: 'the quokka budget review',
        text_source: 'ocr',
      },
    ],
    elements: [{ row_id: 10, frame_row_id: 17, source: 'ocr', role: 'word', text: 'quokka', depth: 4, sort_order: 0, bounds: [0.05, 0.066, 0.11, 0.046] }],
    memories: [
      { row_id: 6, content: 'Dana prefers marmalade', source: 'user', tags: '["preferences"]', created_at: '2026-12-05T13:30:00.000Z', updated_at: '2026-12-05T13:38:00.000Z' },
    ],
    meetings: [{ row_id: 7, meeting_start: '2026-12-05T13:35:30.000Z', meeting_app: 'zoom.us', title: 'Kumquat roadmap' }],
  };
  const textContext = context('text', 8);
  const records = keys.openRecords(keys.encryptBlob(new TextEncoder().encode(JSON.stringify(bundle)), textContext), textContext);
  assert.equal(records.v, 2);
  const frame = records.frames[0];
  assert.equal(frame.text, 'the quokka budget review');
  assert.deepEqual(frame.snapshot, bundle.frames[0].snapshot);
  assert.deepEqual(records.elements[0].bounds, [0.05, 0.066, 0.11, 0.046]);
  assert.equal(records.memories[0].content, 'Dana prefers marmalade');
  assert.equal(records.memories[0].frame_row_id, null);
  assert.equal(records.meetings[0].title, 'Kumquat roadmap');
  assert.equal(records.meetings[0].meeting_end, null);

  const pack = keys.openPack(packBlob, packContext);
  assert.deepEqual(pack.entry(frame.snapshot.entry), FILES[0].bytes);
  pack.free();
  assert.throws(() => keys.openPack(packBlob, textContext), (e) => sync.isSyncError(e, 'wrong_key_or_context'));
  const notPack = keys.encryptBlob(new TextEncoder().encode('\0\0\0\x18ftypisom video'), context('frames', 9));
  assert.throws(() => keys.openPack(notPack, context('frames', 9)), (e) => sync.isSyncError(e, 'malformed'));
  const textBlob = keys.encryptBlob(testing.testingMediaPack(FILES), textContext);
  assert.throws(() => keys.openPack(textBlob, textContext), (e) => sync.isSyncError(e, 'invalid_input'));
  keys.free();
});

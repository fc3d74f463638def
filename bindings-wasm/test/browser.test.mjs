// The browser build in headless Chromium (playwright-core, the system's /usr/bin/chromium):
// the ES module entry, the Web Worker wrapper (unlock off the main thread, errors with their
// code across the worker boundary, keys kept in the worker), and a fetch() body decrypted
// through decryptionStream.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const types = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
let server;
let browser;
let page;
let userDataDir;
let origin;

before(async () => {
  server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const file = path.join(root, path.normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, ''));
    if (!file.startsWith(root)) return res.writeHead(403).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${server.address().port}`;
  userDataDir = await mkdtemp(path.join(tmpdir(), 'sync-wasm-chromium-'));
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  await page.goto(`${origin}/test/browser/page.html`);
  await page.waitForFunction(() => window.ready !== undefined);
  assert.equal(await page.evaluate(() => window.ready), true, errors.join('\n'));
});

after(async () => {
  await browser?.close();
  server?.close();
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
});

test('the ES module build loads in Chromium with SIMD', async () => {
  const info = await page.evaluate(() => window.sync.buildInfo());
  assert.equal(info.simd128, true);
  assert.equal(info.segmentAead, 'simd128');
  assert.equal(info.argon2, 'simd128');
  assert.deepEqual(await page.evaluate(() => window.sync.terms('Hello Wörld')), ['hello', 'wörld']);
});

test('unlock runs in the worker: the main thread keeps running, keys stay there, codes cross', async () => {
  const out = await page.evaluate(async () => {
    const { sync, SyncWorker } = window;
    const PASSWORD = 'correct horse battery staple 1987!';
    const worker = new SyncWorker();
    // Default parameters (64 MiB, t=3, p=4): the slow, real case.
    const account = await worker.createAccount(PASSWORD);
    const result = { envelopeKdf: account.envelope.kdf, words: account.mnemonic.split(' ').length };
    // While the worker derives the key, the main thread runs a timer callback first.
    let ticked = false;
    setTimeout(() => (ticked = true), 0);
    const keys = await worker.unlock(account.envelope, PASSWORD, [], 1);
    result.tickedBeforeUnlockResolved = ticked;
    result.keyId = keys.keyId === account.envelope.key_id;
    result.handleHasNoBytes = Object.values(keys).every((v) => !(v instanceof Uint8Array));
    const codeOf = (p) => p.then(() => 'no error', (e) => `${e.name}:${e.code}:${e instanceof Error}`);
    result.wrong = await codeOf(worker.unlock(account.envelope, 'wrong password 42'));
    result.rollback = await codeOf(worker.unlock(account.envelope, PASSWORD, [], 2));
    // Blobs sealed in the worker open on the main thread with keys unlocked there, and back.
    const ctx = { blob_id: 'ab'.repeat(16), blob_type: 'frames', device_id: 'tab-1', time_start: 1767600000000, time_end: 1767603599999 };
    const data = new Uint8Array(150000).map((_, i) => i & 0xff);
    const sealed = await keys.encryptBlob(data, ctx, { segmentExp: 12 });
    const local = sync.unlock(account.envelope, PASSWORD);
    result.mainOpensWorker = sync.buildInfo().simd128 && local.decryptBlob(sealed, ctx).every((b, i) => b === data[i]);
    const sealedHere = local.encryptBlob(data, ctx);
    const opened = await keys.decryptBlob(sealedHere, ctx);
    result.workerOpensMain = opened.length === data.length && opened.every((b, i) => b === data[i]);
    // Streaming in the worker.
    const d = await keys.blobDecryptor(ctx);
    let n = 0;
    for (let i = 0; i < sealed.length; i += 10000) n += (await d.push(sealed.subarray(i, i + 10000))).length;
    n += (await d.finish()).length;
    result.streamed = n;
    const tampered = sealed.slice();
    tampered[5000] ^= 1;
    result.tampered = await codeOf(keys.decryptBlob(tampered, ctx));
    result.tokensEqual = JSON.stringify(await keys.queryTokens('hello world', 1767600000000, 1767603599999)) ===
      JSON.stringify(local.queryTokens('hello world', 1767600000000, 1767603599999));
    await keys.free();
    result.afterFree = await codeOf(keys.decryptBlob(sealed, ctx));
    worker.terminate();
    local.free();
    return result;
  });
  assert.deepEqual(out.envelopeKdf, { alg: 'argon2id', version: 19, m_kib: 65536, t: 3, p: 4 });
  assert.equal(out.words, 24);
  assert.equal(out.tickedBeforeUnlockResolved, true);
  assert.equal(out.keyId, true);
  assert.equal(out.handleHasNoBytes, true);
  assert.equal(out.wrong, 'SyncError:wrong_password:true');
  assert.equal(out.rollback, 'SyncError:rollback:true');
  assert.equal(out.mainOpensWorker, true);
  assert.equal(out.workerOpensMain, true);
  assert.equal(out.streamed, 150000);
  assert.equal(out.tampered, 'SyncError:tampered:true');
  assert.equal(out.tokensEqual, true);
  assert.equal(out.afterFree, 'SyncError:invalid_state:true');
});

test('the worker opens a media pack blob and hands out one entry', async () => {
  const testing = createRequire(import.meta.url)('../dist/testing/sync_wasm.js');
  const snapshot = [0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9];
  const payload = Array.from(
    testing.testingMediaPack([
      { name: 'a.jpg', time: 1796477777811, type: 'image/jpeg', bytes: new Uint8Array([9, 9]) },
      { name: '1796477807811_m60.jpg', time: 1796477807811, type: 'image/jpeg', bytes: new Uint8Array(snapshot) },
    ]),
  );
  const out = await page.evaluate(async (payload) => {
    const { sync, SyncWorker } = window;
    const PASSWORD = 'correct horse battery staple 1987!';
    const worker = new SyncWorker();
    const account = await worker.createAccount(PASSWORD, { m_kib: 19456, t: 2, p: 1 });
    const keys = account.keys;
    const ctx = { blob_id: 'cd'.repeat(16), blob_type: 'frames', device_id: 'tab-1', time_start: 1796477777811, time_end: 1796477807811 };
    const sealed = await keys.encryptBlob(new Uint8Array(payload), ctx);
    const pack = await keys.openPack(sealed, ctx);
    const result = { names: pack.entries.map((e) => e.name), isPack: await worker.isMediaPack(new Uint8Array(payload)) };
    result.entry = Array.from(await pack.entry('1796477807811_m60.jpg'));
    result.missing = (await pack.entry('nope.jpg')) === undefined;
    const header = await worker.packHeaderLength(new Uint8Array(payload.slice(0, 12)));
    result.indexEntries = (await worker.packIndex(new Uint8Array(payload.slice(0, header)))).entries.length;
    await pack.free();
    const codeOf = (p) => p.then(() => 'no error', (e) => `${e.name}:${e.code}`);
    result.afterFree = await codeOf(pack.entry('a.jpg'));
    const fromPayload = await worker.openMediaPack(new Uint8Array(payload));
    result.fromPayload = Array.from(await fromPayload.entry('a.jpg'));
    await fromPayload.free();
    result.payloadCut = await codeOf(worker.openMediaPack(new Uint8Array(payload.slice(0, payload.length - 1))));
    const cut = await keys.encryptBlob(new Uint8Array(payload.slice(0, payload.length - 1)), ctx);
    result.cut = await codeOf(keys.openPack(cut, ctx));
    worker.terminate();
    return result;
  }, payload);
  assert.deepEqual(out.names, ['a.jpg', '1796477807811_m60.jpg']);
  assert.equal(out.isPack, true);
  assert.deepEqual(out.entry, snapshot);
  assert.equal(out.missing, true);
  assert.equal(out.indexEntries, 2);
  assert.equal(out.afterFree, 'SyncError:invalid_state');
  assert.equal(out.cut, 'SyncError:truncated');
  assert.deepEqual(out.fromPayload, [9, 9]);
  assert.equal(out.payloadCut, 'SyncError:truncated');
});

test('a fetch() body decrypts through decryptionStream in the page', async () => {
  const out = await page.evaluate(async () => {
    const { sync } = window;
    const { keys } = sync.createAccount('correct horse battery staple 1987!', { m_kib: 19456, t: 2, p: 1 });
    const ctx = { blob_id: 'cd'.repeat(16), blob_type: 'audio', device_id: 'tab-1', time_start: '2026-01-05T09:00:00.000Z', time_end: '2026-01-05T09:59:59.999Z' };
    const data = new Uint8Array(1 << 20).map((_, i) => (i * 7) & 0xff);
    const blob = keys.encryptBlob(data, ctx);
    const url = URL.createObjectURL(new Blob([blob]));
    // Read with a reader: a stream error then arrives as the SyncError itself (a Response built
    // over the stream would report a generic TypeError instead).
    const readAll = async (stream) => {
      const reader = stream.getReader();
      const parts = [];
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(value);
      }
      return new Uint8Array(await new Blob(parts).arrayBuffer());
    };
    const response = await fetch(url);
    const plain = await readAll(response.body.pipeThrough(sync.decryptionStream(keys.blobDecryptor(ctx))));
    const bad = blob.slice();
    bad[bad.length - 3] ^= 1;
    const badUrl = URL.createObjectURL(new Blob([bad]));
    let code = 'no error';
    try {
      await readAll((await fetch(badUrl)).body.pipeThrough(sync.decryptionStream(keys.blobDecryptor(ctx))));
    } catch (e) {
      code = e.code;
    }
    keys.free();
    return { equal: plain.length === data.length && plain.every((b, i) => b === data[i]), code };
  });
  assert.deepEqual(out, { equal: true, code: 'tampered' });
});

// screenpipe's own MCP server (screenpipe-mcp, unchanged) started against the sync daemon as an
// MCP client starts it (stdio, @modelcontextprotocol/sdk's client), answering a `search-content`
// tool call with text that only another device saw: device A pushes (screenpipe-sync init +
// push), device B (an empty screenpipe database, pulling off) runs `screenpipe-sync daemon
// --no-api-key` (the February 2026 screenpipe-mcp sends no key), and its answer comes from the
// cloud. Binaries: SYNC_SERVER_BIN, SCREENPIPE_SYNC_BIN (test.sh builds them).

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

import { freePort, query, PASSWORD } from '../e2e/stack.mjs';
import { spawn } from 'node:child_process';

const run = promisify(execFile);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const MCP = path.join(HERE, 'screenpipe-mcp', 'dist', 'index.js');
const WORD = 'heliotropezanzibar';
const A_TEXT = `device a only: the ${WORD} quarterly plan`;

function bin(env) {
  const v = process.env[env];
  if (!v) throw new Error(`${env} is not set (run bindings-native/daemon/mcp-e2e/test.sh)`);
  return v;
}

async function waitFor(what, f, child, log) {
  for (let i = 0; i < 1200; i++) {
    if (child && child.exitCode !== null) throw new Error(`${what}: the process exited:\n${log()}`);
    try {
      if (await f()) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out: ${what}\n${log ? log() : ''}`);
}

function spawnLogged(file, args, env) {
  let log = '';
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  return { child, log: () => log };
}

async function stop(child) {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

let dir;
let server;
let daemon;
let daemonPort;

before(async () => {
  const serverBin = bin('SYNC_SERVER_BIN');
  const cli = bin('SCREENPIPE_SYNC_BIN');
  dir = mkdtempSync(path.join(tmpdir(), 'mcp-e2e-'));
  const dataDir = path.join(dir, 'server-data');
  const fixture = (out, days) => ['dev', 'fixture', '--json', '--out', out, '--days', days, '--hours-per-day', '1', '--monitors', '1', '--frame-interval', '30', '--chunk-secs', '300', '--video-kib', '8', '--audio-kib', '8', '--seed', '7'];
  await run(cli, fixture(path.join(dir, 'a'), '1'));
  await run(cli, fixture(path.join(dir, 'b'), '0'));
  await query(
    path.join(dir, 'a', 'db.sqlite'),
    `INSERT INTO frames (offset_index, timestamp, app_name, window_name, focused, device_name, full_text, text_source, capture_trigger)
     VALUES (0, '2026-01-20T15:04:05.5+00:00', 'Notes', 'plan.md', 1, 'monitor_1', '${A_TEXT}', 'ocr', 'manual')`,
    true,
  );

  const { stdout } = await run(serverBin, ['user', 'add', 'mcp@example.com', '--tier', 'pro', '--data-dir', dataDir]);
  const token = stdout.trim().split('\n').pop().trim();
  const serverPort = await freePort();
  const serverUrl = `http://127.0.0.1:${serverPort}`;
  server = spawnLogged(serverBin, ['serve', '--data-dir', dataDir, '--bind', `127.0.0.1:${serverPort}`], { ...process.env, RUST_LOG: 'warn' });
  await waitFor('the server', async () => (await fetch(`${serverUrl}/openapi.yaml`)).ok, server.child, server.log);

  const device = (name, folder) => ({
    ...process.env,
    SCREENPIPE_SYNC_SERVER: serverUrl,
    SCREENPIPE_SYNC_TOKEN: token,
    SCREENPIPE_SYNC_DB: path.join(dir, folder, 'db.sqlite'),
    SCREENPIPE_SYNC_DATA_DIR: path.join(dir, folder, 'data'),
    SCREENPIPE_SYNC_STATE_DIR: path.join(dir, folder, 'sync'),
    SCREENPIPE_SYNC_DEVICE_NAME: name,
    SCREENPIPE_SYNC_PASSWORD: PASSWORD,
    SCREENPIPE_SYNC_MEDIA_SETTLE_SECS: '0',
  });
  await run(cli, ['init', '--json', '--quiet'], { env: device('A', 'a') });
  await run(cli, ['push', '--json', '--quiet'], { env: device('A', 'a') });

  // B joins the account (its keys from the password), and does not pull: what it answers
  // about A comes from the cloud.
  await run(cli, ['init', '--json', '--quiet'], { env: device('B', 'b') });
  mkdirSync(path.join(dir, 'b', 'sync'), { recursive: true });
  writeFileSync(path.join(dir, 'b', 'sync', 'config.toml'), 'pull = false\n');
  daemonPort = await freePort();
  daemon = spawnLogged(cli, ['daemon', '--listen', `127.0.0.1:${daemonPort}`, '--no-api-key'], { ...device('B', 'b'), RUST_LOG: 'info' });
  const status = async () => (await fetch(`http://127.0.0.1:${daemonPort}/api/status`)).json();
  await waitFor('the daemon unlocked', async () => (await status()).locked === false, daemon.child, daemon.log);
  assert.match(daemon.log(), /SEARCH API WITHOUT A KEY/, 'loud in the log');
});

after(async () => {
  await stop(daemon?.child);
  await stop(server?.child);
  if (dir && !process.env.KEEP_E2E_DIR) rmSync(dir, { recursive: true, force: true });
});

test('screenpipe-mcp answers search-content with text only device A saw', async () => {
  const transport = new StdioClientTransport({ command: process.execPath, args: [MCP, '--port', String(daemonPort)], stderr: 'pipe' });
  const client = new Client({ name: 'sync-daemon-mcp-e2e', version: '0.1.0' });
  await client.connect(transport);
  try {
    const { tools } = await client.listTools();
    assert.ok(tools.some((t) => t.name === 'search-content'));
    const result = await client.callTool({ name: 'search-content', arguments: { q: WORD, content_type: 'ocr', limit: 10 } });
    const text = result.content.filter((c) => c.type === 'text').map((c) => c.text).join('\n');
    assert.ok(!result.isError, text);
    assert.match(text, new RegExp(A_TEXT), text);
    assert.match(text, /\[OCR\] Notes \| plan\.md/, text);
    assert.match(text, /Results: 1\/1/, text);
    // A tool whose endpoint the daemon does not serve fails clearly (501), not with a 404 page.
    const events = await client.callTool({ name: 'search-ui-events', arguments: { q: WORD } }).catch((e) => ({ isError: true, content: [{ type: 'text', text: String(e) }] }));
    const eventsText = events.content.map((c) => c.text ?? '').join('\n');
    assert.ok(events.isError || /501/.test(eventsText), eventsText);
  } finally {
    await client.close();
  }
  // The daemon's own answer names the origin: the cloud.
  const r = await fetch(`http://127.0.0.1:${daemonPort}/search?q=${WORD}`);
  const body = await r.json();
  assert.equal(body.data.length, 1, JSON.stringify(body));
  assert.equal(body.data[0].source, 'cloud');
  assert.equal(body.data[0].content.text, A_TEXT);
});

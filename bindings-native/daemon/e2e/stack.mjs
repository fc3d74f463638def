// The real stack of the daemon's end-to-end test (the approach of web-demo/test/e2e/stack.ts):
// a screenpipe fixture (screenpipe-sync dev fixture), a sync-server with an account, another
// device that created the account's keys (screenpipe-sync init), and the daemon
// (screenpipe-sync daemon) over the fixture. Binaries come from SYNC_SERVER_BIN and
// SCREENPIPE_SYNC_BIN (test.sh builds them with cargo).

import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const PASSWORD = 'Daemon e2e: violet harbor engine 1987!';
export const WRONG_PASSWORD = 'Daemon e2e: not the password 2024?';

function bin(env) {
  const value = process.env[env];
  if (!value) throw new Error(`${env} is not set (run bindings-native/daemon/test.sh, which builds the binaries)`);
  return value;
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url, child, log) {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited (${child.exitCode}):\n${log()}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing answers at ${url}:\n${log()}`);
}

function spawnLogged(file, args, env) {
  let log = '';
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  return { child, log: () => log };
}

async function stopChild(child) {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

/** Rows of a SQLite database (through Python's sqlite3: Node 20 has no SQLite). */
export async function query(db, sql, write = false) {
  const mode = write ? 'rw' : 'ro';
  const script = `import json,sqlite3,sys\nc=sqlite3.connect("file:"+sys.argv[1]+"?mode=${mode}",uri=True,timeout=30)\nc.row_factory=sqlite3.Row\nrows=[dict(r) for r in c.execute(sys.argv[2])]\nc.commit()\nprint(json.dumps(rows))`;
  const { stdout } = await run('python3', ['-c', script, db, sql], { maxBuffer: 64 << 20 });
  return JSON.parse(stdout);
}

/** A raw HTTP request (node:http lets the test set any Host header). */
/** A page of another origin (a stand-in for any web site the person visits): an empty HTML page. */
export async function startOtherOrigin() {
  const port = await freePort();
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>another site</title><p>another site</p>');
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://localhost:${port}/`, close: () => new Promise((resolve) => server.close(resolve)) };
}

export function raw(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

/** Starts the server, the other device and the daemon. */
export async function startStack() {
  const serverBin = bin('SYNC_SERVER_BIN');
  const cliBin = bin('SCREENPIPE_SYNC_BIN');
  const dir = mkdtempSync(path.join(tmpdir(), 'daemon-e2e-'));
  const dataDir = path.join(dir, 'server-data');

  // 1. Fixtures: one hour of one day on this computer; an empty database on the other device.
  const fixtureArgs = (out, days) => ['dev', 'fixture', '--json', '--out', out, '--days', days, '--hours-per-day', '1', '--monitors', '1', '--frame-interval', '10', '--chunk-secs', '300', '--video-kib', '16', '--audio-kib', '8', '--seed', '5'];
  const { stdout: fixtureOut } = await run(cliBin, fixtureArgs(path.join(dir, 'laptop'), '1'));
  const fixture = JSON.parse(fixtureOut);
  await run(cliBin, fixtureArgs(path.join(dir, 'desktop'), '0'));

  // 2. The server and an account.
  const { stdout: userOut } = await run(serverBin, ['user', 'add', 'daemon@example.com', '--tier', 'starter', '--data-dir', dataDir]);
  const token = userOut.trim().split('\n').pop().trim();
  const serverPort = await freePort();
  const serverUrl = `http://127.0.0.1:${serverPort}`;
  let server = null;
  const startServer = async () => {
    server = spawnLogged(serverBin, ['serve', '--data-dir', dataDir, '--bind', `127.0.0.1:${serverPort}`], { ...process.env, RUST_LOG: 'warn' });
    await waitForHttp(`${serverUrl}/openapi.yaml`, server.child, server.log);
  };
  await startServer();

  // 3. The other device creates the account's keys.
  const desktopEnv = {
    ...process.env,
    SCREENPIPE_SYNC_SERVER: serverUrl,
    SCREENPIPE_SYNC_TOKEN: token,
    SCREENPIPE_SYNC_DB: path.join(dir, 'desktop', 'db.sqlite'),
    SCREENPIPE_SYNC_DATA_DIR: path.join(dir, 'desktop', 'data'),
    SCREENPIPE_SYNC_STATE_DIR: path.join(dir, 'desktop', 'sync'),
    SCREENPIPE_SYNC_DEVICE_NAME: 'E2E desktop',
    SCREENPIPE_SYNC_PASSWORD: PASSWORD,
  };
  const { stdout: initOut } = await run(cliBin, ['init', '--json', '--quiet'], { env: desktopEnv });
  if (!JSON.parse(initOut).created) throw new Error(`init did not create the account: ${initOut}`);

  // 4. The daemon over the laptop's fixture, without server or token: the page gives them.
  const daemonPort = await freePort();
  const daemonUrl = `http://127.0.0.1:${daemonPort}`;
  const stateDir = path.join(dir, 'laptop', 'sync');
  const daemonEnv = {
    ...process.env,
    SCREENPIPE_SYNC_DB: fixture.db_path,
    SCREENPIPE_SYNC_DATA_DIR: fixture.data_dir,
    SCREENPIPE_SYNC_STATE_DIR: stateDir,
    SCREENPIPE_SYNC_DEVICE_NAME: 'E2E laptop',
    SCREENPIPE_SYNC_MEDIA_SETTLE_SECS: '0',
    RUST_LOG: process.env.RUST_LOG ?? 'info',
  };
  delete daemonEnv.SCREENPIPE_SYNC_PASSWORD;
  delete daemonEnv.SCREENPIPE_SYNC_SERVER;
  delete daemonEnv.SCREENPIPE_SYNC_TOKEN;
  let daemon = null;
  const startDaemon = async () => {
    daemon = spawnLogged(cliBin, ['daemon', '--listen', `127.0.0.1:${daemonPort}`, '--retry-base-secs', '0.5', '--retry-max-secs', '2'], daemonEnv);
    await waitForHttp(`${daemonUrl}/api/status`, daemon.child, daemon.log);
  };
  await startDaemon();

  return {
    dir,
    token,
    serverUrl,
    daemonUrl,
    daemonPort,
    fixture,
    stateDir,
    serverDb: path.join(dataDir, 'metadata.sqlite3'),
    daemonLog: () => daemon.log(),
    serverLog: () => server.log(),
    startServer,
    stopServer: () => stopChild(server.child),
    startDaemon,
    stopDaemon: () => stopChild(daemon.child),
    async stop() {
      await stopChild(daemon.child);
      await stopChild(server.child);
      if (!process.env.KEEP_E2E_DIR) rmSync(dir, { recursive: true, force: true });
    },
  };
}

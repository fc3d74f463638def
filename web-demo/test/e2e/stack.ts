// The real stack for the end-to-end test: a screenpipe fixture (screenpipe-sync dev fixture), a
// sync-server serving the built viewer (--static-dir dist), an account, and the fixture pushed
// by the native client (screenpipe-sync init + push). Binaries come from SYNC_SERVER_BIN and
// SCREENPIPE_SYNC_BIN (test.sh builds them with cargo).

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const PASSWORD = 'Viewer e2e: correct horse battery staple 1987!';
export const WRONG_PASSWORD = 'Viewer e2e: not the password 2024?';

export interface FixtureRow {
  frame_ts: string;
  app: string;
  window: string;
  url: string | null;
  text: string;
}

export interface Stack {
  dir: string;
  origin: string;
  token: string;
  recoveryPhrase: string;
  cliDeviceId: string;
  fixture: { db: string; data: string; timeRange: [string, string] };
  /** SHA-256 (hex) of every media file, by file name. */
  mediaHashes: Map<string, string>;
  /** The media files replaced by real, playable ones: file name → SHA-256. */
  playable: { video: string; audio: string[] };
  server: ChildProcess;
  serverLog: () => string;
  stop(): Promise<void>;
}

function bin(env: string): string {
  const value = process.env[env];
  if (!value) throw new Error(`${env} is not set (run web-demo/test.sh, which builds the binaries)`);
  return value;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url: string, server: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (server.exitCode !== null) throw new Error(`sync-server exited (${server.exitCode}):\n${log()}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`sync-server did not answer at ${url}:\n${log()}`);
}

/** A 1-second 8 kHz mono 16-bit PCM WAV with a 440 Hz tone. */
export function wav(seconds = 1, rate = 8000): Buffer {
  const samples = seconds * rate;
  const out = Buffer.alloc(44 + samples * 2);
  out.write('RIFF', 0);
  out.writeUInt32LE(36 + samples * 2, 4);
  out.write('WAVEfmt ', 8);
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20);
  out.writeUInt16LE(1, 22);
  out.writeUInt32LE(rate, 24);
  out.writeUInt32LE(rate * 2, 28);
  out.writeUInt16LE(2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36);
  out.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++) out.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), 44 + i * 2);
  return out;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Replaces a media file by `bytes`, keeping its modification time (the packager reads it). */
function replaceMedia(file: string, bytes: Uint8Array): void {
  const { atime, mtime } = statSync(file);
  writeFileSync(file, bytes);
  utimesSync(file, atime, mtime);
}

/**
 * Starts everything. With the February 2026 generation (`webm` given), `webm` is a short real
 * WebM video (made by the browser with MediaRecorder) that replaces the first video chunk, so
 * that the viewer has a playable one. With `generation: '0.4.50'` the fixture is screenpipe
 * 0.4.50's: JPEG snapshots (pushed in media packs), frames with their text, elements,
 * memories and meetings; its media are kept as written.
 */
export async function startStack(
  distDir: string,
  webm: Uint8Array | null,
  generation: '2026-02' | '0.4.50' | 'recorded-0.4.50' = '2026-02',
  fixtureOptions: Record<string, string> = {},
): Promise<Stack> {
  const serverBin = bin('SYNC_SERVER_BIN');
  const cliBin = bin('SCREENPIPE_SYNC_BIN');
  const dir = mkdtempSync(path.join(tmpdir(), 'viewer-e2e-'));
  const fixtureDir = path.join(dir, 'fixture');
  const dataDir = path.join(dir, 'server-data');

  // 1. A screenpipe database with media: one hour of one day (yesterday), one monitor; or the
  // database the real screenpipe 0.4.50 recorded (tests/screenpipe/fixtures/v0.4.50).
  const summary = generation === 'recorded-0.4.50' ? await copyRecorded(fixtureDir) : await devFixture(cliBin, fixtureDir, generation, fixtureOptions);
  return serve(summary, { serverBin, cliBin, dir, dataDir, distDir, webm });
}

interface FixtureSummary {
  db_path: string;
  data_dir: string;
  time_range: [string, string];
}

/**
 * The real screenpipe 0.4.50 recording, copied and its absolute paths rewritten to the copy
 * (tests/screenpipe/lib.sh, sp_fixture_copy).
 */
async function copyRecorded(dest: string): Promise<FixtureSummary> {
  const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
  await run('bash', ['-c', 'source "$1/tests/screenpipe/lib.sh" && sp_fixture_copy "$2"', 'copy', repo, dest]);
  const db = path.join(dest, 'db.sqlite');
  const [range] = await query<{ first: string; last: string }>(db, 'SELECT min(timestamp) AS first, max(timestamp) AS last FROM frames');
  return { db_path: db, data_dir: path.join(dest, 'data'), time_range: [range.first, range.last] };
}

/** `screenpipe-sync dev fixture`; `overrides` (`{ '--hours-per-day': '4' }`) replace the defaults. */
async function devFixture(cliBin: string, fixtureDir: string, generation: '2026-02' | '0.4.50', overrides: Record<string, string>): Promise<FixtureSummary> {
  // The February 2026 generation: viewer.e2e.test.ts reads its ocr_text and video_chunks
  // tables; snapshots.e2e.test.ts reads 0.4.50's snapshots.
  const options: Record<string, string> = {
    '--generation': generation,
    '--out': fixtureDir,
    '--days': '1',
    '--hours-per-day': '1',
    '--monitors': '1',
    '--frame-interval': '10',
    '--chunk-secs': '300',
    '--video-kib': '96',
    '--audio-kib': '32',
    '--seed': '7',
    ...overrides,
  };
  const { stdout: fixtureOut } = await run(cliBin, ['dev', 'fixture', '--json', ...Object.entries(options).flat()], { maxBuffer: 64 << 20 });
  return JSON.parse(fixtureOut) as FixtureSummary;
}

async function serve(
  summary: FixtureSummary,
  o: { serverBin: string; cliBin: string; dir: string; dataDir: string; distDir: string; webm: Uint8Array | null },
): Promise<Stack> {
  const { serverBin, cliBin, dir, dataDir, distDir, webm } = o;

  // Real media for the first chunk: a WebM video and WAV audio (input and output).
  // Every media file, by its path under the data folder (0.4.50 keeps snapshots in data/<day>/).
  const media = (readdirSync(summary.data_dir, { recursive: true }) as string[])
    .filter((f) => statSync(path.join(summary.data_dir, f)).isFile())
    .sort();
  let playable: Stack['playable'] = { video: '', audio: [] };
  if (webm !== null) {
    const firstVideo = media.find((f) => f.startsWith('monitor_1_'))!;
    const stamp = firstVideo.slice('monitor_1_'.length);
    const firstAudio = media.filter((f) => f.startsWith('MacBook Pro') && f.endsWith(stamp));
    if (firstAudio.length !== 2) throw new Error(`expected two audio files of ${stamp}, found ${firstAudio.join(', ')}`);
    replaceMedia(path.join(summary.data_dir, firstVideo), webm);
    for (const f of firstAudio) replaceMedia(path.join(summary.data_dir, f), wav());
    playable = { video: firstVideo, audio: firstAudio };
  }
  const mediaHashes = new Map(media.map((f) => [f, sha256(readFileSync(path.join(summary.data_dir, f)))]));

  // 2. The server, serving the built viewer, and an account.
  const { stdout: userOut } = await run(serverBin, ['user', 'add', 'viewer@example.com', '--tier', 'starter', '--data-dir', dataDir]);
  const token = userOut.trim().split('\n').pop()!.trim();
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  let log = '';
  const server = spawn(serverBin, ['serve', '--data-dir', dataDir, '--bind', `127.0.0.1:${port}`, '--static-dir', distDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'info' },
  });
  server.stdout!.on('data', (d) => (log += d));
  server.stderr!.on('data', (d) => (log += d));
  const serverLog = () => log;
  await waitForHttp(`${origin}/openapi.yaml`, server, serverLog);

  // 3. The desktop client: create the account's keys, push the fixture.
  const cliEnv = {
    ...process.env,
    SCREENPIPE_SYNC_SERVER: origin,
    SCREENPIPE_SYNC_TOKEN: token,
    SCREENPIPE_SYNC_DB: summary.db_path,
    SCREENPIPE_SYNC_DATA_DIR: summary.data_dir,
    SCREENPIPE_SYNC_STATE_DIR: path.join(dir, 'client-state'),
    SCREENPIPE_SYNC_DEVICE_NAME: 'E2E laptop',
    SCREENPIPE_SYNC_PASSWORD: PASSWORD,
    SCREENPIPE_SYNC_MEDIA_SETTLE_SECS: '0',
  };
  const { stdout: initOut } = await run(cliBin, ['init', '--json', '--quiet'], { env: cliEnv });
  const init = JSON.parse(initOut) as { created: boolean; device_id: string; recovery_phrase: string };
  if (!init.created) throw new Error(`init did not create the account: ${initOut}`);
  const { stdout: pushOut } = await run(cliBin, ['push', '--json', '--quiet'], { env: cliEnv, maxBuffer: 64 << 20 });
  const push = JSON.parse(pushOut) as { uploaded_blobs: number; media_files: number };
  if (push.uploaded_blobs === 0 || push.media_files !== media.length) throw new Error(`push did not upload the fixture: ${pushOut}`);

  return {
    dir,
    origin,
    token,
    recoveryPhrase: init.recovery_phrase,
    cliDeviceId: init.device_id,
    fixture: { db: summary.db_path, data: summary.data_dir, timeRange: summary.time_range },
    mediaHashes,
    playable,
    server,
    serverLog,
    async stop() {
      if (server.exitCode === null) {
        server.kill('SIGTERM');
        await new Promise((r) => server.once('exit', r));
      }
      if (!process.env.KEEP_E2E_DIR) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Rows of the fixture database (through Python's sqlite3: Node 20 has no SQLite). */
export async function query<T>(db: string, sql: string): Promise<T[]> {
  const script = 'import json,sqlite3,sys\nc=sqlite3.connect("file:"+sys.argv[1]+"?mode=ro",uri=True)\nc.row_factory=sqlite3.Row\nprint(json.dumps([dict(r) for r in c.execute(sys.argv[2])]))';
  const { stdout } = await run('python3', ['-c', script, db, sql], { maxBuffer: 256 << 20 });
  return JSON.parse(stdout) as T[];
}

// End to end: the built viewer, served by a real sync-server holding a fixture pushed by the
// native client, driven in headless Chromium (playwright-core, Debian's /usr/bin/chromium).
// Every request the pages make is recorded; the last test proves that none carries the
// password, a recovery phrase, a key (derived here from the envelope with the wasm package's
// testing build) or plaintext of the fixture. Screenshots go to test-artifacts/e2e/.

import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appColor } from '../../src/dayModel';
import { formatTime, parseStoredTime } from '../../src/format';
import { CHROMIUM, CHROMIUM_ARGS, makeWebm, openBlobList, watchSteps } from './browser';
import { PASSWORD, query, startStack, WRONG_PASSWORD, type Stack } from './stack';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const DIST = path.join(ROOT, 'dist');
const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'e2e');
const ARGS = [...CHROMIUM_ARGS, '--autoplay-policy=no-user-gesture-required'];

interface Recorded {
  context: string;
  url: string;
  method: string;
  resourceType: string;
  headers: Promise<Record<string, string>>;
  body: Buffer | null;
}

let browser: Browser;
let stack: Stack;
let desktop: BrowserContext;
let page: Page;
let initAnswer: { envelope: { salt: string; kdf: { m_kib: number; t: number; p: number } } & Record<string, unknown> } | null = null;
const requests: Recorded[] = [];
const pageErrors: string[] = [];
let shot = 0;

function record(context: BrowserContext, name: string): void {
  context.on('request', (r) => {
    // allHeaders() adds what the browser itself set (cookies, ...); a request still in flight
    // when its context closes keeps the headers the page set.
    const provisional = r.headers();
    const headers = r.allHeaders().catch(() => provisional);
    requests.push({ context: name, url: r.url(), method: r.method(), resourceType: r.resourceType(), headers, body: r.postDataBuffer() });
  });
  context.on('response', (r) => {
    if (r.url().endsWith('/api/sync/init') && r.ok() && initAnswer === null) {
      r.json().then(
        (body) => (initAnswer ??= body),
        () => undefined, // a closed context: the audit then fails on the missing envelope
      );
    }
  });
}

/** A screenshot of the whole page, or of the viewport only (long pages). */
async function screenshot(p: Page, name: string, fullPage = true): Promise<void> {
  shot += 1;
  await p.screenshot({ path: path.join(ARTIFACTS, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage });
}

async function unlock(p: Page, password: string): Promise<void> {
  await p.getByLabel('Token', { exact: true }).fill(stack.token);
  await p.getByLabel('Password', { exact: true }).fill(password);
  await p.getByRole('button', { name: 'Unlock' }).click();
}

interface DbFrame {
  id: number;
  timestamp: string;
  app_name: string;
  window_name: string;
  browser_url: string | null;
  focused: number | null;
}

let frames: (DbFrame & { ms: number; ocr: string[] })[] = [];
let transcripts: { id: number; timestamp: string; transcription: string; ms: number }[] = [];
let dayOfData = '';

beforeAll(async () => {
  // This file's own screenshots (NN-name.png) are replaced; the other e2e files' are kept.
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const f of readdirSync(ARTIFACTS)) if (/^\d{2}-.*\.png$/.test(f)) rmSync(path.join(ARTIFACTS, f), { force: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  const webm = await makeWebm(browser);
  stack = await startStack(DIST, webm);
  const dbFrames = await query<DbFrame>(stack.fixture.db, 'SELECT id, timestamp, app_name, window_name, browser_url, focused FROM frames');
  const ocr = await query<{ frame_id: number; text: string }>(stack.fixture.db, 'SELECT frame_id, text FROM ocr_text ORDER BY rowid');
  const ocrBy = new Map<number, string[]>();
  for (const o of ocr) ocrBy.set(o.frame_id, [...(ocrBy.get(o.frame_id) ?? []), o.text]);
  frames = dbFrames.map((f) => ({ ...f, ms: parseStoredTime(f.timestamp)!, ocr: ocrBy.get(f.id) ?? [] })).sort((a, b) => a.ms - b.ms || a.id - b.id);
  transcripts = (await query<{ id: number; timestamp: string; transcription: string }>(stack.fixture.db, 'SELECT id, timestamp, transcription FROM audio_transcriptions'))
    .map((t) => ({ ...t, ms: parseStoredTime(t.timestamp)! }))
    .sort((a, b) => a.ms - b.ms || a.id - b.id);
  dayOfData = new Date(frames[0].ms).toISOString().slice(0, 10);

  desktop = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: 'UTC', locale: 'en-US' });
  record(desktop, 'desktop');
  page = await desktop.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('dialog', (d) => void d.accept());
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('the viewer against a real server', () => {
  it('is served by the sync server with a strict Content-Security-Policy and the sign-in fields', async () => {
    await page.goto(stack.origin + '/');
    await expect.poll(() => page.getByLabel('Server', { exact: true }).inputValue()).toBe(stack.origin);
    for (const label of ['Token', 'Password']) expect(await page.getByLabel(label, { exact: true }).inputValue()).toBe('');
    expect(await page.getByLabel('Password', { exact: true }).getAttribute('type')).toBe('password');
    await expect.poll(() => page.getByRole('button', { name: 'Unlock' }).isEnabled()).toBe(true);
    const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    await screenshot(page, 'sign-in');
  });

  it('connects to no other origin than its own (CSP), and says so', async () => {
    const server = page.getByLabel('Server', { exact: true });
    await server.fill('http://127.0.0.1:9');
    await unlock(page, WRONG_PASSWORD);
    const alert = page.locator('#unlock-error');
    await alert.waitFor({ state: 'visible', timeout: 60_000 });
    expect(await alert.textContent()).toMatch(/^Cannot reach the server\..*may only connect to the origin that serves it/);
    await server.fill(stack.origin);
  });

  it('says plainly that a wrong password is wrong, after a visible unlock progress state', async () => {
    await watchSteps(page);
    await unlock(page, WRONG_PASSWORD);
    const alert = page.locator('#unlock-error');
    await alert.waitFor({ state: 'visible', timeout: 60_000 });
    expect(await alert.textContent()).toMatch(/^Wrong password\./);
    expect(await alert.getAttribute('role')).toBe('alert');
    const steps = await page.evaluate(() => (window as unknown as { steps: string[] }).steps);
    expect(steps.some((s) => s.startsWith('Registering this browser'))).toBe(true);
    expect(steps.some((s) => /Argon2id, 64 MiB, 3 passes\) in a background worker/.test(s))).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('password');
    expect(await page.locator('#app').isHidden()).toBe(true);
    await screenshot(page, 'wrong-password');
  });

  it('unlocks in a worker, registers the browser as a device and remembers the key version', async () => {
    await unlock(page, PASSWORD);
    await page.locator('#app').waitFor({ state: 'visible', timeout: 60_000 });
    expect(await page.locator('#who').textContent()).toContain('key v1');
    expect(await page.getByLabel('Password', { exact: true }).inputValue()).toBe('');
    expect(page.workers().length).toBeGreaterThan(0);
    const storage = await page.evaluate(() => Object.fromEntries(Object.entries(localStorage)));
    const guard = Object.entries(storage).find(([k]) => k.startsWith('spsync.viewer.guard:'));
    expect(guard).toBeDefined();
    expect(JSON.parse(guard![1])).toEqual({ key_version: 1, key_id: initAnswer!.envelope.key_id });
    expect(guard![0]).not.toContain(stack.token);
    const device = Object.entries(storage).find(([k]) => k === `spsync.viewer.device:${stack.origin}`);
    expect(device![1]).toMatch(/^web-[0-9a-f-]{36}$/);
  });

  it('shows the day: a bar coloured by app, a frame’s video seeked, its text and the speech around it', async () => {
    const bar = page.getByRole('slider', { name: 'Time bar of E2E laptop' });
    await bar.waitFor({ timeout: 60_000 });
    await expect.poll(() => page.locator('#day-status').textContent(), { timeout: 60_000 }).toBe(`${frames.length} frames on ${dayOfData} from 1 device.`);
    expect(await bar.getAttribute('aria-valuemax')).toBe(String(frames.length - 1));
    // It opens at the latest frame; Home goes to the first (on the real WebM chunk).
    await expect.poll(() => page.locator('#day-moment').evaluate((el) => (el as HTMLElement).dataset.time)).toBe(new Date(frames[frames.length - 1].ms).toISOString());
    await bar.focus();
    await page.keyboard.press('Home');
    const f = frames[0];
    await expect.poll(() => page.locator('#day-moment').evaluate((el) => (el as HTMLElement).dataset.time)).toBe(new Date(f.ms).toISOString());
    expect(await page.locator('#moment-app').textContent()).toBe(f.app_name);
    const meta = (await page.locator('#moment-meta').textContent())!;
    expect(meta).toContain(f.window_name);
    if (f.browser_url) expect(meta).toContain(f.browser_url);
    for (const text of f.ocr) expect(await page.locator('#moment-text').textContent()).toContain(text);
    const near = transcripts.filter((t) => Math.abs(t.ms - f.ms) <= 120_000);
    expect(await page.locator('#moment-speech li.speech').count()).toBe(near.length);
    for (const t of near) expect(await page.locator('#moment-speech').textContent()).toContain(t.transcription);
    // No snapshot in this generation: the decrypted video chunk, seeked to the frame.
    const video = page.locator('#moment-video');
    await video.waitFor({ state: 'visible', timeout: 60_000 });
    const state = await video.evaluate((v: HTMLVideoElement) => ({ src: v.src, ready: v.readyState, time: v.currentTime, width: v.videoWidth }));
    expect(state.src).toMatch(/^blob:/);
    expect(state.ready).toBeGreaterThanOrEqual(1);
    expect(state.time).toBe(0);
    expect(state.width).toBe(160);
    // The bar's colour at the frame is its capture's app (a stable hue per app name): screenpipe
    // records every window of a capture; the focused one's app colours it.
    const capture = frames.filter((x) => x.ms === f.ms);
    const app = (capture.find((x) => x.focused === 1) ?? capture[0]).app_name;
    const colours = await bar.evaluate((el: HTMLElement, [at, css]) => {
      const canvas = el.querySelector('canvas') as HTMLCanvasElement;
      const start = Date.parse(el.dataset.start!);
      const end = Date.parse(el.dataset.end!);
      const x = Math.floor(((at - start) / (end - start)) * canvas.width) + 1;
      const px = Array.from(canvas.getContext('2d')!.getImageData(x, Math.floor(canvas.height / 2), 1, 1).data);
      const probe = document.createElement('canvas').getContext('2d')!;
      probe.fillStyle = css;
      probe.fillRect(0, 0, 1, 1);
      return { px, want: Array.from(probe.getImageData(0, 0, 1, 1).data) };
    }, [f.ms, appColor(app)] as [number, string]);
    expect(colours.px).toEqual(colours.want);
    await screenshot(page, 'day-view', false);
    // The last frame's chunk holds random bytes (not a video): decrypted, then said so.
    await page.keyboard.press('End');
    await expect.poll(() => page.locator('#moment-placeholder').textContent(), { timeout: 60_000 }).toMatch(/^This browser cannot play this screen recording/);
    expect(await video.isHidden()).toBe(true);
  });

  it('shows the day of the newest data by device and type', async () => {
    // The blob list is the day view's details panel.
    await openBlobList(page);
    await page.locator('#timeline-results section.device').first().waitFor();
    expect(await page.locator('#tl-from').inputValue()).toBe(dayOfData);
    const device = page.locator('#timeline-results section.device');
    expect(await device.count()).toBe(1);
    expect(await device.locator('h3').textContent()).toContain('E2E laptop');
    const videoChunks = (await query<{ n: number }>(stack.fixture.db, 'SELECT count(*) AS n FROM video_chunks'))[0].n;
    const audioChunks = (await query<{ n: number }>(stack.fixture.db, 'SELECT count(*) AS n FROM audio_chunks'))[0].n;
    expect(await device.locator('.type-frames h4').textContent()).toMatch(new RegExp(`^Video · ${videoChunks} · `));
    expect(await device.locator('.type-audio h4').textContent()).toMatch(new RegExp(`^Audio · ${audioChunks} · `));
    expect(await device.locator('.type-text button.blob').count()).toBeGreaterThanOrEqual(12);
    await screenshot(page, 'timeline');

    // A range of two days, only text: the same text blobs, no media.
    const textCount = await device.locator('.type-text button.blob').count();
    const next = new Date(Date.parse(dayOfData) + 86_400_000).toISOString().slice(0, 10);
    await page.locator('#tl-to').fill(next);
    await page.getByLabel('Video', { exact: true }).uncheck();
    await page.getByLabel('Audio', { exact: true }).uncheck();
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    await expect.poll(() => page.locator('#timeline-status').textContent()).toContain(`${textCount} blobs on ${dayOfData} to ${next}`);
    expect(await page.locator('#timeline-results .type-frames, #timeline-results .type-audio').count()).toBe(0);
    // The day before holds nothing.
    await page.locator('#tl-to').fill('');
    await page.getByRole('button', { name: 'Previous day' }).click();
    await expect.poll(() => page.locator('#timeline-status').textContent()).toMatch(/^No blobs on /);
    await page.getByRole('button', { name: 'Next day' }).click();
    await page.getByLabel('Video', { exact: true }).check();
    await page.getByLabel('Audio', { exact: true }).check();
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    await expect.poll(() => page.locator('#timeline-results .type-frames button.blob').count()).toBe(videoChunks);
  });

  it('opens a text blob: frames with time, app, window, URL and OCR text, and its transcripts', async () => {
    await page.locator('#timeline-results .type-text button.blob').first().click();
    const detail = page.locator('#detail');
    await detail.locator('#detail-frames').waitFor({ timeout: 30_000 });
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('detail-title');
    // The first text blob is the first 5-minute window of the fixture.
    const start = Math.floor(frames[0].ms / 300_000) * 300_000;
    const inWindow = frames.filter((f) => f.ms >= start && f.ms < start + 300_000);
    const spoken = transcripts.filter((t) => t.ms >= start && t.ms < start + 300_000);
    expect(await detail.locator('#detail-frames').textContent()).toBe(`Screen (${inWindow.length} frames)`);
    const first = detail.locator('li.frame').first();
    const firstText = (await first.textContent())!;
    expect(await first.locator('time').textContent()).toBe(formatTime(inWindow[0].ms).slice(11));
    expect(firstText).toContain(inWindow[0].app_name);
    expect(firstText).toContain(inWindow[0].window_name);
    if (inWindow[0].browser_url) expect(firstText).toContain(inWindow[0].browser_url);
    for (const text of inWindow[0].ocr) expect(firstText).toContain(text);
    expect(await detail.locator('#detail-transcripts').textContent()).toBe(`Transcripts (${spoken.length})`);
    for (const t of spoken) expect(await detail.locator('li.transcript').allTextContents()).toContainEqual(expect.stringContaining(t.transcription));
    await screenshot(page, 'text-blob', false);
    // A transcript's audio opens from here.
    if (spoken.length > 0) {
      await detail.getByRole('button', { name: /^Play the audio of the transcript/ }).first().click();
      await expect.poll(() => page.locator('#detail-title').textContent()).toMatch(/^Audio · E2E laptop · /);
      await page.locator('#media-progress-text').filter({ hasText: 'Decrypted and verified' }).waitFor({ timeout: 30_000 });
    }
  });

  let mediaUrl = '';

  it('plays a video blob after streaming decryption with a progress bar', async () => {
    const first = page.locator('#timeline-results .type-frames button.blob').first();
    await first.click();
    await page.locator('#media-progress-text').filter({ hasText: 'Decrypted and verified' }).waitFor({ timeout: 60_000 });
    const bar = page.locator('#media-progress');
    expect(await bar.getAttribute('value')).toBe(await bar.getAttribute('max'));
    expect(Number(await bar.getAttribute('max'))).toBeGreaterThan(0);
    // The decrypted file is the fixture's file, byte for byte.
    mediaUrl = (await page.locator('#detail a[download]').getAttribute('href'))!;
    const hash = await page.evaluate(async (url) => {
      const bytes = await (await fetch(url)).arrayBuffer();
      return Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
    }, mediaUrl);
    expect(hash).toBe(stack.mediaHashes.get(stack.playable.video));
    // It plays.
    const video = page.locator('video#media-player');
    await page.waitForFunction(() => (document.querySelector('video#media-player') as HTMLVideoElement | null)?.readyState! >= 2, null, { timeout: 30_000 });
    await video.evaluate((v: HTMLVideoElement) => {
      v.muted = true;
      return v.play();
    });
    await page.waitForFunction(() => (document.querySelector('video#media-player') as HTMLVideoElement).currentTime > 0, null, { timeout: 30_000 });
    await video.evaluate((v: HTMLVideoElement) => v.pause());
    await screenshot(page, 'video');
    // Escape closes the panel and gives the focus back to the button.
    await page.keyboard.press('Escape');
    expect(await page.locator('#detail').isHidden()).toBe(true);
    expect(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.blobId)).toBe(await first.getAttribute('data-blob-id'));
    // The object URL of a closed panel is revoked.
    expect(await page.evaluate((url) => fetch(url).then(() => 'read', () => 'revoked'), mediaUrl)).toBe('revoked');
  });

  it('plays an audio blob, and says so when a file cannot be played (still decrypted and verified)', async () => {
    await page.locator('#timeline-results .type-audio button.blob').first().click();
    await page.locator('#media-progress-text').filter({ hasText: 'Decrypted and verified' }).waitFor({ timeout: 60_000 });
    await page.waitForFunction(() => (document.querySelector('audio#media-player') as HTMLAudioElement | null)?.readyState! >= 1, null, { timeout: 30_000 });
    expect(await page.locator('audio#media-player').evaluate((a: HTMLAudioElement) => a.duration)).toBeCloseTo(1, 1);
    await page.locator('audio#media-player').evaluate((a: HTMLAudioElement) => a.play());
    await page.waitForFunction(() => (document.querySelector('audio#media-player') as HTMLAudioElement).currentTime > 0, null, { timeout: 30_000 });
    const audioHash = await page.evaluate(async () => {
      const url = document.querySelector<HTMLAnchorElement>('#detail a[download]')!.href;
      const bytes = await (await fetch(url)).arrayBuffer();
      return Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
    });
    expect(stack.playable.audio.map((f) => stack.mediaHashes.get(f))).toContain(audioHash);
    await screenshot(page, 'audio');

    // The second video chunk of the fixture is random bytes behind an MP4 header.
    await page.locator('#timeline-results .type-frames button.blob').nth(1).click();
    await page.locator('#media-progress-text').filter({ hasText: 'Decrypted and verified' }).waitFor({ timeout: 60_000 });
    await page.locator('#detail p.warning').filter({ hasText: 'This browser cannot play this file' }).waitFor({ timeout: 30_000 });
    const fakeHash = await page.evaluate(async () => {
      const url = document.querySelector<HTMLAnchorElement>('#detail a[download]')!.href;
      const bytes = await (await fetch(url)).arrayBuffer();
      return Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
    });
    expect([...stack.mediaHashes.values()]).toContain(fakeHash);
    await page.getByRole('button', { name: 'Close' }).click();
  });

  const searchWords: string[] = [];

  it('searches: tokens from the page, candidates decrypted, the known hit shown with its words highlighted', async () => {
    // A frame of the fixture and two long words of its OCR text.
    const target = frames.find((f) => f.ocr.length > 0 && new Set(f.ocr[0].toLowerCase().match(/\p{L}{7,}/gu) ?? []).size >= 2)!;
    const words = [...new Set(target.ocr[0].toLowerCase().match(/\p{L}{7,}/gu))].slice(0, 2);
    searchWords.push(...words);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('search-title');
    await page.getByLabel('Search', { exact: true }).fill(`${words[0].toUpperCase()} ${words[1]}`);
    expect(await page.locator('#sq-from').inputValue()).toBe(dayOfData);
    await page.locator('#search-form').getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.locator('#search-status').textContent(), { timeout: 60_000 }).toMatch(/^\d+ hits? for “/);
    const status = (await page.locator('#search-status').textContent())!;
    expect(status).toContain(`for “${words.join(' ')}”`);
    const hit = page.locator('li.hit-frame').filter({ has: page.locator('time', { hasText: formatTime(target.ms) }) });
    expect(await hit.count()).toBe(1);
    const marks = (await hit.locator('mark').allTextContents()).map((m) => m.toLowerCase());
    expect(marks.length).toBeGreaterThan(0);
    expect(marks.every((m) => words.includes(m))).toBe(true);
    // Every hit holds both words (false matches were dropped): its blob opens with both marked.
    expect(await page.locator('li.hit').count()).toBeGreaterThan(0);
    await screenshot(page, 'search', false);
    await hit.getByRole('button', { name: /^Open the blob/ }).click();
    const focused = page.locator('#detail li.frame.focus-target');
    await focused.waitFor({ timeout: 30_000 });
    expect(await focused.locator('time').textContent()).toBe(formatTime(target.ms).slice(11));
    const focusedMarks = new Set((await focused.locator('mark').allTextContents()).map((m) => m.toLowerCase()));
    expect([...focusedMarks].sort()).toEqual([...words].sort());
    await screenshot(page, 'search-hit-opened', false);
    await page.getByRole('button', { name: 'Close' }).click();
  });

  it('shows the status like the desktop settings and removes a device', async () => {
    await page.getByRole('button', { name: 'Status', exact: true }).click();
    await page.locator('#storage-meter').waitFor();
    const api = await (
      await fetch(`${stack.origin}/api/sync/status`, { headers: { authorization: `Bearer ${stack.token}`, 'x-device-id': stack.cliDeviceId } })
    ).json();
    await expect.poll(() => page.locator('#storage-meter').getAttribute('value')).toBe(String(api.quota.storage_used));
    expect(await page.locator('#storage-meter').getAttribute('max')).toBe(String(api.quota.storage_limit));
    expect(await page.locator('#storage-text').textContent()).toMatch(/ of 20\.0 GB used \(/);
    expect(await page.locator('#status-tier').textContent()).toBe('Starter');
    expect(await page.locator('#status-last-sync').textContent()).toBe(formatTime(Date.parse(api.stats.last_sync)));
    const rows = page.locator('table.devices tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await rows.filter({ hasText: 'this browser' }).textContent()).toContain('Web viewer');
    await screenshot(page, 'status');
    await page.getByRole('button', { name: 'Remove device E2E laptop' }).click();
    await expect.poll(() => page.locator('#devices-status').textContent()).toBe('Removed E2E laptop.');
    await expect.poll(() => rows.count()).toBe(1);
    const devices = await (await fetch(`${stack.origin}/api/sync/devices`, { headers: { authorization: `Bearer ${stack.token}`, 'x-device-id': (await page.evaluate((o) => localStorage.getItem(`spsync.viewer.device:${o}`), stack.origin))! } })).json();
    expect(devices.devices.map((d: { device_name: string }) => d.device_name)).toEqual(['Web viewer']);
  });

  it('locks: keys freed, everything decrypted forgotten, back to sign-in', async () => {
    const known = frames[0].ocr[0].slice(0, 40);
    await page.getByRole('button', { name: 'Timeline', exact: true }).click();
    await page.locator('#timeline-results .type-text button.blob').first().click();
    await page.locator('#detail li.frame').first().waitFor({ timeout: 30_000 });
    expect(await page.locator('body').textContent()).toContain(known);
    await page.locator('#timeline-results .type-audio button.blob').first().click();
    await page.locator('#media-progress-text').filter({ hasText: 'Decrypted and verified' }).waitFor({ timeout: 60_000 });
    const url = (await page.locator('#detail a[download]').getAttribute('href'))!;
    // The worker holding the keys: Lock must terminate it.
    const before = page.workers();
    expect(before.length).toBe(1);
    let closed = 0;
    for (const w of before) w.once('close', () => (closed += 1));
    await page.getByRole('button', { name: 'Lock' }).click();
    await page.locator('#signin').waitFor({ state: 'visible' });
    expect(await page.locator('#app').isHidden()).toBe(true);
    expect(await page.locator('#lock').isHidden()).toBe(true);
    expect(await page.getByLabel('Password', { exact: true }).inputValue()).toBe('');
    const body = (await page.locator('body').textContent())!;
    expect(body).not.toContain(known);
    expect(body).not.toContain(searchWords[0]);
    expect(await page.evaluate((u) => fetch(u).then(() => 'read', () => 'revoked'), url)).toBe('revoked');
    // The worker that held the keys is gone; a fresh one (no keys) waits for the next unlock.
    await expect.poll(() => closed).toBe(1);
    await expect.poll(() => page.workers().filter((w) => !before.includes(w)).length).toBe(1);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('password');
    await screenshot(page, 'locked');
  });

  it('refuses an envelope older than the newest key this browser has seen (rollback)', async () => {
    const guardKey = await page.evaluate(() => Object.keys(localStorage).find((k) => k.startsWith('spsync.viewer.guard:'))!);
    const original = await page.evaluate((k) => localStorage.getItem(k)!, guardKey);
    await page.evaluate(([k, v]) => localStorage.setItem(k, v), [guardKey, JSON.stringify({ ...JSON.parse(original), key_version: 2 })]);
    await unlock(page, PASSWORD);
    const alert = page.locator('#unlock-error');
    await alert.waitFor({ state: 'visible', timeout: 60_000 });
    expect(await alert.textContent()).toMatch(/older key than this browser has unlocked before \(version 2\)/);
    expect(await page.locator('#app').isHidden()).toBe(true);
    await page.evaluate(([k, v]) => localStorage.setItem(k, v), [guardKey, original]);
    await unlock(page, PASSWORD);
    await page.locator('#app').waitFor({ state: 'visible', timeout: 60_000 });
    await page.getByRole('button', { name: 'Lock' }).click();
    await page.locator('#signin').waitFor({ state: 'visible' });
  });

  let phoneDevice: string | null = null;

  it('works with the keyboard alone on a narrow phone screen', async () => {
    const phone = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, timezoneId: 'UTC', locale: 'en-US' });
    record(phone, 'phone');
    const p = await phone.newPage();
    p.on('pageerror', (e) => pageErrors.push(String(e)));
    try {
      await p.goto(stack.origin + '/');
      const noOverflow = () => p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
      expect(await noOverflow()).toBe(true);
      await screenshot(p, 'phone-sign-in');
      // Focus order: skip link, Server, Token, Password, Unlock.
      const order: (string | undefined)[] = [];
      for (let i = 0; i < 5; i++) {
        await p.keyboard.press('Tab');
        order.push(await p.evaluate(() => document.activeElement?.id || document.activeElement?.textContent?.trim()));
      }
      expect(order).toEqual(['Skip to content', 'server', 'token', 'password', 'unlock']);
      await p.keyboard.press('Shift+Tab');
      await p.keyboard.press('Shift+Tab');
      await p.keyboard.type(stack.token);
      await p.keyboard.press('Tab');
      await p.keyboard.type(PASSWORD);
      await p.keyboard.press('Enter');
      await p.locator('#app').waitFor({ state: 'visible', timeout: 60_000 });
      await openBlobList(p);
      await p.locator('#timeline-results button.blob').first().waitFor();
      expect(await noOverflow()).toBe(true);
      await screenshot(p, 'phone-timeline');
      // Open a text blob from the keyboard; Escape returns to the same button.
      const first = p.locator('#timeline-results .type-text button.blob').first();
      await first.focus();
      await p.keyboard.press('Enter');
      await p.locator('#detail li.frame').first().waitFor({ timeout: 30_000 });
      expect(await p.evaluate(() => document.activeElement?.id)).toBe('detail-title');
      expect(await noOverflow()).toBe(true);
      await screenshot(p, 'phone-text-blob', false);
      await p.keyboard.press('Escape');
      expect(await p.evaluate(() => (document.activeElement as HTMLElement).dataset.blobId)).toBe(await first.getAttribute('data-blob-id'));
      // Search and status fit too.
      await p.getByRole('button', { name: 'Search', exact: true }).focus();
      await p.keyboard.press('Enter');
      await p.keyboard.press('Tab');
      expect(await p.evaluate(() => document.activeElement?.id)).toBe('q');
      await p.keyboard.type(searchWords[0]);
      await p.keyboard.press('Enter');
      await expect.poll(() => p.locator('#search-status').textContent(), { timeout: 60_000 }).toMatch(/^\d+ hits? for “/);
      expect(await noOverflow()).toBe(true);
      await screenshot(p, 'phone-search', false);
      await p.getByRole('button', { name: 'Status', exact: true }).click();
      await p.locator('#storage-meter').waitFor();
      await p.locator('table.devices tbody tr').first().waitFor();
      expect(await noOverflow()).toBe(true);
      await screenshot(p, 'phone-status');
      phoneDevice = await p.evaluate((o) => localStorage.getItem(`spsync.viewer.device:${o}`), stack.origin);
      await p.getByRole('button', { name: 'Lock' }).click();
      await p.locator('#signin').waitFor({ state: 'visible' });
    } finally {
      await phone.close();
    }
  });

  it('sent no password, recovery phrase, key or plaintext in any request', async () => {
    expect(pageErrors).toEqual([]);
    const require = createRequire(import.meta.url);
    const testing = require(path.resolve(ROOT, '../bindings-wasm/dist/testing/sync_wasm.js')) as {
      testingOpenEnvelope(envelope: unknown, password: string): string;
      testingSubkeys(master: string): Record<string, string>;
      testingKdf(password: string, salt: string, kdf: unknown): { password_key: string; wrap_key: string };
      testingRecoveryKey(phrase: string): string;
    };
    const envelope = initAnswer!.envelope;
    const master = testing.testingOpenEnvelope(envelope, PASSWORD);
    const kdf = testing.testingKdf(PASSWORD, envelope.salt, { m_kib: envelope.kdf.m_kib, t: envelope.kdf.t, p: envelope.kdf.p });
    const keys: Record<string, string> = {
      master_key: master,
      ...testing.testingSubkeys(master),
      password_key: kdf.password_key,
      wrap_key: kdf.wrap_key,
      recovery_key: testing.testingRecoveryKey(stack.recoveryPhrase),
    };
    expect(Object.keys(keys).sort()).toEqual(['data_key', 'id_key', 'keyring_key', 'master_key', 'password_key', 'recovery_key', 'search_key', 'wrap_key']);

    // Secret strings in every form they could travel in.
    const forms = (s: string) => [s, encodeURIComponent(s), JSON.stringify(s).slice(1, -1), Buffer.from(s).toString('base64'), Buffer.from(s).toString('base64url'), Buffer.from(s).toString('hex')];
    const keyForms = (b64url: string) => {
      const raw = Buffer.from(b64url, 'base64url');
      expect(raw.length).toBe(32);
      return [b64url, raw.toString('base64'), raw.toString('base64').replace(/=+$/, ''), raw.toString('hex'), raw.toString('hex').toUpperCase()];
    };
    const words = stack.recoveryPhrase.split(' ');
    expect(words).toHaveLength(24);
    const forbidden: [string, string][] = [];
    for (const p of [PASSWORD, WRONG_PASSWORD]) for (const f of forms(p)) forbidden.push(['password', f]);
    for (const f of forms(stack.recoveryPhrase)) forbidden.push(['recovery phrase', f]);
    for (let i = 0; i + 3 <= words.length; i++) for (const sep of [' ', '+', '%20']) forbidden.push(['recovery phrase words', words.slice(i, i + 3).join(sep)]);
    for (const [name, value] of Object.entries(keys)) for (const f of keyForms(value)) forbidden.push([name, f]);
    // Plaintext of the fixture: OCR text, window titles, URLs, transcriptions, accessibility
    // and UI text, and the words searched for.
    const plain = new Set<string>();
    const add = (s: string | null | undefined, n = 32) => {
      if (s && s.length >= 12) {
        plain.add(s.slice(0, n));
        plain.add(s.slice(Math.floor(s.length / 2), Math.floor(s.length / 2) + n).trim());
      }
    };
    for (const f of frames) {
      add(f.window_name);
      add(f.browser_url);
      for (const t of f.ocr) add(t);
    }
    for (const t of transcripts) add(t.transcription);
    for (const r of await query<{ t: string | null }>(stack.fixture.db, 'SELECT text_content AS t FROM accessibility UNION ALL SELECT text_content FROM ui_events')) add(r.t);
    for (const s of [...plain].filter((s) => s.length >= 12)) for (const f of [s, JSON.stringify(s).slice(1, -1), encodeURIComponent(s)]) forbidden.push(['plaintext', f]);
    for (const w of searchWords) for (const f of [w, w.toUpperCase()]) forbidden.push(['search word', f]);
    // Media: 32-byte slices of every file, as raw bytes.
    const mediaSlices: Buffer[] = [];
    for (const name of stack.mediaHashes.keys()) {
      const bytes = readFileSync(path.join(stack.fixture.data, name));
      mediaSlices.push(bytes.subarray(64, 96), bytes.subarray(bytes.length - 32));
    }

    const seen = new Set<string>();
    const viewerDevice: Record<string, string | null> = {
      desktop: await page.evaluate((o) => localStorage.getItem(`spsync.viewer.device:${o}`), stack.origin),
      phone: phoneDevice,
    };
    expect(viewerDevice.desktop).toMatch(/^web-/);
    expect(viewerDevice.phone).toMatch(/^web-/);
    for (const r of requests) {
      const headers = await r.headers;
      const url = new URL(r.url);
      // Everything goes to the server that served the page (blob: URLs are the page's own memory).
      if (url.protocol === 'blob:') continue;
      expect(url.origin, r.url).toBe(stack.origin);
      const haystack = [r.url, JSON.stringify(headers), r.body?.toString('utf8') ?? '', r.body?.toString('latin1') ?? ''].join('\n');
      for (const [what, value] of forbidden) {
        if (haystack.includes(value)) throw new Error(`${r.method} ${r.url} (${r.context}) carries the ${what}: ${value}`);
      }
      for (const slice of mediaSlices) if (r.body?.includes(slice)) throw new Error(`${r.method} ${r.url} carries media bytes`);
      // The bearer token goes to the API only, with the viewer's device id; signed URLs get neither.
      if (url.pathname.startsWith('/api/sync/objects/')) {
        expect(headers.authorization, r.url).toBeUndefined();
        expect(headers['x-device-id'], r.url).toBeUndefined();
        seen.add('object GET');
      } else if (url.pathname.startsWith('/api/sync/')) {
        expect(headers.authorization).toBe(`Bearer ${stack.token}`);
        expect(headers['x-device-id']).toBe(viewerDevice[r.context]);
        seen.add(`${r.method} ${url.pathname}`);
      } else {
        expect(headers.authorization, r.url).toBeUndefined();
        if (url.pathname.endsWith('.wasm')) seen.add('wasm (from the worker)');
      }
    }
    // The audit covered every kind of request the viewer makes, the worker's included.
    expect([...seen].sort()).toEqual(
      [
        'DELETE /api/sync/devices',
        'GET /api/sync/devices',
        'GET /api/sync/status',
        'POST /api/sync/download',
        'POST /api/sync/init',
        'POST /api/sync/search',
        'object GET',
        'wasm (from the worker)',
      ].sort(),
    );
    // The search request held tokens only.
    const search = requests.find((r) => r.url.endsWith('/api/sync/search'))!;
    const body = JSON.parse(search.body!.toString('utf8'));
    expect(Object.keys(body).sort()).toEqual(['blob_types', 'limit', 'search_tokens', 'time_range']);
    expect(body.search_tokens.length).toBeGreaterThan(0);
    for (const t of body.search_tokens) expect(t).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const checked = requests.filter((r) => !r.url.startsWith('blob:')).length;
    console.log(`request audit: ${checked} requests checked against ${forbidden.length} forbidden strings and ${mediaSlices.length} media slices`);
  });
});

// End to end, screenpipe 0.4.50: a fixture with JPEG snapshots, pushed by the native client
// (snapshots in media packs, frames with their text in records bundle v2), opened in the
// built viewer in headless Chromium. A text blob's frames show their snapshot beside their
// text: the pack is downloaded and decrypted in the worker, the entry shown from an object URL
// (allowed by the page's CSP, img-src blob:) that is revoked when the blob is closed.
// Memories and meetings show as such. Screenshots go to test-artifacts/e2e/.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseStoredTime } from '../../src/format';
import { CHROMIUM, CHROMIUM_ARGS, openBlobList } from './browser';
import { PASSWORD, query, startStack, type Stack } from './stack';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const DIST = path.join(ROOT, 'dist');
const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'e2e');

interface DbFrame {
  id: number;
  timestamp: string;
  snapshot_path: string | null;
  full_text: string | null;
}

let browser: Browser;
let stack: Stack;
let page: Page;
let frames: (DbFrame & { ms: number })[] = [];
const pageErrors: string[] = [];

/** Width and height of a baseline or progressive JPEG, from its SOF segment. */
function jpegSize(bytes: Buffer): { width: number; height: number } {
  let at = 2;
  while (at + 9 < bytes.length) {
    if (bytes[at] !== 0xff) throw new Error(`not a JPEG marker at ${at}`);
    const marker = bytes[at + 1];
    const length = bytes.readUInt16BE(at + 2);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: bytes.readUInt16BE(at + 5), width: bytes.readUInt16BE(at + 7) };
    }
    at += 2 + length;
  }
  throw new Error('no SOF segment');
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  stack = await startStack(DIST, null, '0.4.50');
  frames = (await query<DbFrame>(stack.fixture.db, 'SELECT id, timestamp, snapshot_path, full_text FROM frames'))
    .map((f) => ({ ...f, ms: parseStoredTime(f.timestamp)! }))
    .sort((a, b) => a.ms - b.ms || a.id - b.id);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: 'UTC', locale: 'en-US' });
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('snapshots of screenpipe 0.4.50 in the viewer', () => {
  it('unlocks and lists the text blobs of the day', async () => {
    expect(frames.length).toBeGreaterThan(0);
    expect(frames.every((f) => f.snapshot_path !== null)).toBe(true);
    await page.goto(stack.origin + '/');
    const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    expect(csp).toContain("img-src 'self' data: blob:");
    await page.getByLabel('Token', { exact: true }).fill(stack.token);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.locator('#app').waitFor({ state: 'visible', timeout: 60_000 });
    await openBlobList(page);
    await page.locator('#timeline-results .type-text button.blob').first().waitFor({ timeout: 30_000 });
  });

  let src = '';

  it('shows a frame’s snapshot beside its text: the fixture’s JPEG, decrypted from its pack', async () => {
    await page.locator('#timeline-results .type-text button.blob').first().click();
    const detail = page.locator('#detail');
    await detail.locator('#detail-frames').waitFor({ timeout: 30_000 });
    const start = Math.floor(frames[0].ms / 300_000) * 300_000;
    const inWindow = frames.filter((f) => f.ms >= start && f.ms < start + 300_000);
    expect(await detail.locator('#detail-frames').textContent()).toBe(`Screen (${inWindow.length} frames)`);

    const first = detail.locator('li.frame').first();
    expect(await first.getAttribute('class')).toContain('has-snapshot');
    const img = first.locator('figure.snapshot img');
    await img.waitFor({ state: 'visible', timeout: 30_000 });
    await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0), { timeout: 30_000 }).toBe(true);
    const shown = await img.evaluate((el: HTMLImageElement) => ({ src: el.src, width: el.naturalWidth, height: el.naturalHeight, alt: el.alt }));
    src = shown.src;

    // The frame's own JPEG: its size as decoded, and its bytes, equal the fixture file's.
    const jpeg = readFileSync(inWindow[0].snapshot_path!);
    expect({ width: shown.width, height: shown.height }).toEqual(jpegSize(jpeg));
    expect(shown.src).toMatch(/^blob:/);
    expect(shown.alt).toMatch(/^Snapshot of the screen at /);
    const hash = await page.evaluate(async (url) => {
      const bytes = await (await fetch(url)).arrayBuffer();
      return Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
    }, shown.src);
    expect(hash).toBe(createHash('sha256').update(jpeg).digest('hex'));
    expect(await first.locator('figcaption').textContent()).toBe('Snapshot');

    // Beside its frame's text.
    const text = await first.locator('.ocr-text').textContent();
    expect(text).toBe(inWindow[0].full_text);
    const [textBox, imgBox] = [await first.locator('.ocr-text').boundingBox(), await img.boundingBox()];
    expect(imgBox!.x).toBeGreaterThan(textBox!.x + textBox!.width - 1);

    // Every frame of the window that has a snapshot gets its own.
    await expect
      .poll(() => detail.locator('figure.snapshot img').evaluateAll((els) => els.filter((e) => (e as HTMLImageElement).naturalWidth > 0).length), { timeout: 30_000 })
      .toBe(Math.min(inWindow.length, 60));
    await page.screenshot({ path: path.join(ARTIFACTS, 'snapshots-1-text-blob.png'), fullPage: false });
  });

  it('shows the bundle’s memories and meetings as such', async () => {
    const detail = page.locator('#detail');
    expect(await detail.locator('#detail-memories').textContent()).toMatch(/^Memories \(\d+\)$/);
    expect(await detail.locator('#detail-meetings').textContent()).toMatch(/^Meetings \(\d+\)$/);
    // Some text blob holds the fixture's meeting: its title shows under Meetings.
    const meetings = await query<{ title: string | null }>(stack.fixture.db, 'SELECT title FROM meetings ORDER BY id');
    const memories = await query<{ content: string }>(stack.fixture.db, 'SELECT content FROM memories ORDER BY id');
    expect(meetings.length + memories.length).toBeGreaterThan(0);
    const blobs = page.locator('#timeline-results .type-text button.blob');
    const count = await blobs.count();
    const seenMeetings = new Set<string>();
    const seenMemories = new Set<string>();
    for (let i = 0; i < count && (seenMeetings.size < meetings.length || seenMemories.size < memories.length); i++) {
      await blobs.nth(i).click();
      await detail.locator('#detail-meetings').waitFor({ timeout: 30_000 });
      for (const t of await detail.locator('li.meeting h4').allTextContents()) seenMeetings.add(t);
      for (const t of await detail.locator('li.memory .memory-text').allTextContents()) seenMemories.add(t);
    }
    for (const m of meetings) if (m.title) expect([...seenMeetings].some((t) => t.endsWith(m.title!))).toBe(true);
    for (const m of memories) expect(seenMemories).toContain(m.content);
  });

  it('opens a snapshot pack from the timeline as its images', async () => {
    await page.locator('#timeline-results .type-frames button.blob').first().click();
    const detail = page.locator('#detail');
    await detail.locator('#detail-snapshots').waitFor({ timeout: 30_000 });
    // The first pack holds the first text window's snapshots (packs are cut at its boundaries).
    const start = Math.floor(frames[0].ms / 300_000) * 300_000;
    const inWindow = frames.filter((f) => f.ms >= start && f.ms < start + 300_000);
    expect(await detail.locator('#detail-snapshots').textContent()).toBe(`Snapshots (${inWindow.length})`);
    expect(await page.locator('#media-progress-text').textContent()).toMatch(new RegExp(`^Decrypted and verified: ${inWindow.length} snapshots`));
    expect(await page.locator('#media-player').count()).toBe(0);
    const img = detail.locator('figure.snapshot img').first();
    await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.naturalWidth), { timeout: 30_000 }).toBeGreaterThan(0);
    const size = await img.evaluate((el: HTMLImageElement) => ({ width: el.naturalWidth, height: el.naturalHeight }));
    expect(size).toEqual(jpegSize(readFileSync(inWindow[0].snapshot_path!)));
    await page.screenshot({ path: path.join(ARTIFACTS, 'snapshots-2-pack.png'), fullPage: false });
  });

  it('revokes the snapshot URLs when the blob is closed', async () => {
    await page.getByRole('button', { name: 'Close' }).click();
    const loads = await page.evaluate(async (url) => {
      try {
        await fetch(url);
        return 'loaded';
      } catch {
        return 'revoked';
      }
    }, src);
    expect(loads).toBe('revoked');
    expect(pageErrors).toEqual([]);
  });
});

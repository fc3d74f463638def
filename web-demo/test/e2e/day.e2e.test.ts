// End to end, the day view, against what the real screenpipe 0.4.50 recorded
// (tests/screenpipe/fixtures/v0.4.50: three OCR frames and their JPEGs), pushed by the native
// client to a real server: the latest moment's screenshot after unlock (the fixture's JPEG,
// byte for byte), scrubbing by pointer and by keyboard alone, a search hit with its screenshot
// that opens its moment, a deep link opened after unlock, a phone-sized screen, and lock.
// Screenshots go to test-artifacts/e2e/day-*.png.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseStoredTime } from '../../src/format';
import { CHROMIUM, CHROMIUM_ARGS } from './browser';
import { PASSWORD, query, startStack, type Stack } from './stack';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const DIST = path.join(ROOT, 'dist');
const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'e2e');

interface DbFrame {
  id: number;
  timestamp: string;
  snapshot_path: string;
  full_text: string;
}

let browser: Browser;
let stack: Stack;
let page: Page;
let frames: (DbFrame & { ms: number; iso: string; sha: string })[] = [];
const pageErrors: string[] = [];

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** What the day view shows now: its moment's time, the image's bytes (SHA-256) and size, the text. */
async function shown(p: Page): Promise<{ time: string | undefined; sha: string; width: number; text: string | null; valueNow: string | null }> {
  const img = p.locator('#moment-img');
  await expect.poll(() => img.evaluate((el: HTMLImageElement) => !el.hidden && el.complete && el.naturalWidth > 0), { timeout: 30_000 }).toBe(true);
  const time = await p.locator('#day-moment').evaluate((el) => (el as HTMLElement).dataset.time);
  const { src, width } = await img.evaluate((el: HTMLImageElement) => ({ src: el.src, width: el.naturalWidth }));
  const sha = await p.evaluate(async (url) => {
    const bytes = await (await fetch(url)).arrayBuffer();
    return Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
  }, src);
  const device = await p.locator('#day-moment').evaluate((el) => (el as HTMLElement).dataset.device);
  const valueNow = await p.locator(`.day-bar[data-device="${device}"]`).getAttribute('aria-valuenow');
  return { time, sha, width, text: await p.locator('#moment-text').textContent(), valueNow };
}

/** Waits until the moment shown is frame `i` of the fixture, with its own screenshot and text. */
async function expectFrame(p: Page, i: number): Promise<void> {
  await expect.poll(() => p.locator('#day-moment').evaluate((el) => (el as HTMLElement).dataset.time), { timeout: 30_000 }).toBe(frames[i].iso);
  await expect.poll(async () => (await shown(p)).sha, { timeout: 30_000 }).toBe(frames[i].sha);
  const now = await shown(p);
  expect(now.text).toBe(frames[i].full_text);
  expect(now.valueNow).toBe(String(i));
}

async function unlock(p: Page): Promise<number> {
  await p.getByLabel('Token', { exact: true }).fill(stack.token);
  await p.getByLabel('Password', { exact: true }).fill(PASSWORD);
  const clicked = await p.evaluate(() => performance.now());
  await p.getByRole('button', { name: 'Unlock' }).click();
  await p.locator('#app').waitFor({ state: 'visible', timeout: 60_000 });
  return clicked;
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  stack = await startStack(DIST, null, 'recorded-0.4.50');
  frames = (await query<DbFrame>(stack.fixture.db, 'SELECT id, timestamp, snapshot_path, full_text FROM frames'))
    .map((f) => {
      const ms = parseStoredTime(f.timestamp)!;
      return { ...f, ms, iso: new Date(ms).toISOString(), sha: sha256(readFileSync(f.snapshot_path)) };
    })
    .sort((a, b) => a.ms - b.ms || a.id - b.id);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: 'UTC', locale: 'en-US' });
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('the day view of a real screenpipe 0.4.50 recording', () => {
  it('opens the latest recorded moment after unlock: its screenshot (the fixture’s JPEG), time and text', async () => {
    expect(frames).toHaveLength(3);
    await page.goto(stack.origin + '/');
    const clicked = await unlock(page);
    const bar = page.getByRole('slider', { name: 'Time bar of E2E laptop' });
    await bar.waitFor({ timeout: 60_000 });
    await expectFrame(page, 2);
    const first = await page.evaluate(() => performance.getEntriesByName('viewer:first-screenshot')[0]?.startTime ?? null);
    expect(first).not.toBeNull();
    console.log(`[day view, recorded 0.4.50 fixture] time to first screenshot after unlock: ${Math.round(first! - clicked)} ms`);
    expect(await page.locator('#day-date').inputValue()).toBe(frames[2].iso.slice(0, 10));
    expect(await bar.getAttribute('aria-valuemax')).toBe('2');
    expect(await bar.getAttribute('aria-valuetext')).toContain(frames[2].iso.slice(11, 19));
    expect(await page.locator('#moment-time').textContent()).toBe(`${frames[2].iso.slice(0, 10)} ${frames[2].iso.slice(11, 19)}`);
    expect(await page.locator('#moment-img').getAttribute('alt')).toMatch(/^Screenshot of the screen at /);
    expect(await page.locator('#day-status').textContent()).toMatch(/^3 frames on \d{4}-\d{2}-\d{2} from 1 device\.$/);
    // The blob list is a closed details panel below.
    expect(await page.locator('#blob-list').evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    await page.screenshot({ path: path.join(ARTIFACTS, 'day-1-latest.png') });
  });

  it('moves by pointer: a click, then a drag across the bar', async () => {
    const bar = page.locator('.day-bar').first();
    const box = (await bar.boundingBox())!;
    await page.mouse.click(box.x + box.width * 0.02, box.y + box.height / 2);
    await expectFrame(page, 0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'day-2-scrubbed-first.png') });
    await page.mouse.move(box.x + box.width * 0.03, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.97, box.y + box.height / 2, { steps: 20 });
    await page.mouse.up();
    await expectFrame(page, 2);
  });

  it('shows thumbnails of the moments around, decrypted once the cursor rests; one opens its moment', async () => {
    const thumbs = page.locator('#moment-strip button.thumb');
    await expect.poll(() => page.locator('#moment-strip button[aria-current="true"]').getAttribute('aria-label'), { timeout: 30_000 }).toBe(`Show ${frames[2].iso.slice(11, 19)}`);
    expect(await thumbs.count()).toBe(3);
    await expect
      .poll(() => thumbs.locator('img').evaluateAll((els) => els.filter((e) => (e as HTMLImageElement).naturalWidth > 0).length), { timeout: 30_000 })
      .toBe(3);
    await thumbs.first().click();
    await expectFrame(page, 0);
    await expect.poll(() => page.locator('#moment-strip button[aria-current="true"]').getAttribute('aria-label')).toBe(`Show ${frames[0].iso.slice(11, 19)}`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'day-2b-thumbnails.png') });
  });

  it('works with the keyboard alone: Tab to the bar, arrows, Shift+arrows, Home and End', async () => {
    await page.locator('#timeline-title').focus();
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate(() => document.activeElement?.classList.contains('day-bar'))) break;
    }
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Time bar of E2E laptop');
    await page.keyboard.press('Home');
    await expectFrame(page, 0);
    await page.keyboard.press('ArrowRight');
    await expectFrame(page, 1);
    await page.keyboard.press('End');
    await expectFrame(page, 2);
    await page.keyboard.press('ArrowLeft');
    await expectFrame(page, 1);
    await page.keyboard.press('Shift+ArrowLeft');
    await expectFrame(page, 0);
    await page.keyboard.press('Shift+ArrowRight');
    await expectFrame(page, 2); // the three frames are within a minute
    await page.screenshot({ path: path.join(ARTIFACTS, 'day-3-keyboard.png') });
    // The moment's blob opens at its frame, from the keyboard.
    await page.keyboard.press('Home');
    await expectFrame(page, 0);
    await page.locator('#moment-open').focus();
    await page.keyboard.press('Enter');
    const target = page.locator('#detail li.frame.focus-target');
    await target.waitFor({ timeout: 30_000 });
    expect(await target.locator('.ocr-text').textContent()).toBe(frames[0].full_text);
    await page.keyboard.press('Escape');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('moment-open');
  });

  it('shows a search hit’s screenshot beside its highlighted text and opens its moment', async () => {
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByLabel('Search', { exact: true }).fill('marmalade');
    await page.locator('#search-form').getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.locator('#search-status').textContent(), { timeout: 60_000 }).toMatch(/^1 hit for “marmalade”/);
    const hit = page.locator('li.hit-frame');
    expect(await hit.locator('mark').allTextContents()).toEqual(['marmalade']);
    const img = hit.locator('figure.hit-shot img');
    await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0), { timeout: 30_000 }).toBe(true);
    const sha = await page.evaluate(async (url) => {
      const bytes = await (await fetch(url)).arrayBuffer();
      return Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
    }, (await img.getAttribute('src'))!);
    expect(sha).toBe(frames[1].sha);
    const [textBox, imgBox] = [await hit.locator('.snippet').boundingBox(), await img.boundingBox()];
    expect(imgBox!.x).toBeGreaterThan(textBox!.x + textBox!.width - 1);
    await page.screenshot({ path: path.join(ARTIFACTS, 'day-4-search-hit.png') });
    await hit.getByRole('button', { name: /^Show the moment of the screen hit/ }).click();
    expect(await page.locator('#view-timeline').isVisible()).toBe(true);
    await expectFrame(page, 1);
    await expect.poll(() => page.evaluate(() => document.activeElement?.classList.contains('day-bar'))).toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS, 'day-5-search-moment.png') });
  });

  it('opens a deep link’s moment after unlock, and follows a new link while unlocked', async () => {
    const t = frames[1].iso.replace(/\.\d+Z$/, 'Z'); // whole seconds: frame 1 is the nearest
    const link = await page.locator('#moment-link').getAttribute('href');
    expect(link).toBe(`#t=${t}&device=${stack.cliDeviceId}`);
    // A new page of the same browser profile (the same device: Starter allows three).
    const p = await page.context().newPage();
    p.on('pageerror', (e) => pageErrors.push(String(e)));
    try {
      await p.goto(`${stack.origin}/#t=${t}&device=${stack.cliDeviceId}`);
      await unlock(p);
      await expectFrame(p, 1);
      expect(await p.evaluate(() => location.hash)).toBe(`#t=${t}&device=${stack.cliDeviceId}`);
      await p.evaluate((h) => (location.hash = h), `#t=${frames[0].iso}`);
      await expectFrame(p, 0);
      await p.screenshot({ path: path.join(ARTIFACTS, 'day-6-deep-link.png') });
    } finally {
      await p.close();
    }
  });

  it('fits a phone screen (390×844): the bar, the screenshot, a tap moves the cursor', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, timezoneId: 'UTC', locale: 'en-US' });
    const p = await phone.newPage();
    p.on('pageerror', (e) => pageErrors.push(String(e)));
    try {
      await p.goto(stack.origin + '/');
      await unlock(p);
      await expectFrame(p, 2);
      expect(await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      const bar = p.locator('.day-bar').first();
      const box = (await bar.boundingBox())!;
      expect(box.width).toBeLessThanOrEqual(390);
      await bar.tap({ position: { x: box.width * 0.02, y: box.height / 2 } });
      await expectFrame(p, 0);
      const [shot, info] = [await p.locator('#moment-img').boundingBox(), await p.locator('#moment-text').boundingBox()];
      expect(shot!.width).toBeLessThanOrEqual(390);
      expect(info!.y).toBeGreaterThan(shot!.y); // one column: the text under the screenshot
      expect(await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      await p.screenshot({ path: path.join(ARTIFACTS, 'day-7-phone.png'), fullPage: true });
    } finally {
      await phone.close();
    }
  });

  it('forgets every screenshot at lock (object URLs revoked)', async () => {
    await page.getByRole('button', { name: 'Timeline', exact: true }).click();
    const src = (await page.locator('#moment-img').getAttribute('src'))!;
    expect(src).toMatch(/^blob:/);
    await page.getByRole('button', { name: 'Lock' }).click();
    await page.locator('#signin').waitFor({ state: 'visible' });
    expect(await page.evaluate((u) => fetch(u).then(() => 'read', () => 'revoked'), src)).toBe('revoked');
    expect(await page.locator('#day-moment').isHidden()).toBe(true);
    expect(await page.locator('#day-bars').evaluate((el) => el.children.length)).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});

// The day view's speed on a day of a few thousand snapshots (screenpipe-sync dev fixture,
// screenpipe 0.4.50 generation: 4 hours, a frame every 5 s, 2,880 JPEGs in media packs):
// time to the first screenshot after unlock, time until the whole day is decrypted, and
// frames per second (requestAnimationFrame callbacks) during a scripted scrub across the bar.
// The numbers are printed; docs/PERFORMANCE.md ("WebAssembly / viewer") records them.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS } from './browser';
import { PASSWORD, query, startStack, type Stack } from './stack';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const DIST = path.join(ROOT, 'dist');
const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'e2e');

let browser: Browser;
let stack: Stack;
let page: Page;
let frameCount = 0;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const started = Date.now();
  stack = await startStack(DIST, null, '0.4.50', { '--hours-per-day': '4', '--frame-interval': '5', '--snapshot-kib': '8' });
  frameCount = (await query<{ n: number }>(stack.fixture.db, 'SELECT count(*) AS n FROM frames'))[0].n;
  console.log(`[day view perf] fixture of ${frameCount} frames made and pushed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: 'UTC', locale: 'en-US' });
  page = await context.newPage();
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('the day view with a few thousand snapshots', () => {
  it('shows the first screenshot soon after unlock, then the whole day', async () => {
    expect(frameCount).toBeGreaterThanOrEqual(2000);
    await page.goto(stack.origin + '/');
    await page.getByLabel('Token', { exact: true }).fill(stack.token);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    const clicked = await page.evaluate(() => performance.now());
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.waitForFunction(() => performance.getEntriesByName('viewer:first-screenshot').length > 0, undefined, { timeout: 120_000 });
    const first = await page.evaluate(() => performance.getEntriesByName('viewer:first-screenshot')[0].startTime);
    await expect.poll(() => page.locator('#day-status').textContent(), { timeout: 300_000, interval: 250 }).toMatch(/^\d+ frames on /);
    const whole = await page.evaluate(() => performance.now());
    expect(await page.locator('#day-status').textContent()).toMatch(new RegExp(`^${frameCount} frames on `));
    console.log(`[day view perf] ${frameCount} frames: first screenshot ${Math.round(first - clicked)} ms after Unlock (Argon2id included); whole day decrypted after ${Math.round(whole - clicked)} ms`);
  });

  it('scrubs smoothly: frames per second while dragging across the bar', async () => {
    const bar = page.locator('.day-bar').first();
    const box = (await bar.boundingBox())!;
    const y = box.y + box.height / 2;
    await page.evaluate(() => {
      const w = window as unknown as { perf: { frames: number; moments: Set<string>; run: boolean } };
      w.perf = { frames: 0, moments: new Set(), run: true };
      const tick = () => {
        w.perf.frames += 1;
        w.perf.moments.add((document.getElementById('day-moment') as HTMLElement).dataset.time ?? '');
        if (w.perf.run) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    const t0 = await page.evaluate(() => performance.now());
    await page.mouse.move(box.x + 2, y);
    await page.mouse.down();
    // Across the bar and back, 150 pointer moves each way.
    for (const to of [1, 0]) await page.mouse.move(box.x + box.width * to, y, { steps: 150 });
    await page.mouse.up();
    const { frames, moments, elapsed } = await page.evaluate((start) => {
      const w = window as unknown as { perf: { frames: number; moments: Set<string>; run: boolean } };
      w.perf.run = false;
      return { frames: w.perf.frames, moments: w.perf.moments.size, elapsed: performance.now() - start };
    }, t0);
    const fps = frames / (elapsed / 1000);
    console.log(`[day view perf] scrub of ${(elapsed / 1000).toFixed(2)} s: ${frames} animation frames, ${fps.toFixed(1)} fps, ${moments} moments shown`);
    expect(moments).toBeGreaterThan(50);
    expect(fps).toBeGreaterThan(10);
    // After the scrub the cursor's screenshot arrives.
    await expect
      .poll(() => page.locator('#moment-img').evaluate((el: HTMLImageElement) => !el.hidden && el.complete && el.naturalWidth > 0), { timeout: 30_000 })
      .toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS, 'day-perf-scrubbed.png') });
  });
});

// End to end, device linking (docs/FORMAT.md section 12): `screenpipe-sync link` on the
// desktop shows a code, the viewer in headless Chromium joins with it ("Link this browser", no
// password), the keys stay in the page's memory: the timeline opens, and after Lock the page
// must be linked (or unlocked) again. A wrong code fails with its message on both sides.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS, openBlobList } from './browser';
import { PASSWORD, startStack, type Stack } from './stack';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const DIST = path.join(ROOT, 'dist');
const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'e2e');

let browser: Browser;
let stack: Stack;
let page: Page;
const pageErrors: string[] = [];

/** `screenpipe-sync link --yes` on the desktop of the stack: the process and its code. */
async function startLink(): Promise<{ child: ChildProcessWithoutNullStreams; code: string; done: Promise<number> }> {
  const env = {
    ...process.env,
    SCREENPIPE_SYNC_SERVER: stack.origin,
    SCREENPIPE_SYNC_TOKEN: stack.token,
    SCREENPIPE_SYNC_DB: stack.fixture.db,
    SCREENPIPE_SYNC_DATA_DIR: stack.fixture.data,
    SCREENPIPE_SYNC_STATE_DIR: path.join(stack.dir, 'client-state'),
    SCREENPIPE_SYNC_PASSWORD: PASSWORD,
  };
  const child = spawn(process.env.SCREENPIPE_SYNC_BIN!, ['link', '--yes'], { env });
  const done = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
  const lines = createInterface({ input: child.stdout });
  const code = await new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => {
      if (line.startsWith('code: ')) resolve(line.slice('code: '.length).trim());
    });
    child.once('exit', () => reject(new Error('link ended before showing a code')));
  });
  return { child, code, done };
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  stack = await startStack(DIST, null);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: 'UTC', locale: 'en-US' });
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('Link this browser', () => {
  it('a wrong code is refused on both sides', async () => {
    await page.goto(stack.origin + '/');
    await page.getByLabel('Token', { exact: true }).fill(stack.token);
    const link = await startLink();
    const words = link.code.split('-');
    words[2] = words[2] === 'abandon' ? 'ability' : 'abandon';
    await page.getByText('Link this browser').first().click();
    await page.getByLabel('Code', { exact: true }).fill(words.join('-'));
    await page.getByRole('button', { name: 'Link this browser' }).click();
    await page.locator('#unlock-error').filter({ hasText: 'The code is wrong' }).waitFor({ timeout: 60_000 });
    expect(await link.done).not.toBe(0);
    expect(await page.locator('#app').isHidden()).toBe(true);
  });

  it('the code from the desktop links the browser without a password; Lock forgets the keys', async () => {
    const link = await startLink();
    await page.getByLabel('Password', { exact: true }).fill('');
    await page.getByLabel('Code', { exact: true }).fill(link.code);
    await page.getByRole('button', { name: 'Link this browser' }).click();
    await page.locator('#app').waitFor({ state: 'visible', timeout: 60_000 });
    expect(await link.done).toBe(0);
    // The linked page reads the account's blobs: the day view's details panel lists them.
    await openBlobList(page);
    await page.locator('#timeline-results button.blob').first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'link-01-linked.png'), fullPage: true });
    // Nothing of the keys in the page's storage.
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    expect(stored).not.toContain('secret');
    expect(stored).not.toContain(link.code);
    await page.getByRole('button', { name: 'Lock' }).click();
    await page.locator('#signin').waitFor({ state: 'visible' });
    await page.reload();
    expect(await page.locator('#app').isHidden()).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});

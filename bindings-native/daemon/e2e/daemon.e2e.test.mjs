// End to end: the daemon's settings page in headless Chromium (playwright-core, Debian's
// /usr/bin/chromium) against a real sync-server and a daemon over a fixture database. The steps
// run in order on one stack: connect with a wrong then the right password, status and storage
// bar, frequency, data types and "Keep on this device" persisting across a daemon restart, Sync
// now sending rows written meanwhile, removing another device, linking a new device (code, QR
// code, a CLI joins, approved on the page), the server going away and coming back, a foreign
// Host and a cross-origin POST refused, unlink. Screenshots go to test-artifacts/e2e/.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { PASSWORD, query, raw, startOtherOrigin, startStack, WRONG_PASSWORD } from './stack.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = path.resolve(HERE, '..', 'test-artifacts', 'e2e');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  // A rebinding attacker's name for the daemon's address.
  '--host-resolver-rules=MAP rebind.test 127.0.0.1',
];
const TIMEOUT = 60_000;
const execFileAsync = promisify(execFile);

let browser;
let stack;
let page;
let shot = 0;
const pageErrors = [];

async function screenshot(name) {
  shot += 1;
  await page.screenshot({ path: path.join(ARTIFACTS, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
}

async function apiStatus() {
  const r = await fetch(`${stack.daemonUrl}/api/status`);
  return r.json();
}

async function waitFor(what, f, timeout = TIMEOUT) {
  const start = Date.now();
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() - start > timeout) throw new Error(`timed out waiting for ${what}\n${stack.daemonLog().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const health = () => page.locator('#health');

async function openPage() {
  await page.goto(stack.daemonUrl);
  await page.waitForFunction(() => document.getElementById('health').textContent !== 'Loading…');
}

async function completedBlobs() {
  const rows = await query(stack.serverDb, 'SELECT COUNT(*) AS n FROM blobs WHERE state = 1');
  return rows[0].n;
}

before(async () => {
  rmSync(ARTIFACTS, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  stack = await startStack();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.setDefaultTimeout(TIMEOUT);
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('the daemon settings page', () => {
  test('connect with a wrong then the right password', async () => {
    await openPage();
    await assert.doesNotReject(health().filter({ hasText: 'Not connected' }).waitFor());
    // No keychain on this headless machine: the option is shown as unavailable, with why.
    const remember = page.getByRole('checkbox', { name: 'Remember on this device' });
    assert.equal(await remember.isDisabled(), true);
    assert.match(await page.locator('#remember-note').textContent(), /Unavailable: this computer has no keychain/);

    await page.getByLabel('Server', { exact: true }).fill(stack.serverUrl);
    await page.getByLabel('Token', { exact: true }).fill(stack.token);
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill(WRONG_PASSWORD);
    await page.getByRole('button', { name: 'Connect' }).click();
    const alert = page.locator('#connect-error');
    await alert.filter({ hasText: 'Wrong password' }).waitFor();
    assert.equal((await apiStatus()).locked, true);
    await screenshot('wrong-password');

    await page.getByRole('textbox', { name: 'Password', exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.getByRole('progressbar', { name: 'Storage' }).waitFor();
    await health().filter({ hasText: 'Connected' }).waitFor();
    // The password never stays in the form.
    assert.equal(await page.evaluate(() => document.getElementById('password').value), '');
  });

  test('status: storage bar, last sync, pending, devices', async () => {
    await page.locator('#storage-text').filter({ hasText: /used \(starter\)/ }).waitFor();
    const bar = page.getByRole('progressbar', { name: 'Storage' });
    const value = Number(await bar.getAttribute('value'));
    const max = Number(await bar.getAttribute('max'));
    assert.ok(value > 0, `storage used ${value}`);
    assert.equal(max, 20e9);
    assert.match(await page.locator('#storage-text').textContent(), /^[\d.]+ (KB|MB) of 20\.0 GB used \(starter\)$/);
    await page.locator('#last-sync time').waitFor();
    const when = Date.parse(await page.locator('#last-sync time').getAttribute('datetime'));
    assert.ok(Math.abs(Date.now() - when) < 5 * 60_000);
    await page.locator('#pending').filter({ hasText: '0 blobs waiting to upload' }).waitFor();
    const devices = page.getByRole('list', { name: 'Devices' });
    await devices.getByRole('listitem').filter({ hasText: 'E2E desktop' }).waitFor();
    const me = devices.getByRole('listitem').filter({ hasText: 'E2E laptop' });
    assert.match(await me.textContent(), /This device/);
    assert.equal(await me.getByRole('button', { name: 'Remove' }).count(), 0);
    // The search API section: this daemon's address and the key clients send, as stored.
    const key = readFileSync(path.join(stack.stateDir, 'search-api-key'), 'utf8').trim();
    assert.ok(key.length >= 32, 'a search API key was made');
    await page.locator('#search-api-key').filter({ hasText: key }).waitFor();
    assert.equal(await page.locator('#search-api-port').textContent(), String(stack.daemonPort));
    await screenshot('connected');
    // A narrow window: one column, nothing cut.
    await page.setViewportSize({ width: 360, height: 800 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `horizontal overflow of ${overflow}px at 360px`);
    await screenshot('narrow');
    await page.setViewportSize({ width: 1000, height: 900 });
  });

  test('frequency and data types persist across a daemon restart', async () => {
    await page.getByLabel('Sync frequency').selectOption({ label: '1 hour' });
    await page.locator('#options-status').filter({ hasText: 'Saved.' }).waitFor();
    await page.getByRole('checkbox', { name: 'Audio' }).uncheck();
    // Keep on this device: forever by default; screen 90 days, text 30 days.
    const keepScreen = page.getByRole('combobox', { name: 'Screen', exact: true });
    assert.equal(await keepScreen.inputValue(), '');
    await keepScreen.selectOption({ label: '90 days' });
    const keepText = page.getByRole('combobox', { name: 'Text', exact: true });
    assert.equal(await keepText.inputValue(), '');
    await keepText.selectOption({ label: '30 days' });
    await page.getByLabel('Bandwidth limit (Mbit/s)').fill('8');
    await page.getByLabel('Bandwidth limit (Mbit/s)').press('Tab');
    await waitFor('the bandwidth saved', async () => {
      const r = await fetch(`${stack.daemonUrl}/api/config`);
      const c = await r.json();
      return c.bandwidth_limit_mbps === 8 && c.data_types.audio === false && c.interval === '1h' && c.keep_on_device.screen === 90 && c.keep_on_device.text === 30;
    });
    assert.match(await page.locator('#offloaded').textContent(), /Nothing offloaded|–/);
    const file = readFileSync(path.join(stack.stateDir, 'config.toml'), 'utf8');
    assert.match(file, /sync_interval = "1h"/);
    assert.match(file, /bandwidth_limit = 1000000/);
    assert.match(file, /audio = false/);
    assert.match(file, /text = 30/);
    assert.ok(!file.includes(PASSWORD));
    await screenshot('options-changed');

    await stack.stopDaemon();
    await stack.startDaemon();
    await openPage();
    // Locked after the restart (no keychain here): the password alone, server and token saved.
    await health().filter({ hasText: 'Locked' }).waitFor();
    assert.match(await page.locator('#token-note').textContent(), /A token is saved/);
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.getByRole('progressbar', { name: 'Storage' }).waitFor();
    await waitFor('the options filled', async () => (await page.getByLabel('Sync frequency').inputValue()) === '1h');
    assert.equal(await page.getByRole('checkbox', { name: 'Audio' }).isChecked(), false);
    assert.equal(await page.getByRole('checkbox', { name: 'Screen' }).isChecked(), true);
    assert.equal(await page.getByRole('checkbox', { name: 'Text' }).isChecked(), true);
    assert.equal(await page.getByLabel('Bandwidth limit (Mbit/s)').inputValue(), '8');
    assert.equal(await page.getByRole('combobox', { name: 'Screen', exact: true }).inputValue(), '90');
    assert.equal(await page.getByRole('combobox', { name: 'Audio', exact: true }).inputValue(), '');
    assert.equal(await page.getByRole('combobox', { name: 'Text', exact: true }).inputValue(), '30');
    await screenshot('options-after-restart');
    // Cloud retention: the plan's limit shown; 90 days for screen saved on the server.
    await page.locator('#cloud-retention-note').filter({ hasText: /Your plan/ }).waitFor();
    await page.getByRole('combobox', { name: 'Screen in the cloud' }).selectOption({ label: '90 days' });
    await waitFor('the cloud retention saved', async () => {
      const r = await (await fetch(`${stack.daemonUrl}/api/retention`)).json();
      return r.policy.frames === 90;
    });
    // Back to forever (the tests below count the fixture's files).
    await page.getByRole('combobox', { name: 'Screen', exact: true }).selectOption({ label: 'Forever' });
    await page.getByRole('combobox', { name: 'Text', exact: true }).selectOption({ label: 'Forever' });
    await waitFor('keep forever saved', async () => {
      const c = await (await fetch(`${stack.daemonUrl}/api/config`)).json();
      return c.keep_on_device.screen === null && c.keep_on_device.text === null;
    });
  });

  test('Sync now pushes rows written meanwhile', async () => {
    await health().filter({ hasText: 'Connected' }).waitFor();
    const before = await completedBlobs();
    const cycles = (await apiStatus()).completed_cycles;
    await query(
      stack.fixture.db_path,
      `INSERT INTO audio_transcriptions (audio_chunk_id, offset_index, timestamp, transcription, device, is_input_device)
       SELECT audio_chunk_id, offset_index, timestamp, 'quokka marmalade heliotrope', device, is_input_device
       FROM audio_transcriptions ORDER BY id DESC LIMIT 1 RETURNING id`,
      true,
    );
    // By keyboard: focus the button, press Enter.
    await page.getByRole('button', { name: 'Sync now' }).focus();
    await page.keyboard.press('Enter');
    await waitFor('the cycle', async () => (await apiStatus()).completed_cycles > cycles);
    const afterCount = await completedBlobs();
    assert.ok(afterCount > before, `blobs ${before} → ${afterCount}`);
    await health().filter({ hasText: 'Connected' }).waitFor();
    await screenshot('synced-now');
  });

  test('remove another device', async () => {
    const devices = page.getByRole('list', { name: 'Devices' });
    const desktop = devices.getByRole('listitem').filter({ hasText: 'E2E desktop' });
    await desktop.getByRole('button', { name: 'Remove' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    assert.match(await dialog.textContent(), /E2E desktop .* stops syncing and leaves the account/);
    await screenshot('remove-confirm');
    await dialog.getByRole('button', { name: 'Yes, remove' }).click();
    await desktop.waitFor({ state: 'detached' });
    const rows = await query(stack.serverDb, "SELECT device_name FROM devices ORDER BY device_name");
    assert.deepEqual(rows.map((r) => r.device_name), ['E2E laptop']);
  });

  test('link a new device: the code and its QR code, a CLI joins, approved on the page', async () => {
    await page.getByRole('button', { name: 'Link a new device' }).click();
    const codeEl = page.locator('#link-code');
    await codeEl.waitFor();
    const code = (await codeEl.textContent()).trim();
    assert.match(code, /^[1-9][0-9]{0,3}(-[a-z]+){3}$/);
    const qr = page.getByRole('img', { name: 'QR code of the link' });
    await qr.waitFor();
    assert.ok((await qr.getAttribute('src')).startsWith('data:image/svg+xml'));
    assert.ok((await qr.evaluate((img) => img.complete && img.naturalWidth > 0)), 'the QR code renders');
    await screenshot('link-code');
    // A new device (no screenpipe database needed to join): the CLI, no password.
    const phone = path.join(stack.dir, 'phone');
    const env = {
      ...process.env,
      SCREENPIPE_SYNC_SERVER: stack.serverUrl,
      SCREENPIPE_SYNC_TOKEN: stack.token,
      SCREENPIPE_SYNC_STATE_DIR: path.join(phone, 'sync'),
      SCREENPIPE_SYNC_DB: path.join(phone, 'db.sqlite'),
      SCREENPIPE_SYNC_DATA_DIR: path.join(phone, 'data'),
      SCREENPIPE_SYNC_DEVICE_NAME: 'E2E phone',
      SCREENPIPE_SYNC_TEST_KEYS_DIR: path.join(phone, 'keychain'),
    };
    delete env.SCREENPIPE_SYNC_PASSWORD;
    const joined = execFileAsync(process.env.SCREENPIPE_SYNC_BIN, ['join', code, '--json'], { env });
    await page.locator('#link-device').filter({ hasText: 'E2E phone' }).waitFor();
    await screenshot('link-approve');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.locator('#link-status').filter({ hasText: 'The keys were sent to \u201cE2E phone\u201d' }).waitFor();
    const { stdout } = await joined;
    const phoneJoined = JSON.parse(stdout);
    assert.equal(phoneJoined.remembered, true);
    const rows = await query(stack.serverDb, "SELECT device_name FROM devices ORDER BY device_name");
    assert.deepEqual(rows.map((r) => r.device_name), ['E2E laptop', 'E2E phone']);
    assert.deepEqual(await query(stack.serverDb, 'SELECT COUNT(*) AS n FROM pair_mailboxes'), [{ n: 0 }]);
    await screenshot('link-sent');
    // The phone leaves again (the later steps expect the laptop alone).
    const removed = await execFileAsync(process.env.SCREENPIPE_SYNC_BIN, ['devices', 'remove', phoneJoined.device_id, '--json'], { env });
    assert.equal(JSON.parse(removed.stdout).removed, true);
  });

  test('the daemon survives the sync server going away and coming back', async () => {
    await stack.stopServer();
    await page.getByRole('button', { name: 'Sync now' }).click();
    await page.locator('#health[data-kind="error"]').waitFor();
    assert.match(await health().textContent(), /network error/);
    assert.match(await health().textContent(), /retrying on its own/);
    await screenshot('server-down');
    await stack.startServer();
    await health().filter({ hasText: 'Connected' }).waitFor({ timeout: 30_000 });
    await screenshot('server-back');
  });

  test('a foreign Host and a cross-origin POST are refused', async () => {
    // DNS rebinding: another name for the daemon's address, in the browser and raw.
    const other = await page.context().newPage();
    const answer = await other.goto(`http://rebind.test:${stack.daemonPort}/`);
    assert.equal(answer.status(), 403);
    assert.match(await other.textContent('body'), /forbidden_host/);
    const rawAnswer = await raw(`${stack.daemonUrl}/api/status`, { headers: { host: `evil.example:${stack.daemonPort}` } });
    assert.equal(rawAnswer.status, 403);

    // A page of another origin (any web site the person visits) posts to the daemon: refused.
    const site = await startOtherOrigin();
    await other.goto(site.url);
    // The browser sends it (a simple request needs no preflight) and hides the answer from the
    // page, whose fetch fails; the daemon refused it (still linked, checked at the end). The
    // same request from outside the browser shows the daemon's answer.
    const unlinkUrl = `${stack.daemonUrl}/api/unlink`;
    const failed = other.waitForEvent('requestfailed', (r) => r.url() === unlinkUrl);
    const outcome = await other.evaluate(async (url) => {
      try {
        const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: '{"confirm":true}' });
        return `answered ${r.status}`;
      } catch {
        return 'blocked';
      }
    }, unlinkUrl);
    assert.equal(outcome, 'blocked');
    await failed;
    const fromSite = await raw(unlinkUrl, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', origin: new URL(site.url).origin },
      body: '{"confirm":true}',
    });
    assert.equal(fromSite.status, 403);
    assert.equal(JSON.parse(fromSite.text).code, 'cross_origin');
    // And with the page's token but a foreign origin, from outside the browser.
    const token = await page.locator('meta[name="csrf-token"]').getAttribute('content');
    const posted = await raw(`${stack.daemonUrl}/api/unlink`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': token, origin: 'http://evil.example' },
      body: '{"confirm":true}',
    });
    assert.equal(posted.status, 403);
    const noToken = await raw(`${stack.daemonUrl}/api/unlink`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: stack.daemonUrl },
      body: '{"confirm":true}',
    });
    assert.equal(noToken.status, 403);
    assert.equal(JSON.parse(noToken.text).code, 'csrf');
    await other.close();
    await site.close();
    assert.equal((await apiStatus()).locked, false, 'still linked');
  });

  test('unlink this device', async () => {
    await page.bringToFront();
    await page.getByRole('button', { name: 'Unlink this device' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    assert.match(await dialog.textContent(), /stops syncing and leaves the account/);
    assert.match(await dialog.textContent(), /data in the cloud stay/);
    await screenshot('unlink-confirm');
    await dialog.getByRole('button', { name: 'Yes, unlink this device' }).click();
    await health().filter({ hasText: 'Not connected' }).waitFor();
    await page.getByRole('button', { name: 'Connect' }).waitFor();
    const rows = await query(stack.serverDb, 'SELECT COUNT(*) AS n FROM devices');
    assert.equal(rows[0].n, 0);
    const file = readFileSync(path.join(stack.stateDir, 'config.toml'), 'utf8');
    assert.ok(!file.includes('token ='), file);
    await screenshot('unlinked');
    assert.deepEqual(pageErrors, []);
  });
});

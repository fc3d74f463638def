// What the end-to-end tests share about the browser: Debian's Chromium and its flags, and
// page helpers that do not depend on a test's state.

import type { Browser, Page } from 'playwright-core';

/** The Chromium to drive (Debian's by default). */
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Headless flags: no sandbox (CI runs as root), no GPU, no background traffic, no QUIC. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Text steps of the unlock progress line, recorded by a MutationObserver (they may flash by). */
export async function watchSteps(p: Page): Promise<void> {
  await p.evaluate(() => {
    const w = window as unknown as { steps: string[] };
    w.steps = [];
    const el = document.getElementById('unlock-step')!;
    new MutationObserver(() => {
      if (el.textContent) w.steps.push(el.textContent);
    }).observe(el, { childList: true, characterData: true, subtree: true });
  });
}

/** A short real WebM video, recorded by Chromium from a canvas (MediaRecorder). */
export async function makeWebm(b: Browser): Promise<Uint8Array> {
  const p = await b.newPage();
  const base64 = await p.evaluate(async () => {
    const canvas = document.createElement('canvas');
    canvas.width = 160;
    canvas.height = 90;
    document.body.append(canvas);
    const g = canvas.getContext('2d')!;
    const recorder = new MediaRecorder(canvas.captureStream(15), { mimeType: 'video/webm;codecs=vp8' });
    const chunks: Blob[] = [];
    recorder.ondataavailable = (e) => chunks.push(e.data);
    const stopped = new Promise((r) => (recorder.onstop = r));
    recorder.start();
    for (let i = 0; i < 20; i++) {
      g.fillStyle = `hsl(${i * 18}, 70%, 50%)`;
      g.fillRect(0, 0, 160, 90);
      g.fillStyle = '#fff';
      g.fillText(`frame ${i}`, 10, 50);
      await new Promise((r) => setTimeout(r, 60));
    }
    recorder.stop();
    await stopped;
    const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
    let s = '';
    for (const x of bytes) s += String.fromCharCode(x);
    return btoa(s);
  });
  await p.close();
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length < 100 || bytes[0] !== 0x1a) throw new Error('MediaRecorder made no WebM');
  return bytes;
}

/** Opens the blob list (the day view's details panel) from the keyboard, when it is closed. */
export async function openBlobList(p: Page): Promise<void> {
  const list = p.locator('#blob-list');
  if (await list.evaluate((d) => (d as HTMLDetailsElement).open)) return;
  await list.locator('summary').focus();
  await p.keyboard.press('Enter');
  await p.waitForFunction(() => (document.getElementById('blob-list') as HTMLDetailsElement).open);
}

// The day view: a day's `text` blobs decrypted in the worker (newest first, or nearest a deep
// link's moment first), a time bar per device coloured by app (dayModel.ts), and the moment
// under the cursor: its screenshot (the snapshot from its media pack, or its video chunk seeked
// to the frame), app, window, URL, screen text and the speech around it. Pointer drag, click or
// keys move the cursor; images load only for the moment shown (latest wins) from the bounded
// caches of imageCache.ts.

import { fetchBlob, listBlobs, type BlobInfo } from './api';
import { deviceLabel, type Ctx } from './context';
import { appColor, DayIndex, deepLink, GAP_MS, SPEECH_WINDOW_MS, type DayFrame, type DeepLink } from './dayModel';
import { describe } from './detail';
import { byId, clear, h } from './dom';
import { dayRange, formatClock, formatTime, localDay, parseStoredTime, toWireTime } from './format';
import { bundleView } from './records';
import './day.css';

/** Text blobs downloaded and decrypted at a time. */
const CONCURRENCY = 4;
/** A video frame is only decrypted once the cursor rests this long (chunks are megabytes). */
const VIDEO_SETTLE_MS = 250;
/** The thumbnails around the cursor (captures each side), drawn once the cursor rests this long. */
const STRIP_EACH_SIDE = 3;
const STRIP_SETTLE_MS = 200;

interface Cursor {
  device: string;
  index: number;
}

export class DayView {
  private readonly form = byId<HTMLFormElement>('day-form');
  private readonly date = byId<HTMLInputElement>('day-date');
  private readonly status = byId('day-status');
  private readonly note = byId('day-note');
  private readonly bars = byId('day-bars');
  private readonly moment = byId('day-moment');
  private readonly img = byId<HTMLImageElement>('moment-img');
  private readonly video = byId<HTMLVideoElement>('moment-video');
  private readonly placeholder = byId('moment-placeholder');
  private readonly time = byId('moment-time');
  private readonly swatch = byId('moment-swatch');
  private readonly app = byId('moment-app');
  private readonly meta = byId('moment-meta');
  private readonly text = byId('moment-text');
  private readonly speech = byId('moment-speech');
  private readonly link = byId<HTMLAnchorElement>('moment-link');
  private readonly openBlob = byId<HTMLButtonElement>('moment-open');
  private readonly strip = byId('moment-strip');
  private stripTimer: ReturnType<typeof setTimeout> | null = null;
  private ctx: Ctx | null = null;
  private index: DayIndex | null = null;
  private request = 0;
  private cursor: Cursor | null = null;
  /** The frame the cursor is on (indices move when an earlier blob is decrypted later). */
  private shown: DayFrame | null = null;
  /** The moment to show once the day is decrypted (a deep link or a search hit); null: the latest. */
  private target: DeepLink | null = null;
  /** True once the person moved the cursor: decrypting more blobs no longer moves it. */
  private moved = false;
  private range = { startMs: 0, endMs: 1 };
  private shot = 0;
  private videoTimer: ReturnType<typeof setTimeout> | null = null;
  private frameRequested = false;
  private firstShown = false;
  /** Set by goTo: the bar takes the focus when its moment is shown (a search hit, a link followed). */
  private focusNext = false;

  constructor() {
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.load(this.date.value);
    });
    byId('day-before').addEventListener('click', () => this.shift(-1));
    byId('day-after').addEventListener('click', () => this.shift(1));
    this.openBlob.addEventListener('click', () => void this.openCurrentBlob());
    window.addEventListener('resize', () => this.requestDraw());
  }

  /** A new session: the deep link's day, else the day of the newest data. */
  start(ctx: Ctx, link: DeepLink | null): void {
    this.ctx = ctx;
    this.firstShown = false;
    const newest = parseStoredTime(ctx.status?.stats.newest_data ?? null);
    this.target = link;
    void this.load(localDay(link?.t ?? newest ?? Date.now()));
  }

  /** Shows a moment (a deep link, a search hit): its day is loaded when it is another. */
  goTo(link: DeepLink): void {
    if (this.ctx === null) return;
    const day = localDay(link.t);
    this.target = link;
    this.moved = false;
    this.focusNext = true;
    if (day !== this.date.value || this.index === null) {
      void this.load(day);
    } else {
      this.showTarget(true);
    }
  }

  wipe(): void {
    this.ctx = null;
    this.index = null;
    this.cursor = null;
    this.target = null;
    this.request += 1;
    this.shot += 1;
    if (this.videoTimer !== null) clearTimeout(this.videoTimer);
    if (this.stripTimer !== null) clearTimeout(this.stripTimer);
    clear(this.strip);
    clear(this.bars);
    this.status.textContent = '';
    this.note.textContent = '';
    this.shown = null;
    this.moment.hidden = true;
    this.img.removeAttribute('src');
    this.video.removeAttribute('src');
    this.video.load();
    for (const el of [this.time, this.app, this.text, this.meta, this.speech]) clear(el);
  }

  private shift(days: number): void {
    if (this.date.value === '') return;
    const [y, m, d] = this.date.value.split('-').map(Number);
    this.target = null;
    void this.load(localDay(new Date(y, m - 1, d + days).getTime()));
  }

  /** Lists and decrypts the day's text blobs, drawing the bars as they come. */
  async load(day: string): Promise<void> {
    const ctx = this.ctx;
    if (ctx === null) return;
    const request = ++this.request;
    let range: { startMs: number; endMs: number };
    try {
      range = dayRange(day, '');
    } catch {
      this.status.textContent = 'Choose a day.';
      return;
    }
    this.date.value = day;
    const index = (this.index = new DayIndex(range.startMs, range.endMs));
    this.cursor = null;
    this.moved = false;
    clear(this.bars);
    this.moment.hidden = true;
    this.status.textContent = `Loading ${day}…`;
    this.note.textContent = '';
    this.bars.setAttribute('aria-busy', 'true');
    try {
      const { blobs, truncated } = await listBlobs(ctx.api, { start: toWireTime(range.startMs), end: toWireTime(range.endMs) }, { blob_types: ['text'] });
      if (request !== this.request || !ctx.alive()) return;
      const mine = blobs.filter((b) => b.device_id !== ctx.selfDeviceId);
      if (mine.length === 0) {
        this.status.textContent = `Nothing was recorded on ${day}.`;
        return;
      }
      // The blobs nearest the moment to show first (a deep link's, else the newest).
      const aim = this.target?.t ?? Number.POSITIVE_INFINITY;
      const distance = (b: BlobInfo) => {
        const s = parseStoredTime(b.time_start) ?? 0;
        const e = parseStoredTime(b.time_end) ?? s;
        return aim < s ? s - aim : aim > e ? aim - e : 0;
      };
      const queue = [...mine].sort((a, b) => distance(a) - distance(b) || b.time_start.localeCompare(a.time_start));
      let done = 0;
      const failures: string[] = [];
      const worker = async () => {
        for (let blob = queue.shift(); blob !== undefined; blob = queue.shift()) {
          try {
            const response = await fetchBlob(ctx.api, blob);
            const bundle = await ctx.keys.openRecords(new Uint8Array(await response.arrayBuffer()), blob);
            if (request !== this.request || !ctx.alive()) return;
            index.add(blob.blob_id, bundleView(bundle));
          } catch (e) {
            if (request !== this.request || !ctx.alive()) return;
            if (ctx.fatal(e)) return;
            failures.push(describe(e));
          }
          done += 1;
          this.status.textContent = `Decrypting ${day}: ${done} of ${mine.length} text blobs…`;
          this.afterBatch(ctx);
        }
      };
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, mine.length) }, worker));
      if (request !== this.request || !ctx.alive()) return;
      const frames = index.frameCount;
      this.status.textContent =
        `${frames} ${frames === 1 ? 'frame' : 'frames'} on ${day} from ${index.devices().length} ${index.devices().length === 1 ? 'device' : 'devices'}` +
        (truncated ? ' (the first 5000 blobs of the day only)' : '') +
        (failures.length > 0 ? `; ${failures.length} text blobs could not be opened (${failures[0]})` : '') +
        '.';
      if (frames === 0) this.status.textContent = `No screen frames on ${day} (only other records).`;
      this.afterBatch(ctx);
      this.showTarget(false);
    } catch (e) {
      if (request !== this.request || !ctx.alive() || ctx.fatal(e)) return;
      this.status.textContent = `Cannot load the day: ${(e as Error).message}`;
    } finally {
      if (request === this.request) this.bars.removeAttribute('aria-busy');
    }
  }

  /** After each decrypted blob: bars redrawn (once per animation frame), the cursor kept on its target. */
  private afterBatch(ctx: Ctx): void {
    const index = this.index;
    if (index === null) return;
    const known = [...this.bars.querySelectorAll<HTMLElement>('.day-bar')].map((b) => b.dataset.device);
    const devices = index.devices();
    if (devices.join('\n') !== known.join('\n')) this.renderBars(ctx, index, devices);
    this.updateRange(index);
    this.requestDraw();
    if (!this.moved) {
      this.showTarget(false);
    } else if (this.cursor !== null && this.shown !== null) {
      // Frames of a blob decrypted later may come before the cursor's: it stays on its frame.
      const bar = this.bars.querySelector<HTMLElement>(`.day-bar[data-device="${CSS.escape(this.cursor.device)}"]`);
      const i = index.frames(this.cursor.device).indexOf(this.shown);
      if (i >= 0) this.cursor = { device: this.cursor.device, index: i };
      bar?.setAttribute('aria-valuenow', String(this.cursor.index));
    }
  }

  /** The bar spans the recorded part of the day (with a margin), so that a short recording is not a sliver. */
  private updateRange(index: DayIndex): void {
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    for (const d of index.devices()) {
      const frames = index.frames(d);
      first = Math.min(first, frames[0].frame.time);
      last = Math.max(last, frames[frames.length - 1].frame.time);
    }
    if (!Number.isFinite(first)) return;
    const pad = Math.max((last - first) * 0.05, 30_000);
    this.range = { startMs: Math.max(index.startMs, first - pad), endMs: Math.min(index.endMs, last + pad) };
  }

  private showTarget(focus: boolean): void {
    const index = this.index;
    if (index === null) return;
    const devices = index.devices();
    if (devices.length === 0) return;
    const target = this.target;
    if (target !== null) {
      const device = target.device !== null && devices.includes(target.device) ? target.device : (this.cursor?.device ?? devices[0]);
      const i = index.nearest(device, target.t);
      if (i < 0) return;
      this.select({ device, index: i }, focus);
      const away = Math.abs(index.frames(device)[i].frame.time - target.t);
      this.note.textContent =
        away > GAP_MS || (target.device !== null && target.device !== device)
          ? `Nothing was recorded at ${formatTime(target.t)}${target.device !== null && target.device !== device ? ` on ${target.device}` : ''}: showing the nearest frame.`
          : '';
      return;
    }
    // The latest frame of the day, on the device that recorded it.
    let best: Cursor | null = null;
    for (const device of devices) {
      const frames = index.frames(device);
      const i = frames.length - 1;
      if (best === null || frames[i].frame.time > index.frames(best.device)[best.index].frame.time) best = { device, index: i };
    }
    if (best !== null) this.select(best, focus);
  }

  private renderBars(ctx: Ctx, index: DayIndex, devices: string[]): void {
    clear(this.bars);
    for (const device of devices) {
      const name = deviceLabel(ctx, device);
      const canvas = h('canvas', { class: 'day-canvas', 'aria-hidden': 'true' });
      const cursor = h('div', { class: 'day-cursor', 'aria-hidden': 'true' });
      const bar = h('div', {
        class: 'day-bar',
        role: 'slider',
        tabindex: 0,
        'data-device': device,
        'aria-label': `Time bar of ${name}`,
        'aria-describedby': 'day-keys',
        'aria-valuemin': 0,
        'aria-orientation': 'horizontal',
      });
      bar.append(canvas, cursor);
      const axis = h('div', { class: 'day-axis', 'aria-hidden': 'true' });
      this.bars.append(h('div', { class: 'day-device' }, h('h3', { class: 'day-device-name' }, name, ' ', h('span', { class: 'muted' }, device)), bar, axis));
      bar.addEventListener('keydown', (e) => {
        const at = this.cursor?.device === device ? this.cursor.index : index.frames(device).length - 1;
        const next = index.move(device, at, e.key, e.shiftKey);
        if (next === null) return;
        e.preventDefault();
        this.moved = true;
        this.note.textContent = '';
        this.select({ device, index: next }, false);
      });
      bar.addEventListener('focus', () => {
        if (this.cursor?.device !== device) {
          const at = this.cursor === null ? Number.POSITIVE_INFINITY : this.frameOf(this.cursor).frame.time;
          const i = index.nearest(device, at);
          if (i >= 0) this.select({ device, index: i }, false);
        }
      });
      let dragging = false;
      const pick = (e: PointerEvent) => {
        const rect = bar.getBoundingClientRect();
        const x = Math.min(Math.max(e.clientX - rect.left, 0), rect.width);
        const ms = this.range.startMs + (x / Math.max(rect.width, 1)) * (this.range.endMs - this.range.startMs);
        const i = index.nearest(device, ms);
        if (i < 0) return;
        this.moved = true;
        this.note.textContent = '';
        this.select({ device, index: i }, false);
      };
      bar.addEventListener('pointerdown', (e) => {
        dragging = true;
        bar.setPointerCapture?.(e.pointerId);
        bar.focus({ preventScroll: true });
        pick(e);
      });
      bar.addEventListener('pointermove', (e) => {
        if (dragging) pick(e);
      });
      const stop = (e: PointerEvent) => {
        dragging = false;
        bar.releasePointerCapture?.(e.pointerId);
      };
      bar.addEventListener('pointerup', stop);
      bar.addEventListener('pointercancel', stop);
    }
  }

  private frameOf(c: Cursor): DayFrame {
    return (this.index as DayIndex).frames(c.device)[c.index];
  }

  private requestDraw(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => {
      this.frameRequested = false;
      this.draw();
    });
  }

  /** Draws every bar's runs and axis, and places the cursor. */
  private draw(): void {
    const index = this.index;
    if (index === null) return;
    const { startMs, endMs } = this.range;
    const span = Math.max(endMs - startMs, 1);
    for (const bar of this.bars.querySelectorAll<HTMLElement>('.day-bar')) {
      const device = bar.dataset.device ?? '';
      const canvas = bar.querySelector('canvas') as HTMLCanvasElement;
      const ratio = window.devicePixelRatio || 1;
      const width = Math.max(1, Math.round(bar.clientWidth * ratio));
      const height = Math.max(1, Math.round(bar.clientHeight * ratio));
      if (canvas.width !== width) canvas.width = width;
      if (canvas.height !== height) canvas.height = height;
      const g = canvas.getContext('2d');
      if (g === null) continue;
      g.clearRect(0, 0, width, height);
      for (const run of index.runs(device)) {
        const x0 = ((run.startMs - startMs) / span) * width;
        const x1 = ((run.endMs - startMs) / span) * width;
        g.fillStyle = appColor(run.app);
        g.fillRect(Math.floor(x0), 0, Math.max(Math.ceil(x1 - x0), Math.ceil(ratio)), height);
      }
      bar.setAttribute('aria-valuemax', String(Math.max(index.frames(device).length - 1, 0)));
      // A slider always has a value: a bar the cursor is not on stands at its last frame.
      if (this.cursor?.device !== device) bar.setAttribute('aria-valuenow', String(Math.max(index.frames(device).length - 1, 0)));
      // The span drawn, for tests and tools that map a time to a position.
      bar.dataset.start = new Date(startMs).toISOString();
      bar.dataset.end = new Date(endMs).toISOString();
      const axis = bar.nextElementSibling as HTMLElement | null;
      if (axis !== null && axis.dataset.range !== `${startMs}-${endMs}`) {
        axis.dataset.range = `${startMs}-${endMs}`;
        clear(axis);
        for (let i = 0; i <= 4; i++) axis.append(h('span', {}, formatClock(startMs + (span * i) / 4).slice(0, span > 20 * 60_000 ? 5 : 8)));
      }
    }
    this.placeCursor();
  }

  private placeCursor(): void {
    const c = this.cursor;
    for (const bar of this.bars.querySelectorAll<HTMLElement>('.day-bar')) {
      const cursor = bar.querySelector<HTMLElement>('.day-cursor');
      if (cursor === null) continue;
      const on = c !== null && bar.dataset.device === c.device;
      cursor.hidden = !on;
      if (on) {
        const t = this.frameOf(c).frame.time;
        const { startMs, endMs } = this.range;
        cursor.style.left = `${(((t - startMs) / Math.max(endMs - startMs, 1)) * 100).toFixed(3)}%`;
      }
    }
  }

  /** Moves the cursor to a frame and shows its moment. */
  private select(c: Cursor, focus: boolean): void {
    const ctx = this.ctx;
    const index = this.index;
    if (ctx === null || index === null) return;
    const f = this.frameOf(c);
    if (f === undefined) return;
    const same = this.cursor?.device === c.device && this.cursor.index === c.index && this.shown === f;
    this.cursor = c;
    this.shown = f;
    const frame = f.frame;
    const bar = this.bars.querySelector<HTMLElement>(`.day-bar[data-device="${CSS.escape(c.device)}"]`);
    if (bar !== null) {
      bar.setAttribute('aria-valuenow', String(c.index));
      bar.setAttribute('aria-valuetext', `${formatTime(frame.time)}, ${frame.app ?? 'unknown app'}${frame.window ? ` — ${frame.window}` : ''}`);
      if (focus || this.focusNext) {
        this.focusNext = false;
        bar.focus({ preventScroll: false });
      }
    }
    this.placeCursor();
    if (same && !this.moment.hidden) return;
    this.moment.hidden = false;
    this.moment.dataset.time = new Date(frame.time).toISOString();
    this.moment.dataset.device = c.device;
    this.time.textContent = formatTime(frame.time);
    this.time.setAttribute('datetime', new Date(frame.time).toISOString());
    this.swatch.style.background = appColor(frame.app);
    this.app.textContent = frame.app ?? 'unknown app';
    clear(this.meta);
    this.meta.append(h('dt', {}, 'Device'), h('dd', {}, deviceLabel(ctx, c.device)));
    if (frame.window) this.meta.append(h('dt', {}, 'Window'), h('dd', {}, frame.window));
    if (frame.url) this.meta.append(h('dt', {}, 'URL'), h('dd', { class: 'url' }, frame.url));
    this.text.textContent = frame.ocr.map((o) => o.text).join('\n') || '(no screen text)';
    clear(this.speech);
    const around = index.speechAround(c.device, frame.time);
    if (around.length === 0) this.speech.append(h('li', { class: 'empty' }, `No speech within ${SPEECH_WINDOW_MS / 60_000} minutes.`));
    for (const t of around) {
      const who = [t.device, t.isInput === null ? null : t.isInput ? 'input' : 'output'].filter(Boolean).join(' · ');
      this.speech.append(
        h('li', { class: 'speech' }, h('time', { datetime: new Date(t.time).toISOString() }, formatClock(t.time)), ' ', h('span', { class: 'muted' }, who), ' ', h('span', { class: 'speech-text' }, t.text)),
      );
    }
    this.link.href = deepLink(frame.time, c.device);
    this.showShot(ctx, c.device, f);
    if (this.stripTimer !== null) clearTimeout(this.stripTimer);
    this.stripTimer = setTimeout(() => this.showStrip(ctx, c), STRIP_SETTLE_MS);
  }

  /** Thumbnails of the captures around the cursor (decrypted only now that the cursor rests). */
  private showStrip(ctx: Ctx, c: Cursor): void {
    const index = this.index;
    if (index === null || this.cursor?.device !== c.device || this.cursor.index !== c.index || !ctx.alive()) return;
    clear(this.strip);
    for (const i of index.neighbours(c.device, c.index, STRIP_EACH_SIDE)) {
      const { frame } = index.frames(c.device)[i];
      const label = `${formatClock(frame.time)}${frame.app ? `, ${frame.app}` : ''}`;
      const button = h('button', { type: 'button', class: 'thumb', 'aria-label': `Show ${label}`, 'aria-current': i === c.index ? 'true' : null }, h('time', {}, formatClock(frame.time)));
      button.addEventListener('click', () => {
        this.moved = true;
        this.note.textContent = '';
        this.select({ device: c.device, index: i }, false);
      });
      if (frame.snapshot !== null) {
        const img = h('img', { alt: '', hidden: true });
        button.prepend(img);
        ctx.images.url(frame.snapshot.blobId, frame.snapshot.entry).then(
          (url) => {
            if (!ctx.alive() || !img.isConnected) return;
            img.src = url;
            img.hidden = false;
          },
          () => undefined, // the time stays; the moment itself says what failed
        );
      }
      this.strip.append(h('li', {}, button));
    }
  }

  /** The screenshot of the moment: latest wins; nothing is shown of an earlier request. */
  private showShot(ctx: Ctx, device: string, f: DayFrame): void {
    const shot = ++this.shot;
    if (this.videoTimer !== null) clearTimeout(this.videoTimer);
    this.videoTimer = null;
    const frame = f.frame;
    const current = () => shot === this.shot && ctx.alive();
    const note = (text: string) => {
      this.img.hidden = true;
      this.video.hidden = true;
      this.placeholder.hidden = false;
      this.placeholder.textContent = text;
    };
    this.moment.setAttribute('aria-busy', 'true');
    const done = () => this.moment.removeAttribute('aria-busy');
    if (frame.snapshot !== null) {
      const { blobId, entry } = frame.snapshot;
      ctx.images.url(blobId, entry).then(
        (url) => {
          if (!current()) return;
          this.img.alt = `Screenshot of ${frame.app ?? 'the screen'} at ${formatTime(frame.time)}`;
          this.img.dataset.entry = entry;
          this.img.onload = () => {
            if (!current()) return;
            this.img.hidden = false;
            this.video.hidden = true;
            this.placeholder.hidden = true;
            done();
            if (!this.firstShown) {
              this.firstShown = true;
              performance.mark('viewer:first-screenshot');
            }
          };
          this.img.onerror = () => current() && (note('This browser cannot show this screenshot.'), done());
          this.img.src = url;
        },
        (e: unknown) => {
          if (!current() || (e as { name?: string })?.name === 'AbortError') return;
          note(`Cannot show the screenshot: ${describe(e)}`);
          done();
        },
      );
      return;
    }
    if (frame.videoBlobId !== null) {
      const blobId = frame.videoBlobId;
      note('Decrypting the screen recording of this moment…');
      this.videoTimer = setTimeout(() => {
        ctx.images.video(blobId).then(
          ({ url }) => {
            if (!current()) return;
            const start = this.index?.chunkStart(device, frame) ?? frame.time;
            const seek = () => {
              if (!current()) return;
              this.video.currentTime = Math.min(Math.max((frame.time - start) / 1000, 0), Number.isFinite(this.video.duration) ? this.video.duration : Infinity);
            };
            this.video.onseeked = () => {
              if (!current()) return;
              this.img.hidden = true;
              this.placeholder.hidden = true;
              this.video.hidden = false;
              done();
            };
            this.video.onerror = () => current() && (note('This browser cannot play this screen recording (its format or codec); open its blob to save it.'), done());
            this.video.setAttribute('aria-label', `Screen recording of ${frame.app ?? 'the screen'} at ${formatTime(frame.time)}`);
            if (this.video.getAttribute('src') !== url) {
              this.video.onloadedmetadata = seek;
              this.video.src = url;
            } else {
              seek();
            }
          },
          (e: unknown) => {
            if (!current() || (e as { name?: string })?.name === 'AbortError') return;
            note(`Cannot show the screen recording: ${describe(e)}`);
            done();
          },
        );
      }, VIDEO_SETTLE_MS);
      return;
    }
    note('No screenshot was synced for this moment (its media file was missing on the recording computer).');
    done();
  }

  private async openCurrentBlob(): Promise<void> {
    const ctx = this.ctx;
    const c = this.cursor;
    if (ctx === null || c === null) return;
    const f = this.frameOf(c);
    await ctx.openBlobById(f.blobId, this.openBlob, f.frame.rowId);
  }
}

// The day view's model, without DOM: the frames of a day per device (from the day's decrypted
// records bundles), the coloured runs of the time bar with gaps where nothing was recorded,
// moving through the frames (pointer, keys), the speech around a moment, deep links, and a
// bounded LRU map for what the view keeps decrypted.

import type { BundleView, FrameView, TranscriptView } from './records';

/** A frame of the day with its time known, and the `text` blob it came from. */
export interface DayFrame {
  frame: FrameView & { time: number };
  blobId: string;
}

/** A transcript of the day with its time known. */
export type DayTranscript = TranscriptView & { time: number };

/** A run of the time bar: consecutive frames of one app, `[startMs, endMs)`. */
export interface Run {
  startMs: number;
  endMs: number;
  app: string | null;
  /** Index of its first and last frame in `DayIndex.frames(device)`. */
  first: number;
  last: number;
}

/** Frames further apart than this leave a gap in the bar (nothing was recorded between them). */
export const GAP_MS = 5 * 60_000;
/** How long the last frame before a gap is drawn (a frame stands until the next one). */
export const LAST_FRAME_MS = 10_000;
/** The speech shown around a moment: this long before and after it. */
export const SPEECH_WINDOW_MS = 2 * 60_000;
/** Shift + arrow moves by this much (then to the nearest frame in that direction). */
export const MINUTE_MS = 60_000;
/** Page Up / Page Down move by this much. */
export const PAGE_MS = 10 * 60_000;

/**
 * The colour of an app on the bar: a hue from a 32-bit FNV-1a hash of its name, so the same app
 * has the same colour on every device, day and page load. Unknown apps are grey.
 */
export function appColor(app: string | null): string {
  if (app === null || app === '') return 'hsl(0, 0%, 55%)';
  let hash = 0x811c9dc5;
  for (let i = 0; i < app.length; i++) {
    hash ^= app.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  const hue = hash % 360;
  const lightness = 42 + ((hash >>> 9) % 3) * 8;
  return `hsl(${hue}, 62%, ${lightness}%)`;
}

/** The frames and transcripts of one day (local `[startMs, endMs]`), per device. */
export class DayIndex {
  private readonly framesBy = new Map<string, DayFrame[]>();
  private readonly speechBy = new Map<string, DayTranscript[]>();
  private readonly runsBy = new Map<string, Run[]>();
  private sorted = true;

  constructor(
    readonly startMs: number,
    readonly endMs: number,
  ) {}

  /** Adds a decrypted records bundle (its frames and transcripts inside the day). */
  add(blobId: string, view: BundleView): void {
    const device = view.deviceId;
    const frames = this.framesBy.get(device) ?? [];
    for (const f of view.frames) {
      if (f.time === null || f.time < this.startMs || f.time > this.endMs) continue;
      frames.push({ frame: f as FrameView & { time: number }, blobId });
    }
    this.framesBy.set(device, frames);
    const speech = this.speechBy.get(device) ?? [];
    for (const t of view.transcripts) {
      if (t.time === null || t.time < this.startMs - SPEECH_WINDOW_MS || t.time > this.endMs + SPEECH_WINDOW_MS) continue;
      speech.push(t as DayTranscript);
    }
    this.speechBy.set(device, speech);
    this.sorted = false;
  }

  private sort(): void {
    if (this.sorted) return;
    for (const list of this.framesBy.values()) list.sort((a, b) => a.frame.time - b.frame.time || a.frame.rowId - b.frame.rowId);
    for (const list of this.speechBy.values()) list.sort((a, b) => a.time - b.time || a.rowId - b.rowId);
    this.runsBy.clear();
    this.sorted = true;
  }

  /** The devices with at least one frame, in id order. */
  devices(): string[] {
    return [...this.framesBy.entries()]
      .filter(([, list]) => list.length > 0)
      .map(([id]) => id)
      .sort();
  }

  /** A device's frames in time order. */
  frames(device: string): DayFrame[] {
    this.sort();
    return this.framesBy.get(device) ?? [];
  }

  /** Every frame count, all devices. */
  get frameCount(): number {
    let n = 0;
    for (const list of this.framesBy.values()) n += list.length;
    return n;
  }

  /**
   * The bar's runs of a device: one per app change, cut where frames are more than GAP_MS apart.
   * Frames of one capture (the same time: screenpipe records every window it sees) count as one,
   * with the app of the focused window (else the first).
   */
  runs(device: string): Run[] {
    this.sort();
    const known = this.runsBy.get(device);
    if (known !== undefined) return known;
    const frames = this.frames(device);
    const runs: Run[] = [];
    for (let i = 0; i < frames.length; ) {
      const time = frames[i].frame.time;
      let j = i;
      while (j + 1 < frames.length && frames[j + 1].frame.time === time) j += 1;
      const app = frames[this.focusedOf(frames, i, j)].frame.app;
      const next = frames[j + 1]?.frame.time;
      const end = next !== undefined && next - time <= GAP_MS ? next : Math.min(time + LAST_FRAME_MS, this.endMs + 1);
      const last = runs[runs.length - 1];
      if (last !== undefined && last.app === app && last.endMs >= time) {
        last.endMs = Math.max(last.endMs, end);
        last.last = j;
      } else {
        runs.push({ startMs: time, endMs: Math.max(end, time + 1), app, first: i, last: j });
      }
      i = j + 1;
    }
    this.runsBy.set(device, runs);
    return runs;
  }

  /** In `frames[from..=to]` (one capture), the focused window's frame, else the first. */
  private focusedOf(frames: DayFrame[], from: number, to: number): number {
    for (let k = from; k <= to; k++) if (frames[k].frame.focused === true) return k;
    return from;
  }

  /** The frame of `i`'s capture to show for a time: the focused window's (else the capture's first). */
  private capture(frames: DayFrame[], i: number): number {
    const time = frames[i].frame.time;
    let from = i;
    let to = i;
    while (from > 0 && frames[from - 1].frame.time === time) from -= 1;
    while (to + 1 < frames.length && frames[to + 1].frame.time === time) to += 1;
    return this.focusedOf(frames, from, to);
  }

  /**
   * The index of the frame shown at `ms`: of the last capture at or before it, else the first
   * (of a capture's frames, the focused window's). -1: none.
   */
  at(device: string, ms: number): number {
    const frames = this.frames(device);
    if (frames.length === 0) return -1;
    let lo = 0;
    let hi = frames.length - 1;
    if (ms < frames[0].frame.time) return this.capture(frames, 0);
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (frames[mid].frame.time <= ms) lo = mid;
      else hi = mid - 1;
    }
    return this.capture(frames, lo);
  }

  /** The index of the frame nearest to `ms` (either side). -1: none. */
  nearest(device: string, ms: number): number {
    const i = this.at(device, ms);
    if (i < 0) return i;
    const frames = this.frames(device);
    let next = i + 1;
    while (next < frames.length && frames[next].frame.time === frames[i].frame.time) next += 1;
    if (next < frames.length && frames[next].frame.time - ms < Math.abs(ms - frames[i].frame.time)) return this.capture(frames, next);
    return i;
  }

  /**
   * Where a key moves from frame `index`: ArrowLeft/ArrowRight the previous/next frame, with
   * Shift a minute back/forward (at least one frame), PageUp/PageDown ten minutes, Home/End the
   * first/last frame of the day. null: not a key of the bar.
   */
  move(device: string, index: number, key: string, shift: boolean): number | null {
    const frames = this.frames(device);
    if (frames.length === 0) return null;
    const last = frames.length - 1;
    const from = Math.min(Math.max(index, 0), last);
    const byTime = (delta: number): number => {
      const target = frames[from].frame.time + delta;
      if (delta > 0) {
        const i = this.at(device, target);
        return Math.min(Math.max(i, from + 1), last);
      }
      // Backwards: the first frame at or after the target, at least one frame back.
      let i = this.at(device, target);
      if (frames[i].frame.time < target && i < last) i += 1;
      return Math.max(Math.min(i, from - 1), 0);
    };
    switch (key) {
      case 'ArrowLeft':
      case 'ArrowDown':
        return shift ? byTime(-MINUTE_MS) : Math.max(from - 1, 0);
      case 'ArrowRight':
      case 'ArrowUp':
        return shift ? byTime(MINUTE_MS) : Math.min(from + 1, last);
      case 'PageUp':
        return byTime(-PAGE_MS);
      case 'PageDown':
        return byTime(PAGE_MS);
      case 'Home':
        return 0;
      case 'End':
        return last;
      default:
        return null;
    }
  }

  /**
   * The frames of up to `n` captures before and after frame `index` (each capture's focused
   * window's frame), `index` among them, in time order: the thumbnails around the cursor.
   */
  neighbours(device: string, index: number, n: number): number[] {
    const frames = this.frames(device);
    if (index < 0 || index >= frames.length) return [];
    const out = [index];
    const time = frames[index].frame.time;
    let left = index;
    while (left > 0 && frames[left - 1].frame.time === time) left -= 1;
    let right = index;
    while (right + 1 < frames.length && frames[right + 1].frame.time === time) right += 1;
    for (let k = 0, at = left - 1; k < n && at >= 0; k++) {
      const pick = this.capture(frames, at);
      out.unshift(pick);
      while (at >= 0 && frames[at].frame.time === frames[pick].frame.time) at -= 1;
    }
    for (let k = 0, at = right + 1; k < n && at < frames.length; k++) {
      const pick = this.capture(frames, at);
      out.push(pick);
      while (at < frames.length && frames[at].frame.time === frames[pick].frame.time) at += 1;
    }
    return out;
  }

  /** The device's transcripts within SPEECH_WINDOW_MS of `ms`, in time order. */
  speechAround(device: string, ms: number, windowMs = SPEECH_WINDOW_MS): DayTranscript[] {
    this.sort();
    return (this.speechBy.get(device) ?? []).filter((t) => Math.abs(t.time - ms) <= windowMs);
  }

  /**
   * Where the frame's video chunk starts, to seek a `<video>` to it: the time of the first frame
   * of the day on the same chunk (screenpipe's `offset_index` counts frames, not seconds).
   */
  chunkStart(device: string, frame: FrameView): number | null {
    if (frame.videoBlobId === null) return null;
    let first: number | null = null;
    for (const f of this.frames(device)) {
      if (f.frame.videoBlobId === frame.videoBlobId && (first === null || f.frame.time < first)) first = f.frame.time;
    }
    return first;
  }
}

/** A moment to open: a time and, optionally, the device. */
export interface DeepLink {
  t: number;
  device: string | null;
}

const LINK_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i;
const DEVICE_RE = /^[a-z0-9-]{1,64}$/;

/**
 * Reads a deep link from a location hash: `#t=2026-01-05T09:03:00Z&device=<device id>` (the time
 * in RFC 3339 with a zone; `device` optional). null when the hash is not one.
 */
export function parseDeepLink(hash: string): DeepLink | null {
  const params = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
  const t = params.get('t');
  if (t === null || !LINK_TIME_RE.test(t)) return null;
  const ms = Date.parse(t);
  if (Number.isNaN(ms)) return null;
  const device = params.get('device');
  return { t: ms, device: device !== null && DEVICE_RE.test(device) ? device : null };
}

/** The hash of a deep link to a moment (whole seconds, UTC). */
export function deepLink(ms: number, device: string | null): string {
  const t = new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  return device === null ? `#t=${t}` : `#t=${t}&device=${encodeURIComponent(device)}`;
}

/** A map of at most `max` entries; the least recently used is evicted (and handed to `onEvict`). */
export class Lru<K, V> {
  private readonly map = new Map<K, V>();

  constructor(
    readonly max: number,
    private readonly onEvict: (key: K, value: V) => void = () => undefined,
  ) {}

  get size(): number {
    return this.map.size;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  /** The value, made the most recently used. */
  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, value);
    return value;
  }

  set(key: K, value: V): void {
    const old = this.map.get(key);
    this.map.delete(key);
    if (old !== undefined && old !== value) this.onEvict(key, old);
    this.map.set(key, value);
    while (this.map.size > this.max) {
      const oldest = this.map.keys().next().value as K;
      const evicted = this.map.get(oldest) as V;
      this.map.delete(oldest);
      this.onEvict(oldest, evicted);
    }
  }

  /** Removes an entry without handing it to `onEvict` (a failed load: nothing to free). */
  delete(key: K): boolean {
    return this.map.delete(key);
  }

  /** Evicts everything. */
  clear(): void {
    const all = [...this.map.entries()];
    this.map.clear();
    for (const [k, v] of all) this.onEvict(k, v);
  }
}

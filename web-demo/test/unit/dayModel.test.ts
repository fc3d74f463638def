// The day view's model: app colours, runs and gaps of the bar, moving by keys, the speech
// around a moment, deep links and the LRU that bounds what is kept decrypted.
import { describe, expect, it } from 'vitest';
import { appColor, DayIndex, deepLink, GAP_MS, LAST_FRAME_MS, Lru, parseDeepLink } from '../../src/dayModel';
import type { BundleView, FrameView, TranscriptView } from '../../src/records';

const T0 = Date.parse('2026-01-05T09:00:00Z');
const DAY = { start: Date.parse('2026-01-05T00:00:00Z'), end: Date.parse('2026-01-05T23:59:59.999Z') };

function frame(rowId: number, time: number, app: string | null, snapshot = true): FrameView {
  return {
    kind: 'frame',
    rowId,
    time,
    stored: new Date(time).toISOString(),
    app,
    window: `${app} window`,
    url: null,
    monitor: null,
    focused: null,
    ocr: [{ text: `text ${rowId}`, app, window: null }],
    videoBlobId: snapshot ? null : 'v'.repeat(32),
    snapshot: snapshot ? { blobId: 'p'.repeat(32), entry: `e${rowId}` } : null,
    offsetIndex: null,
  };
}

function speech(rowId: number, time: number, text: string): TranscriptView {
  return { kind: 'transcript', rowId, time, stored: '', text, device: 'mic', isInput: true, speaker: null, start: null, end: null, audioBlobId: null };
}

function view(deviceId: string, frames: FrameView[], transcripts: TranscriptView[] = []): BundleView {
  return { deviceId, frames, transcripts, accessibility: [], uiEvents: [], memories: [], meetings: [] };
}

const s = (n: number) => T0 + n * 1000;

describe('appColor', () => {
  it('is stable per app name, differs between apps, grey for unknown', () => {
    expect(appColor('Firefox')).toBe(appColor('Firefox'));
    expect(appColor('Firefox')).toMatch(/^hsl\(\d+, 62%, \d+%\)$/);
    const colours = new Set(['Firefox', 'Slack', 'Code', 'Terminal', 'zoom.us', 'Arc'].map(appColor));
    expect(colours.size).toBe(6);
    expect(appColor(null)).toBe('hsl(0, 0%, 55%)');
    expect(appColor('')).toBe(appColor(null));
  });
});

describe('DayIndex', () => {
  const index = new DayIndex(DAY.start, DAY.end);
  // Two blobs added out of order; a frame of another day is left out.
  index.add('b2', view('laptop', [frame(5, s(400), 'Slack'), frame(6, s(405), 'Slack')]));
  index.add('b1', view('laptop', [frame(1, s(0), 'Code'), frame(2, s(5), 'Code'), frame(3, s(10), 'Firefox'), frame(4, s(15), 'Code')], [speech(1, s(-100), 'early'), speech(2, s(60), 'hello'), speech(3, s(200), 'late')]));
  index.add('b3', view('laptop', [frame(9, DAY.end + 5000, 'Code')]));
  index.add('b4', view('desktop', [frame(7, s(3), 'Terminal')]));

  it('keeps each device’s frames of the day in time order', () => {
    expect(index.devices()).toEqual(['desktop', 'laptop']);
    expect(index.frames('laptop').map((f) => f.frame.rowId)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(index.frames('laptop')[4].blobId).toBe('b2');
    expect(index.frameCount).toBe(7);
  });

  it('draws one run per app change and a gap where frames are more than GAP_MS apart', () => {
    expect(400_000 - 15_000).toBeGreaterThan(GAP_MS);
    const runs = index.runs('laptop').map((r) => [r.app, r.startMs - T0, r.endMs - T0, r.first, r.last]);
    expect(runs).toEqual([
      ['Code', 0, 10_000, 0, 1],
      ['Firefox', 10_000, 15_000, 2, 2],
      // The last frame before the gap stands LAST_FRAME_MS, then nothing until 400 s.
      ['Code', 15_000, 15_000 + LAST_FRAME_MS, 3, 3],
      ['Slack', 400_000, 405_000 + LAST_FRAME_MS, 4, 5],
    ]);
  });

  it('finds the frame at a time and the nearest one', () => {
    expect(index.at('laptop', s(7))).toBe(1);
    expect(index.at('laptop', s(-50))).toBe(0);
    expect(index.at('laptop', s(10_000))).toBe(5);
    expect(index.nearest('laptop', s(9))).toBe(2);
    expect(index.nearest('laptop', s(300))).toBe(4);
    expect(index.nearest('nobody', s(0))).toBe(-1);
  });

  it('moves by frame, minute, ten minutes and to the ends', () => {
    expect(index.move('laptop', 2, 'ArrowLeft', false)).toBe(1);
    expect(index.move('laptop', 2, 'ArrowRight', false)).toBe(3);
    expect(index.move('laptop', 0, 'ArrowLeft', false)).toBe(0);
    expect(index.move('laptop', 5, 'ArrowRight', false)).toBe(5);
    // A minute forward from 0 s: the last frame at or before 60 s is 15 s.
    expect(index.move('laptop', 0, 'ArrowRight', true)).toBe(3);
    // From 15 s a minute forward: nothing until 400 s, so at least the next frame.
    expect(index.move('laptop', 3, 'ArrowRight', true)).toBe(4);
    // A minute back from 405 s: the first frame at or after 345 s is 400 s... but at least one back.
    expect(index.move('laptop', 5, 'ArrowLeft', true)).toBe(4);
    expect(index.move('laptop', 4, 'ArrowLeft', true)).toBe(3);
    expect(index.move('laptop', 5, 'PageUp', false)).toBe(0);
    expect(index.move('laptop', 0, 'PageDown', false)).toBe(5);
    expect(index.move('laptop', 3, 'Home', false)).toBe(0);
    expect(index.move('laptop', 0, 'End', false)).toBe(5);
    expect(index.move('laptop', 0, 'a', false)).toBeNull();
  });

  it('gives the speech within two minutes of a moment', () => {
    expect(index.speechAround('laptop', s(10)).map((t) => t.text)).toEqual(['early', 'hello']);
    expect(index.speechAround('laptop', s(400)).map((t) => t.text)).toEqual([]);
    expect(index.speechAround('desktop', s(10))).toEqual([]);
  });

  it('counts the frames of one capture (several windows, one time) as one: the focused window’s app', () => {
    const v = new DayIndex(DAY.start, DAY.end);
    const focused = (f: FrameView, on: boolean) => ({ ...f, focused: on });
    v.add('b', view('laptop', [frame(1, s(0), 'Arc'), focused(frame(2, s(0), 'zoom.us'), true), frame(3, s(0), 'Code'), frame(4, s(10), 'Arc'), frame(5, s(10), 'Code')]));
    expect(v.runs('laptop').map((r) => [r.app, r.startMs - T0, r.endMs - T0, r.first, r.last])).toEqual([
      ['zoom.us', 0, 10_000, 0, 2],
      // No window focused: the capture's first frame.
      ['Arc', 10_000, 10_000 + LAST_FRAME_MS, 3, 4],
    ]);
    // A time lands on the focused window's frame of its capture, else the first.
    expect(v.at('laptop', s(5))).toBe(1);
    expect(v.at('laptop', s(-5))).toBe(1);
    expect(v.at('laptop', s(12))).toBe(3);
    expect(v.nearest('laptop', s(8))).toBe(3);
    expect(v.nearest('laptop', s(2))).toBe(1);
    // Arrows still step through every window of a capture.
    expect(v.move('laptop', 1, 'ArrowRight', false)).toBe(2);
    // Thumbnails: one per capture around the cursor.
    expect(v.neighbours('laptop', 3, 2)).toEqual([1, 3]);
    expect(v.neighbours('laptop', 1, 2)).toEqual([1, 3]);
    expect(v.neighbours('laptop', 9, 2)).toEqual([]);
  });

  it('gives the thumbnails around a frame: n captures each side', () => {
    expect(index.neighbours('laptop', 2, 2)).toEqual([0, 1, 2, 3, 4]);
    expect(index.neighbours('laptop', 0, 3)).toEqual([0, 1, 2, 3]);
    expect(index.neighbours('laptop', 5, 1)).toEqual([4, 5]);
  });

  it('finds where a frame’s video chunk starts', () => {
    const v = new DayIndex(DAY.start, DAY.end);
    v.add('b', view('laptop', [frame(1, s(20), 'Code', false), frame(2, s(22), 'Code', false), frame(3, s(30), 'Code')]));
    const [, second, third] = v.frames('laptop');
    expect(v.chunkStart('laptop', second.frame)).toBe(s(20));
    expect(v.chunkStart('laptop', third.frame)).toBeNull();
  });
});

describe('deep links', () => {
  it('reads #t=…&device=… and writes it back', () => {
    expect(parseDeepLink('#t=2026-01-05T09:03:00Z&device=laptop-1')).toEqual({ t: Date.parse('2026-01-05T09:03:00Z'), device: 'laptop-1' });
    expect(parseDeepLink('t=2026-01-05T10:03:00%2B01:00')).toEqual({ t: Date.parse('2026-01-05T09:03:00Z'), device: null });
    expect(parseDeepLink('#t=2026-01-05T09:03Z')).toEqual({ t: Date.parse('2026-01-05T09:03:00Z'), device: null });
    expect(deepLink(Date.parse('2026-01-05T09:03:07.250Z'), 'laptop-1')).toBe('#t=2026-01-05T09:03:07Z&device=laptop-1');
    const link = deepLink(Date.parse('2026-01-05T09:03:07Z'), 'Laptop 1');
    expect(parseDeepLink(link)).toEqual({ t: Date.parse('2026-01-05T09:03:07Z'), device: null }); // not a device id
  });

  it('refuses what is not a moment', () => {
    for (const hash of ['', '#', '#t=', '#t=yesterday', '#t=2026-01-05', '#t=2026-01-05T09:03:00', '#t=2026-13-45T99:03:00Z', '#device=x']) {
      expect(parseDeepLink(hash)).toBeNull();
    }
  });
});

describe('Lru', () => {
  it('keeps the most recently used, evicts the oldest and hands it over', () => {
    const evicted: string[] = [];
    const lru = new Lru<string, number>(2, (k) => evicted.push(k));
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).toBe(1); // a is now the newest
    lru.set('c', 3);
    expect(evicted).toEqual(['b']);
    expect(lru.has('b')).toBe(false);
    expect(lru.size).toBe(2);
    lru.set('a', 4); // replaced: the old value is handed over
    expect(evicted).toEqual(['b', 'a']);
    expect(lru.delete('c')).toBe(true); // not handed over
    lru.clear();
    expect(evicted).toEqual(['b', 'a', 'a']);
    expect(lru.size).toBe(0);
  });
});

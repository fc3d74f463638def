import { describe, expect, it } from 'vitest';
import type { RecordsBundle } from '@screenpipe/sync-wasm';
import { allRecords, bundleView, searchableTexts, tagsOf } from '../../src/records';
import { account, bundle, context, frame, ocr, transcript } from './helpers';

const VIDEO = 'f'.repeat(32);
const AUDIO = 'e'.repeat(32);

function sealedBundle(): RecordsBundle {
  const { keys } = account();
  const ctx = context('1'.repeat(32), 'text', '2026-01-05T09:00:00.000Z', '2026-01-05T09:05:00.000Z');
  const plain = bundle({
    time_start: '2026-01-05T09:00:00.000Z',
    time_end: '2026-01-05T09:05:00.000Z',
    video_chunks: [{ row_id: 1, blob_id: VIDEO, file_name: 'monitor_1.mp4', device_name: 'monitor_1', fps: 0.5 }],
    frames: [
      frame(11, '2026-01-05 09:00:10', 'Slack', '#eng', null),
      frame(10, '2026-01-05T09:00:05.123456+00:00', 'Arc', 'Inbox', 'https://mail.example/#inbox'),
    ],
    ocr_text: [ocr(1, 10, 'Quarterly report attached'), ocr(2, 10, 'Lunch?', 'Slack', '#random'), ocr(3, 11, 'deploy failed')],
    audio_chunks: [{ row_id: 4, blob_id: AUDIO, file_name: 'mic.mp4', timestamp: '2026-01-05T09:00:00+00:00' }],
    audio_transcriptions: [transcript(7, 4, '2026-01-05T09:01:00.5+00:00', 'the invoice is missing')],
    accessibility: [{ row_id: 5, timestamp: '2026-01-05 09:02:00', app_name: 'Arc', window_name: 'Docs', text_content: 'roadmap', browser_url: null }],
    ui_events: [{ row_id: 8, timestamp: '2026-01-05 09:03:00', event_type: 'text', app_name: 'Code', window_title: 'main.rs', browser_url: null, text_content: 'fn main', extra: { x: 1 } }],
  });
  const sealed = keys.encryptBlob(plain, ctx);
  const out = keys.openRecords(sealed, ctx);
  keys.free();
  return out;
}

describe('bundleView', () => {
  const view = bundleView(sealedBundle());

  it('joins frames with their OCR text and video blob, in time order', () => {
    expect(view.frames.map((f) => f.rowId)).toEqual([10, 11]);
    const [first] = view.frames;
    expect(first).toMatchObject({ app: 'Arc', window: 'Inbox', url: 'https://mail.example/#inbox', videoBlobId: VIDEO, monitor: 'monitor_1' });
    expect(first.time).toBe(Date.parse('2026-01-05T09:00:05.123Z'));
    // A v1 bundle comes back upgraded (docs/FORMAT.md 5.2): the frame's OCR rows joined by
    // "\n" into its text, under the frame's own app and window.
    expect(first.ocr).toEqual([{ text: 'Quarterly report attached\nLunch?', app: 'Arc', window: 'Inbox' }]);
    expect(first.snapshot).toBeNull();
    expect(view.frames[1].time).toBe(Date.parse('2026-01-05T09:00:10Z'));
  });

  it('joins transcripts with their audio blob', () => {
    expect(view.transcripts).toHaveLength(1);
    expect(view.transcripts[0]).toMatchObject({ text: 'the invoice is missing', audioBlobId: AUDIO, isInput: true, speaker: 1, device: 'MacBook Pro Microphone' });
    expect(view.transcripts[0].time).toBe(Date.parse('2026-01-05T09:01:00.500Z'));
  });

  it('keeps accessibility text and UI events, and lists what search matches against', () => {
    expect(view.accessibility[0]).toMatchObject({ text: 'roadmap', window: 'Docs' });
    expect(view.uiEvents[0]).toMatchObject({ eventType: 'text', text: 'fn main', window: 'main.rs' });
    expect(allRecords(view)).toHaveLength(5);
    expect(searchableTexts(view.frames[0])).toEqual(['Inbox', 'https://mail.example/#inbox', 'Quarterly report attached\nLunch?', 'Inbox']);
    expect(searchableTexts(view.transcripts[0])).toEqual(['the invoice is missing']);
  });
});

describe('bundleView of a bundle v2 (screenpipe 0.4.50)', () => {
  const PACK = 'a'.repeat(32);
  const { keys } = account();
  const ctx = context('2'.repeat(32), 'text', '2026-12-05T13:35:00.000Z', '2026-12-05T13:39:59.999Z');
  const plain = new TextEncoder().encode(
    JSON.stringify({
      v: 2,
      device_id: 'laptop-1',
      time_start: '2026-12-05T13:35:00.000Z',
      time_end: '2026-12-05T13:39:59.999Z',
      frames: [
        {
          row_id: 17,
          offset_index: 0,
          timestamp: '2026-12-05T13:36:17.811204094+00:00',
          app_name: 'Arc',
          window_name: 'Inbox',
          snapshot: { blob_id: PACK, entry: '1796477777811_m60.jpg', file_name: '1796477777811_m60.jpg' },
          text: 'the quokka budget review',
          text_source: 'ocr',
        },
        { row_id: 18, offset_index: 0, timestamp: '2026-12-05T13:36:47.811+00:00', snapshot: { blob_id: null, entry: '18.jpg', file_name: 'x.jpg' }, accessibility_text: 'only accessibility' },
      ],
      memories: [
        { row_id: 6, content: 'Dana prefers marmalade', source: 'user', tags: '["preferences","food"]', created_at: '2026-12-05T13:30:00.000Z', updated_at: '2026-12-05T13:38:00.000Z' },
      ],
      meetings: [
        { row_id: 7, meeting_start: '2026-12-05T13:35:30.000Z', meeting_end: '2026-12-05T13:39:00.000Z', meeting_app: 'zoom.us', title: 'Kumquat roadmap', attendees: 'Dana, Priya', note: 'ship it' },
      ],
    }),
  );
  const view = bundleView(keys.openRecords(keys.encryptBlob(plain, ctx), ctx));
  keys.free();

  it('gives a frame its text and its snapshot (none when the pack blob is null)', () => {
    expect(view.frames[0].ocr).toEqual([{ text: 'the quokka budget review', app: 'Arc', window: 'Inbox' }]);
    expect(view.frames[0].snapshot).toEqual({ blobId: PACK, entry: '1796477777811_m60.jpg' });
    expect(view.frames[0].videoBlobId).toBeNull();
    expect(view.frames[1].snapshot).toBeNull();
    expect(view.frames[1].ocr[0].text).toBe('only accessibility');
  });

  it('shows memories and meetings, searchable by their texts', () => {
    expect(view.memories).toEqual([
      { kind: 'memory', rowId: 6, time: Date.parse('2026-12-05T13:38:00Z'), stored: '2026-12-05T13:38:00.000Z', text: 'Dana prefers marmalade', source: 'user', tags: ['preferences', 'food'] },
    ]);
    expect(view.meetings[0]).toMatchObject({ kind: 'meeting', rowId: 7, app: 'zoom.us', title: 'Kumquat roadmap', attendees: 'Dana, Priya', note: 'ship it' });
    expect(view.meetings[0].time).toBe(Date.parse('2026-12-05T13:35:30Z'));
    expect(view.meetings[0].end).toBe(Date.parse('2026-12-05T13:39:00Z'));
    expect(allRecords(view)).toHaveLength(4);
    expect(searchableTexts(view.memories[0])).toEqual(['Dana prefers marmalade', 'preferences', 'food']);
    expect(searchableTexts(view.meetings[0])).toEqual(['Kumquat roadmap', 'ship it', 'Dana, Priya']);
  });

  it('reads tags only from a JSON array of strings', () => {
    expect(tagsOf('["a", 1, "b"]')).toEqual(['a', 'b']);
    expect(tagsOf('not json')).toEqual([]);
    expect(tagsOf('{"a":1}')).toEqual([]);
    expect(tagsOf(null)).toEqual([]);
  });
});

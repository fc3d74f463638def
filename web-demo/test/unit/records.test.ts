import { describe, expect, it } from 'vitest';
import type { RecordsBundle } from '@screenpipe/sync-wasm';
import { allRecords, bundleView, searchableTexts } from '../../src/records';
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
    expect(first.ocr).toEqual([
      { text: 'Quarterly report attached', app: 'Arc', window: 'Inbox' },
      { text: 'Lunch?', app: 'Slack', window: '#random' },
    ]);
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
    expect(searchableTexts(view.frames[0])).toEqual(['Inbox', 'https://mail.example/#inbox', 'Quarterly report attached', 'Inbox', 'Lunch?', '#random']);
    expect(searchableTexts(view.transcripts[0])).toEqual(['the invoice is missing']);
  });
});

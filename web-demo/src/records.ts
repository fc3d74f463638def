// A decrypted records bundle (docs/FORMAT.md, "Records bundle") as what the viewer shows: frames with their OCR
// text and the media blob of their video chunk, transcriptions with the blob of their audio
// chunk, accessibility text and UI events. Every text stays a JS string: it is only ever put in
// the page with textContent, never parsed as HTML.

import type { RecordsBundle } from '@screenpipe/sync-wasm';
import { parseStoredTime } from './format';

export interface OcrView {
  text: string;
  app: string | null;
  window: string | null;
}

export interface FrameView {
  kind: 'frame';
  rowId: number;
  time: number | null;
  stored: string;
  app: string | null;
  window: string | null;
  url: string | null;
  monitor: string | null;
  focused: boolean | null;
  ocr: OcrView[];
  /** The `frames` blob of the frame's video chunk (null when its file was missing). */
  videoBlobId: string | null;
  offsetIndex: number | null;
}

export interface TranscriptView {
  kind: 'transcript';
  rowId: number;
  time: number | null;
  stored: string;
  text: string;
  device: string | null;
  isInput: boolean | null;
  speaker: number | null;
  start: number | null;
  end: number | null;
  audioBlobId: string | null;
}

export interface AccessibilityView {
  kind: 'accessibility';
  rowId: number;
  time: number | null;
  stored: string;
  app: string | null;
  window: string | null;
  url: string | null;
  text: string;
}

export interface UiEventView {
  kind: 'ui';
  rowId: number;
  time: number | null;
  stored: string;
  eventType: string | null;
  app: string | null;
  window: string | null;
  url: string | null;
  text: string;
}

export type RecordView = FrameView | TranscriptView | AccessibilityView | UiEventView;

export interface BundleView {
  deviceId: string;
  frames: FrameView[];
  transcripts: TranscriptView[];
  accessibility: AccessibilityView[];
  uiEvents: UiEventView[];
}

type Row = Record<string, unknown>;

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);

const byTime = (a: { time: number | null; rowId: number }, b: { time: number | null; rowId: number }) =>
  (a.time ?? 0) - (b.time ?? 0) || a.rowId - b.rowId;

export function bundleView(bundle: RecordsBundle): BundleView {
  const videoBlobs = new Map<number, string | null>();
  for (const c of bundle.video_chunks as Row[]) {
    const id = num(c.row_id);
    if (id !== null) videoBlobs.set(id, str(c.blob_id));
  }
  const audioBlobs = new Map<number, string | null>();
  for (const c of bundle.audio_chunks as Row[]) {
    const id = num(c.row_id);
    if (id !== null) audioBlobs.set(id, str(c.blob_id));
  }
  const ocrByFrame = new Map<number, OcrView[]>();
  // Records bundle v2 carries a frame's screen text on the frame (`text`); v1 had `ocr_text`
  // rows (the core upgrades v1 bundles when it opens them).
  for (const o of (bundle.ocr_text ?? []) as Row[]) {
    const frame = num(o.frame_row_id);
    const text = str(o.text);
    if (frame === null || text === null) continue;
    const list = ocrByFrame.get(frame) ?? [];
    list.push({ text, app: str(o.app_name), window: str(o.window_name) });
    ocrByFrame.set(frame, list);
  }
  const frameText = (f: Row): OcrView[] => {
    const text = str(f.text) ?? str(f.accessibility_text);
    return text === null ? [] : [{ text, app: str(f.app_name), window: str(f.window_name) }];
  };
  const frames: FrameView[] = (bundle.frames as Row[]).map((f) => {
    const rowId = num(f.row_id) ?? 0;
    const chunk = num(f.video_chunk_row_id);
    const stored = str(f.timestamp) ?? '';
    return {
      kind: 'frame',
      rowId,
      time: parseStoredTime(stored),
      stored,
      app: str(f.app_name),
      window: str(f.window_name),
      url: str(f.browser_url),
      monitor: str(f.device_name),
      focused: bool(f.focused),
      ocr: ocrByFrame.get(rowId) ?? frameText(f),
      videoBlobId: chunk === null ? null : (videoBlobs.get(chunk) ?? null),
      offsetIndex: num(f.offset_index),
    };
  });
  const transcripts: TranscriptView[] = (bundle.audio_transcriptions as Row[]).map((t) => {
    const chunk = num(t.audio_chunk_row_id);
    const stored = str(t.timestamp) ?? '';
    return {
      kind: 'transcript',
      rowId: num(t.row_id) ?? 0,
      time: parseStoredTime(stored),
      stored,
      text: str(t.transcription) ?? '',
      device: str(t.device),
      isInput: bool(t.is_input_device),
      speaker: num(t.speaker_id),
      start: num(t.start_time),
      end: num(t.end_time),
      audioBlobId: chunk === null ? null : (audioBlobs.get(chunk) ?? null),
    };
  });
  const accessibility: AccessibilityView[] = (bundle.accessibility as Row[]).map((a) => {
    const stored = str(a.timestamp) ?? '';
    return {
      kind: 'accessibility',
      rowId: num(a.row_id) ?? 0,
      time: parseStoredTime(stored),
      stored,
      app: str(a.app_name),
      window: str(a.window_name),
      url: str(a.browser_url),
      text: str(a.text_content) ?? '',
    };
  });
  const uiEvents: UiEventView[] = (bundle.ui_events as Row[]).map((u) => {
    const stored = str(u.timestamp) ?? '';
    return {
      kind: 'ui',
      rowId: num(u.row_id) ?? 0,
      time: parseStoredTime(stored),
      stored,
      eventType: str(u.event_type),
      app: str(u.app_name),
      window: str(u.window_title),
      url: str(u.browser_url),
      text: str(u.text_content) ?? '',
    };
  });
  frames.sort(byTime);
  transcripts.sort(byTime);
  accessibility.sort(byTime);
  uiEvents.sort(byTime);
  return { deviceId: bundle.device_id, frames, transcripts, accessibility, uiEvents };
}

/**
 * The texts of a record that its search tokens were made from (docs/FORMAT.md, "Search tokens": OCR text,
 * window titles, URLs, transcriptions, accessibility and UI text), for matching a query.
 */
export function searchableTexts(record: RecordView): string[] {
  const out: (string | null)[] = [];
  switch (record.kind) {
    case 'frame':
      out.push(record.window, record.url, ...record.ocr.flatMap((o) => [o.text, o.window]));
      break;
    case 'transcript':
      out.push(record.text);
      break;
    case 'accessibility':
    case 'ui':
      out.push(record.text, record.window, record.url);
      break;
  }
  return out.filter((t): t is string => t !== null && t !== '');
}

export function allRecords(view: BundleView): RecordView[] {
  return [...view.frames, ...view.transcripts, ...view.accessibility, ...view.uiEvents];
}

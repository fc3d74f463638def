// A decrypted records bundle (docs/FORMAT.md, "Records bundle", version 2: the wasm package
// upgrades version 1) as what the viewer shows: frames with their screen text, the media blob of
// their video chunk or the media pack entry of their snapshot, transcriptions with the blob of
// their audio chunk, accessibility text, UI events, memories and meetings. Every text stays a JS string: it is only ever put in
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
  /** The frame's snapshot (a JPEG): an entry of the media pack in a `frames` blob (null: none, or its file was missing). */
  snapshot: { blobId: string; entry: string } | null;
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

export interface MemoryView {
  kind: 'memory';
  rowId: number;
  /** Its last change (`updated_at`). */
  time: number | null;
  stored: string;
  text: string;
  source: string | null;
  /** The tags, from the JSON array text as stored (empty when it is not one). */
  tags: string[];
}

export interface MeetingView {
  kind: 'meeting';
  rowId: number;
  /** Its start (`meeting_start`). */
  time: number | null;
  stored: string;
  end: number | null;
  app: string | null;
  title: string | null;
  attendees: string | null;
  note: string | null;
}

export type RecordView = FrameView | TranscriptView | AccessibilityView | UiEventView | MemoryView | MeetingView;

export interface BundleView {
  deviceId: string;
  frames: FrameView[];
  transcripts: TranscriptView[];
  accessibility: AccessibilityView[];
  uiEvents: UiEventView[];
  memories: MemoryView[];
  meetings: MeetingView[];
}

type Row = Record<string, unknown>;

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);

const byTime = (a: { time: number | null; rowId: number }, b: { time: number | null; rowId: number }) =>
  (a.time ?? 0) - (b.time ?? 0) || a.rowId - b.rowId;

/** A memory's tags: the strings of the JSON array text screenpipe stores (none when it is not one). */
export function tagsOf(text: string | null): string[] {
  if (text === null) return [];
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return [];
  }
}

export function bundleView(bundle: RecordsBundle): BundleView {
  const videoBlobs = new Map<number, string | null>();
  for (const c of bundle.video_chunks as unknown as Row[]) {
    const id = num(c.row_id);
    if (id !== null) videoBlobs.set(id, str(c.blob_id));
  }
  const audioBlobs = new Map<number, string | null>();
  for (const c of bundle.audio_chunks as unknown as Row[]) {
    const id = num(c.row_id);
    if (id !== null) audioBlobs.set(id, str(c.blob_id));
  }
  // Records bundle v2 carries a frame's screen text on the frame (`text`; a v1 bundle's OCR rows
  // come back folded into it); a frame without OCR text may still have its accessibility text.
  const frameText = (f: Row): OcrView[] => {
    const text = str(f.text) ?? str(f.accessibility_text);
    return text === null ? [] : [{ text, app: str(f.app_name), window: str(f.window_name) }];
  };
  const snapshotOf = (f: Row): FrameView['snapshot'] => {
    const snap = f.snapshot as Row | null | undefined;
    const blobId = str(snap?.blob_id);
    const entry = str(snap?.entry);
    return blobId === null || entry === null ? null : { blobId, entry };
  };
  const frames: FrameView[] = (bundle.frames as unknown as Row[]).map((f) => {
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
      ocr: frameText(f),
      videoBlobId: chunk === null ? null : (videoBlobs.get(chunk) ?? null),
      snapshot: snapshotOf(f),
      offsetIndex: num(f.offset_index),
    };
  });
  const transcripts: TranscriptView[] = (bundle.audio_transcriptions as unknown as Row[]).map((t) => {
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
  const accessibility: AccessibilityView[] = (bundle.accessibility as unknown as Row[]).map((a) => {
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
  const uiEvents: UiEventView[] = (bundle.ui_events as unknown as Row[]).map((u) => {
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
  const memories: MemoryView[] = ((bundle.memories ?? []) as unknown as Row[]).map((m) => {
    const stored = str(m.updated_at) ?? '';
    return {
      kind: 'memory',
      rowId: num(m.row_id) ?? 0,
      time: parseStoredTime(stored),
      stored,
      text: str(m.content) ?? '',
      source: str(m.source),
      tags: tagsOf(str(m.tags)),
    };
  });
  const meetings: MeetingView[] = ((bundle.meetings ?? []) as unknown as Row[]).map((m) => {
    const stored = str(m.meeting_start) ?? '';
    const end = str(m.meeting_end);
    return {
      kind: 'meeting',
      rowId: num(m.row_id) ?? 0,
      time: parseStoredTime(stored),
      stored,
      end: end === null ? null : parseStoredTime(end),
      app: str(m.meeting_app),
      title: str(m.title),
      attendees: str(m.attendees),
      note: str(m.note),
    };
  });
  frames.sort(byTime);
  transcripts.sort(byTime);
  accessibility.sort(byTime);
  uiEvents.sort(byTime);
  memories.sort(byTime);
  meetings.sort(byTime);
  return { deviceId: bundle.device_id, frames, transcripts, accessibility, uiEvents, memories, meetings };
}

/**
 * The texts of a record that its search tokens were made from (docs/FORMAT.md, "Search tokens of a bundle": screen
 * text, window titles, URLs, transcriptions, accessibility and UI text, memories, meetings), for matching a query.
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
    case 'memory':
      out.push(record.text, ...record.tags);
      break;
    case 'meeting':
      out.push(record.title, record.note, record.attendees);
      break;
  }
  return out.filter((t): t is string => t !== null && t !== '');
}

export function allRecords(view: BundleView): RecordView[] {
  return [...view.frames, ...view.transcripts, ...view.accessibility, ...view.uiEvents, ...view.memories, ...view.meetings];
}

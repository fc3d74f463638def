// Shared by the unit tests: a real account (the Node build of @screenpipe/sync-wasm, fast KDF
// parameters) and records bundles to seal.
import { createAccount, type Keys } from '@screenpipe/sync-wasm';

export const PASSWORD = 'correct horse battery staple 1987!';
export const FAST = { m_kib: 19456, t: 2, p: 1 };

export function account(): { keys: Keys; envelope: ReturnType<typeof createAccount>['envelope'] } {
  const { keys, envelope } = createAccount(PASSWORD, FAST);
  return { keys, envelope };
}

export const DEVICE = 'laptop-1';

export function context(blobId: string, type: 'text' | 'frames' | 'audio', start: string, end: string) {
  return { blob_id: blobId, blob_type: type, device_id: DEVICE, time_start: start, time_end: end };
}

type Row = Record<string, unknown>;

export function bundle(parts: {
  time_start: string;
  time_end: string;
  video_chunks?: Row[];
  frames?: Row[];
  ocr_text?: Row[];
  audio_chunks?: Row[];
  audio_transcriptions?: Row[];
  accessibility?: Row[];
  ui_events?: Row[];
}): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      v: 1,
      device_id: DEVICE,
      time_start: parts.time_start,
      time_end: parts.time_end,
      video_chunks: parts.video_chunks ?? [],
      frames: parts.frames ?? [],
      ocr_text: parts.ocr_text ?? [],
      audio_chunks: parts.audio_chunks ?? [],
      audio_transcriptions: parts.audio_transcriptions ?? [],
      accessibility: parts.accessibility ?? [],
      ui_events: parts.ui_events ?? [],
    }),
  );
}

export function frame(rowId: number, timestamp: string, app: string, window: string, url: string | null = null, chunk = 1): Row {
  return {
    row_id: rowId,
    video_chunk_row_id: chunk,
    offset_index: rowId,
    timestamp,
    name: null,
    browser_url: url,
    app_name: app,
    window_name: window,
    focused: true,
    device_name: 'monitor_1',
  };
}

export function ocr(rowId: number, frameRowId: number, text: string, app = 'Arc', window = 'Inbox'): Row {
  return { row_id: rowId, frame_row_id: frameRowId, text, text_json: null, ocr_engine: 'AppleNative', text_length: text.length, app_name: app, window_name: window, focused: true };
}

export function transcript(rowId: number, chunk: number, timestamp: string, text: string): Row {
  return {
    row_id: rowId,
    audio_chunk_row_id: chunk,
    offset_index: 0,
    timestamp,
    transcription: text,
    device: 'MacBook Pro Microphone',
    is_input_device: true,
    speaker_id: 1,
    transcription_engine: 'whisper-large-v3-turbo',
    start_time: 0,
    end_time: 4.2,
    text_length: text.length,
  };
}

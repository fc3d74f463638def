// Types of @screenpipe/sync-wasm. The same API in browsers (dist/web) and Node (dist/node).

/** A stable error code (the core's `Error::code()`). */
export type ErrorCode =
  | 'wrong_password'
  | 'empty_password'
  | 'weak_password'
  | 'params_out_of_bounds'
  | 'bad_mnemonic'
  | 'rollback'
  | 'unknown_key'
  | 'wrong_key_or_context'
  | 'tampered'
  | 'truncated'
  | 'malformed'
  | 'unsupported'
  | 'too_large'
  | 'invalid_state'
  | 'invalid_input'
  | 'random_failure'
  | 'pairing_failed'
  | 'pairing_replayed'
  | 'pairing_out_of_order'
  | 'pairing_foreign'
  | 'pairing_expired'
  | 'pairing_denied';

/** Every error thrown by this package: an `Error` named `SyncError` with a stable `code`. */
export interface SyncError extends Error {
  name: 'SyncError';
  code: ErrorCode;
}

/** Argon2id parameters, as in an envelope's `kdf` (docs/FORMAT.md, "Password to wrap key"). Default `{m_kib: 65536, t: 3, p: 4}`. */
export interface KdfParams {
  m_kib: number;
  t: number;
  p: number;
}

/** The password envelope (docs/FORMAT.md, "Envelope"), exactly as the server stores and returns it. */
export interface Envelope {
  v: 1;
  kdf: { alg: 'argon2id'; version: 19; m_kib: number; t: number; p: number };
  salt: string;
  key_id: string;
  key_version: number;
  nonce: string;
  wrapped_key: string;
}

/** The recovery envelope (docs/FORMAT.md, "Recovery"). */
export interface RecoveryEnvelope {
  v: 1;
  key_id: string;
  key_version: number;
  nonce: string;
  wrapped_key: string;
}

/** An older master key sealed under the newest one (docs/FORMAT.md, "Rotation, keyring, rollback"). */
export interface KeyringEntry {
  key_id: string;
  nonce: string;
  wrapped_key: string;
}

/**
 * The newest key a page has seen, for the rollback check (docs/FORMAT.md, "Rotation, keyring, rollback"): a key version, or the
 * key itself (then another key of the same version is refused too). `undefined`: none yet.
 */
export type MinimumKey = number | { key_version: number; key_id?: string | null } | null | undefined;

export type BlobType = 'text' | 'frames' | 'audio';

/**
 * What a blob is bound to. Times in milliseconds since the epoch (a number), or the format's
 * RFC 3339 text (`2026-01-05T09:00:00.000Z`). Other fields are ignored, so a blob entry of the
 * server's `/download` or `/search` answer can be passed as it is.
 */
export interface BlobContext {
  blob_id: string;
  blob_type: BlobType;
  device_id: string;
  time_start: number | string;
  time_end: number | string;
}

/** Seal options; defaults by type: `text` is compressed and always padded, media neither. */
export interface SealOptions {
  /** Segment size 2^segmentExp, 12 to 24; default 16 (64 KiB). */
  segmentExp?: number;
  compress?: boolean;
  pad?: boolean;
}

export type Bytes = Uint8Array | ArrayBuffer | ArrayBufferView;

/** A video chunk: one `frames` blob holding the mp4 file byte for byte (`blob_id` null when the file was gone). */
export interface VideoChunkRecord {
  row_id: number;
  blob_id: string | null;
  file_name: string;
  device_name: string | null;
  fps: number | null;
}

/** Where a frame's snapshot (a JPEG) travels: entry `entry` of the media pack in `frames` blob `blob_id` (null when the file was gone). */
export interface SnapshotRef {
  blob_id: string | null;
  entry: string;
  file_name: string;
}

/** A frame: one capture, with its screen text (`text`) and, for screenpipe 0.4, its snapshot. */
export interface FrameRecord {
  row_id: number;
  video_chunk_row_id: number | null;
  offset_index: number;
  timestamp: string;
  name: string | null;
  browser_url: string | null;
  app_name: string | null;
  window_name: string | null;
  focused: boolean | null;
  device_name: string | null;
  snapshot: SnapshotRef | null;
  text: string | null;
  text_source: string | null;
  text_json: string | null;
  ocr_engine: string | null;
  accessibility_text: string | null;
  accessibility_tree_json: string | null;
  capture_trigger: string | null;
  document_path: string | null;
}

/** An OCR word or accessibility node of a frame; `bounds` is `[left, top, width, height]` in 0..1. */
export interface ElementRecord {
  row_id: number;
  frame_row_id: number;
  source: string;
  role: string;
  text: string | null;
  parent_row_id: number | null;
  depth: number;
  bounds: [number, number, number, number] | null;
  confidence: number | null;
  sort_order: number;
  properties: string | null;
  on_screen: boolean | null;
}

/** An audio chunk: one `audio` blob holding the file byte for byte. */
export interface AudioChunkRecord {
  row_id: number;
  blob_id: string | null;
  file_name: string;
  timestamp: string | null;
  transcription_status: string | null;
}

export interface TranscriptionRecord {
  row_id: number;
  audio_chunk_row_id: number;
  offset_index: number;
  timestamp: string;
  transcription: string;
  device: string | null;
  is_input_device: boolean | null;
  speaker_id: number | null;
  transcription_engine: string | null;
  start_time: number | null;
  end_time: number | null;
  text_length: number | null;
}

export interface AccessibilityRecord {
  row_id: number;
  timestamp: string;
  app_name: string | null;
  window_name: string | null;
  text_content: string | null;
  browser_url: string | null;
}

export interface UiEventRecord {
  row_id: number;
  timestamp: string;
  event_type: string;
  app_name: string | null;
  window_title: string | null;
  browser_url: string | null;
  text_content: string | null;
  /** Other columns of the event, by name. */
  extra: Record<string, unknown> | null;
}

/** A memory (a note); its version is `updated_at`. `tags` is the JSON array text as stored. */
export interface MemoryRecord {
  row_id: number;
  content: string;
  source: string;
  source_context: string | null;
  tags: string;
  importance: number | null;
  frame_row_id: number | null;
  created_at: string;
  updated_at: string;
  sync_uuid: string | null;
}

export interface MeetingRecord {
  row_id: number;
  meeting_start: string;
  meeting_end: string | null;
  meeting_app: string;
  title: string | null;
  attendees: string | null;
  detection_source: string | null;
  created_at: string | null;
  note: string | null;
  end_reason: string | null;
  calendar_event_id: string | null;
}

/**
 * A records bundle, version 2 (docs/FORMAT.md, "Records bundle"): plain objects, times as RFC 3339
 * text, `null` for absent values. A version 1 bundle comes back upgraded (its `ocr_text` rows
 * folded into their frames' `text`).
 */
export interface RecordsBundle {
  v: 2;
  device_id: string;
  time_start: string;
  time_end: string;
  video_chunks: VideoChunkRecord[];
  frames: FrameRecord[];
  elements: ElementRecord[];
  audio_chunks: AudioChunkRecord[];
  audio_transcriptions: TranscriptionRecord[];
  accessibility: AccessibilityRecord[];
  ui_events: UiEventRecord[];
  memories: MemoryRecord[];
  meetings: MeetingRecord[];
}

/** One file of a media pack; its bytes are `payload[offset, offset + size)`. `time` is the capture time (RFC 3339). */
export interface PackEntry {
  name: string;
  size: number;
  time: string;
  /** Media type, such as `image/jpeg`. */
  type: string;
  offset: number;
}

/** A media pack's index (docs/FORMAT.md, "Media blobs and the media pack"). */
export interface PackIndex {
  /** Length of the prefix and index: where the first entry starts. */
  headerLength: number;
  /** Length of the whole payload. */
  payloadLength: number;
  entries: PackEntry[];
}

/**
 * A media pack opened from its whole decrypted payload (every check of the format passed). Holds
 * a copy of the payload in wasm memory until `free()`.
 */
export class MediaPack {
  /** Opens a whole payload; `malformed`, `truncated` or `unsupported` when it is not a pack. */
  constructor(payload: Bytes);
  readonly entries: PackEntry[];
  readonly headerLength: number;
  readonly payloadLength: number;
  /** The bytes of the entry named `name` (a frame's `snapshot.entry`), or `undefined`. */
  entry(name: string): Uint8Array | undefined;
  /** The media type of the entry named `name`, or `undefined`. */
  entryType(name: string): string | undefined;
  free(): void;
}

/** What `Joiner.receive` gives back: messages to post, the code confirmed, or the keys. */
export type JoinerStep = { send: string[] } | { confirmed: true } | { keys: Keys };

/**
 * The joiner's side of device linking (docs/FORMAT.md section 12): a browser joins an account
 * with the code a desktop shows, through the server's mailbox (`/pair/*`, relayed by the page).
 * Every error ends the session: `pairing_failed` (a wrong code), `pairing_denied` (refused),
 * `pairing_expired`, `pairing_replayed`, `pairing_out_of_order`, `pairing_foreign`, `tampered`.
 */
export class Joiner {
  /** Starts with a typed code (or link URI), this browser's name and OS, and the time now. */
  constructor(code: string, deviceName: string, deviceOs: string, nowMs: number);
  /** The mailbox number (the code's first part). */
  mailbox(): number;
  /** Takes the desktop's next message (exact text); `minimum` is the rollback guard, as for `unlock`. */
  receive(message: string, nowMs: number, minimum?: number | { key_version: number; key_id?: string } | null): JoinerStep;
  /** `awaiting_initiator`, `awaiting_confirmation`, `awaiting_keys` or `ended`. */
  stage(): string;
  free(): void;
}

export interface NewAccount {
  envelope: Envelope;
  recoveryEnvelope: RecoveryEnvelope;
  /** The 24-word recovery phrase: show it once and ask the user to confirm it. */
  mnemonic: string;
  keys: Keys;
}

export interface Rotation {
  envelope: Envelope;
  recoveryEnvelope: RecoveryEnvelope;
  keyring: KeyringEntry[];
  mnemonic: string;
  keys: Keys;
}

/** Every unlocked key of an account, as an opaque handle. Keys never reach JavaScript as bytes. */
export class Keys {
  private constructor();
  /** Id (32 hex) of the current master key. */
  readonly keyId: string;
  /** Version of the current master key: remember the highest seen and pass it to the next unlock. */
  readonly keyVersion: number;
  /** Ids of every key held, current first. */
  readonly keyIds: string[];
  /** A new envelope for a new password (same master key); refuses weak passwords (`weak_password`). */
  changePassword(newPassword: string, params?: KdfParams | null): Envelope;
  /** A new master key (version + 1), keyring and recovery phrase; `password` must open `currentEnvelope`. */
  rotate(currentEnvelope: Envelope, password: string, params?: KdfParams | null): Rotation;
  /** Decrypts a whole blob; returns the data (padding and zstd undone). */
  decryptBlob(blob: Bytes, context: BlobContext): Uint8Array;
  /** Decrypts a `text` blob and returns its records bundle. */
  openRecords(blob: Bytes, context: BlobContext): RecordsBundle;
  /** Decrypts a `frames` blob holding a media pack and opens it (`invalid_input` for another blob type). */
  openPack(blob: Bytes, context: BlobContext): MediaPack;
  /** Streaming decryption in bounded memory. */
  blobDecryptor(context: BlobContext): BlobDecryptor;
  /** Seals data as a blob under the current key. */
  encryptBlob(data: Bytes, context: BlobContext, options?: SealOptions | null): Uint8Array;
  /** The search tokens of a query over `[startMs, endMs]`, every month and every key. */
  queryTokens(text: string, startMs: number | string, endMs: number | string): string[];
  /** Zeroizes the keys. The handle is unusable afterwards. */
  free(): void;
}

/**
 * Streaming decryption of one blob. `push` returns the plaintext released so far (possibly
 * empty); `finish` verifies the end. Plaintext is provisional until `finish` returns; a call that
 * throws returns nothing and every later call throws `invalid_state`.
 */
export class BlobDecryptor {
  private constructor();
  push(chunk: Bytes): Uint8Array;
  finish(): Uint8Array;
  /** Ciphertext bytes pushed so far. */
  readonly bytesIn: number;
  /** Plaintext bytes released so far. */
  readonly bytesOut: number;
  free(): void;
}

/** Loads the WebAssembly module (browsers: fetch and compile; Node: nothing to do). Call once before the rest. */
export function init(moduleOrPath?: string | URL | Request | Response | BufferSource | WebAssembly.Module): Promise<unknown>;
export default init;

/** Creates an account: `{envelope, recoveryEnvelope, mnemonic, keys}`. Refuses weak passwords. */
export function createAccount(password: string, params?: KdfParams | null): NewAccount;
/** Unlocks with the password. Refuses keys older than `minimum` (`rollback`) before the slow KDF. */
export function unlock(envelope: Envelope, password: string, keyring?: KeyringEntry[] | null, minimum?: MinimumKey): Keys;
/** Unlocks with the 24-word recovery phrase. */
export function unlockWithRecovery(
  recoveryEnvelope: RecoveryEnvelope,
  mnemonic: string,
  keyring?: KeyringEntry[] | null,
  minimum?: MinimumKey,
): Keys;
/** The search terms of a text (docs/FORMAT.md, "Search tokens"). */
export function terms(text: string): string[];
/** Every code a SyncError may carry. */
export function errorCodes(): ErrorCode[];
/** What this build is. */
export function buildInfo(): { version: string; simd128: boolean; segmentAead: 'simd128' | 'rustcrypto' | 'ring'; argon2: 'simd128' | 'rustcrypto'; features: string[] };
/** True when the bytes (a decrypted `frames` payload, or its first bytes) start with the media pack magic `SPMP`. */
export function isMediaPack(bytes: Bytes): boolean;
/** From a pack's first 12 bytes: how many first bytes hold its header (read that many, then `packIndex`). */
export function packHeaderLength(prefix: Bytes): number;
/** A pack's index from its first bytes (at least the header); `truncated` when they end inside the index. */
export function packIndex(header: Bytes): PackIndex;
/** True when `error` is a SyncError (with `code`, when given). */
export function isSyncError(error: unknown, code?: ErrorCode): error is SyncError;
/** A TransformStream decrypting a ciphertext stream (e.g. a `fetch()` body) with `decryptor`. */
export function decryptionStream(decryptor: BlobDecryptor): TransformStream<Uint8Array, Uint8Array>;

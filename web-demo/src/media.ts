// Streaming decryption of a media blob (a `frames` video chunk or an `audio` chunk) from its
// signed download URL: the ciphertext is read as it arrives and pushed through the worker's
// BlobDecryptor in bounded pieces, with progress. Plaintext is provisional until `finish()`
// verifies the last segment: nothing is handed to a <video>/<audio> element before that, and on
// any failure the partial plaintext is dropped.

type MaybePromise<T> = T | Promise<T>;

export interface StreamDecryptor {
  push(chunk: Uint8Array): MaybePromise<Uint8Array>;
  finish(): MaybePromise<Uint8Array>;
  free?(): MaybePromise<unknown>;
}

export interface Progress {
  received: number;
  total: number;
}

/** Pieces pushed to the worker are gathered up to this size (fewer messages, bounded memory). */
export const PUSH_BYTES = 1 << 20;

/**
 * Reads `body`, decrypting it; `total` is the ciphertext size the server listed. Returns the
 * verified plaintext as parts (for a `Blob`). Throws the decryptor's SyncError (`tampered`,
 * `truncated`, ...) or the stream's error; the decryptor is freed either way.
 */
export async function decryptStream(
  body: ReadableStream<Uint8Array>,
  decryptor: StreamDecryptor,
  total: number,
  onProgress?: (p: Progress) => void,
): Promise<Uint8Array[]> {
  const parts: Uint8Array[] = [];
  const reader = body.getReader();
  let received = 0;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (pendingBytes === 0) return;
    const piece = concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    const out = await decryptor.push(piece);
    if (out.length > 0) parts.push(out);
  };
  try {
    onProgress?.({ received, total });
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received += value.length;
      pending.push(value);
      pendingBytes += value.length;
      if (pendingBytes >= PUSH_BYTES) await flush();
      onProgress?.({ received, total });
    }
    await flush();
    const last = await decryptor.finish();
    if (last.length > 0) parts.push(last);
    return parts;
  } catch (e) {
    parts.length = 0;
    await reader.cancel().catch(() => undefined);
    throw e;
  } finally {
    reader.releaseLock();
    await decryptor.free?.();
  }
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * The MIME type to give the decrypted file. screenpipe writes MP4 files for both video and audio
 * chunks; the first bytes decide when they say otherwise (WAV, WebM/Matroska, Ogg, MP3).
 */
export function mediaType(blobType: 'frames' | 'audio', head: Uint8Array): string {
  const ascii = (from: number, to: number) => String.fromCharCode(...head.subarray(from, to));
  if (head.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WAVE') return 'audio/wav';
  if (head.length >= 4 && head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) {
    return blobType === 'audio' ? 'audio/webm' : 'video/webm';
  }
  if (head.length >= 4 && ascii(0, 4) === 'OggS') return 'audio/ogg';
  if (head.length >= 3 && (ascii(0, 3) === 'ID3' || (head[0] === 0xff && (head[1] & 0xe0) === 0xe0))) return 'audio/mpeg';
  return blobType === 'audio' ? 'audio/mp4' : 'video/mp4';
}

/** A file name for the decrypted media, from the blob's type and start time. */
export function mediaFileName(blobType: 'frames' | 'audio', timeStart: string, mime: string): string {
  const ext = mime.endsWith('wav') ? 'wav' : mime.endsWith('webm') ? 'webm' : mime.endsWith('ogg') ? 'ogg' : mime.endsWith('mpeg') ? 'mp3' : 'mp4';
  const stamp = timeStart.replace(/\.\d+Z$/, 'Z').replace(/[:]/g, '-');
  return `${blobType === 'frames' ? 'screen' : 'audio'}_${stamp}.${ext}`;
}

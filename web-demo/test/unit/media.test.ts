// Streaming decryption of media with real cryptography: random fetch-like chunking, progress,
// and nothing returned when the stream was altered or cut.
import { describe, expect, it } from 'vitest';
import { decryptStream, mediaFileName, mediaType, PUSH_BYTES, type Progress } from '../../src/media';
import { account, context } from './helpers';

function streamOf(bytes: Uint8Array, seed: number): ReadableStream<Uint8Array> {
  let at = 0;
  let state = seed;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      state = (state * 1103515245 + 12345) >>> 0;
      const n = 1 + (state % 200_000);
      controller.enqueue(bytes.slice(at, at + n));
      at += n;
    },
  });
}

function media(length: number): Uint8Array {
  const out = new Uint8Array(length);
  out.set(new TextEncoder().encode('\x00\x00\x00\x20ftypisom'));
  for (let i = 12; i < length; i++) out[i] = (i * 31 + (i >> 8)) & 0xff;
  return out;
}

const joined = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

describe('decryptStream', () => {
  const ctx = context('9'.repeat(32), 'frames', '2026-01-05T09:00:00.000Z', '2026-01-05T09:01:00.000Z');

  it('gives back the file byte for byte, with progress up to the listed size', async () => {
    const { keys } = account();
    const plain = media(3 * PUSH_BYTES + 12345);
    const sealed = keys.encryptBlob(plain, ctx);
    for (const seed of [1, 2, 3]) {
      const progress: Progress[] = [];
      let freed = 0;
      const d = keys.blobDecryptor(ctx);
      const parts = await decryptStream(streamOf(sealed, seed), { push: (c) => d.push(c), finish: () => d.finish(), free: () => (freed++, d.free()) }, sealed.length, (p) => progress.push(p));
      const out = joined(parts);
      expect(out.length).toBe(plain.length);
      expect(Buffer.from(out).equals(Buffer.from(plain))).toBe(true);
      expect(progress[0]).toEqual({ received: 0, total: sealed.length });
      expect(progress[progress.length - 1]).toEqual({ received: sealed.length, total: sealed.length });
      expect(progress.every((p, i) => i === 0 || p.received >= progress[i - 1].received)).toBe(true);
      expect(freed).toBe(1);
    }
    keys.free();
  });

  it('returns nothing from an altered stream (tampered) or a cut one (truncated)', async () => {
    const { keys } = account();
    const plain = media(200_000);
    const sealed = keys.encryptBlob(plain, ctx, { segmentExp: 12 });
    const tampered = sealed.slice();
    tampered[150_000] ^= 1;
    let freed = 0;
    const run = (bytes: Uint8Array) => {
      const d = keys.blobDecryptor(ctx);
      return decryptStream(streamOf(bytes, 7), { push: (c) => d.push(c), finish: () => d.finish(), free: () => (freed++, d.free()) }, bytes.length);
    };
    await expect(run(tampered)).rejects.toMatchObject({ code: 'tampered' });
    await expect(run(sealed.slice(0, 88 + 2 * (4096 + 16)))).rejects.toMatchObject({ code: 'truncated' });
    expect(freed).toBe(2);
    keys.free();
  });

  it('refuses a blob moved to another context (wrong_key_or_context)', async () => {
    const { keys } = account();
    const sealed = keys.encryptBlob(media(5000), ctx);
    const d = keys.blobDecryptor({ ...ctx, device_id: 'other-device' });
    await expect(decryptStream(streamOf(sealed, 1), { push: (c) => d.push(c), finish: () => d.finish() }, sealed.length)).rejects.toMatchObject({
      code: 'wrong_key_or_context',
    });
    keys.free();
  });
});

describe('media types', () => {
  const bytes = (text: string) => new TextEncoder().encode(text);
  it('sniffs common containers and defaults to MP4', () => {
    expect(mediaType('audio', bytes('RIFF\x24\x00\x00\x00WAVEfmt '))).toBe('audio/wav');
    expect(mediaType('frames', new Uint8Array([0x1a, 0x45, 0xdf, 0xa3]))).toBe('video/webm');
    expect(mediaType('audio', bytes('OggS'))).toBe('audio/ogg');
    expect(mediaType('audio', bytes('ID3\x04'))).toBe('audio/mpeg');
    expect(mediaType('frames', bytes('\x00\x00\x00\x20ftypisom'))).toBe('video/mp4');
    expect(mediaType('audio', bytes('\x00\x00\x00\x20ftypisom'))).toBe('audio/mp4');
  });

  it('names the saved file by type and time', () => {
    expect(mediaFileName('frames', '2026-01-05T09:00:00.000Z', 'video/mp4')).toBe('screen_2026-01-05T09-00-00Z.mp4');
    expect(mediaFileName('audio', '2026-01-05T09:00:00.000Z', 'audio/wav')).toBe('audio_2026-01-05T09-00-00Z.wav');
  });
});

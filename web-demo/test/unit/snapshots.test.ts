// Snapshots: one pack download and one openPack for many frames, object URLs of the entries'
// bytes with the entry's image type, every URL revoked and every pack freed at close; a missing
// entry or blob is an error the frame shows.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BlobInfo } from '../../src/api';
import type { Ctx } from '../../src/context';
import { Snapshots } from '../../src/snapshots';

const PACK = 'a'.repeat(32);
const info: BlobInfo = {
  blob_id: PACK,
  blob_type: 'frames',
  device_id: 'laptop-1',
  time_start: '2026-12-05T13:35:00.000Z',
  time_end: '2026-12-05T13:39:59.999Z',
  size_bytes: 10,
  download_url: '/objects/a',
} as BlobInfo;

function fakeCtx(files: Record<string, Uint8Array>, listed: BlobInfo[] = [info]) {
  const freed: number[] = [];
  const tracked: string[] = [];
  const calls = { download: 0, fetch: 0, openPack: 0 };
  const ctx = {
    api: {
      download: async () => {
        calls.download++;
        return { blobs: listed, next_cursor: null };
      },
      fetchObject: async () => {
        calls.fetch++;
        return new Response(new Uint8Array([1, 2, 3]));
      },
    },
    keys: {
      openPack: async (bytes: Uint8Array, context: BlobInfo) => {
        calls.openPack++;
        expect(Array.from(bytes)).toEqual([1, 2, 3]);
        expect(context.blob_id).toBe(PACK);
        return {
          entries: Object.entries(files).map(([name, b]) => ({ name, size: b.length, time: '', type: name.endsWith('.bin') ? 'application/octet-stream' : 'image/jpeg', offset: 0 })),
          entry: async (name: string) => files[name],
          free: async () => {
            freed.push(1);
            return true;
          },
        };
      },
    },
    alive: () => true,
    trackUrl: (url: string) => tracked.push(url),
  } as unknown as Ctx;
  return { ctx, freed, tracked, calls };
}

describe('Snapshots', () => {
  afterEach(() => vi.restoreAllMocks());

  it('opens a pack once for its frames, makes typed object URLs, revokes them and frees the pack at close', async () => {
    const made: Blob[] = [];
    const revoked: string[] = [];
    vi.spyOn(URL, 'createObjectURL').mockImplementation((b) => {
      made.push(b as Blob);
      return `blob:test/${made.length}`;
    });
    vi.spyOn(URL, 'revokeObjectURL').mockImplementation((u) => void revoked.push(u));
    const { ctx, freed, tracked, calls } = fakeCtx({ 'a.jpg': new Uint8Array([0xff, 0xd8, 1]), 'b.jpg': new Uint8Array([0xff, 0xd8, 2]), 'c.bin': new Uint8Array([0]) });
    const snapshots = new Snapshots(ctx, new AbortController().signal);
    const urls = await Promise.all([snapshots.url(PACK, 'a.jpg'), snapshots.url(PACK, 'b.jpg'), snapshots.url(PACK, 'c.bin')]);
    expect(urls).toEqual(['blob:test/1', 'blob:test/2', 'blob:test/3']);
    expect(calls).toEqual({ download: 1, fetch: 1, openPack: 1 });
    expect(made.map((b) => b.type)).toEqual(['image/jpeg', 'image/jpeg', 'application/octet-stream']);
    expect(Array.from(new Uint8Array(await made[1].arrayBuffer()))).toEqual([0xff, 0xd8, 2]);
    expect(tracked).toEqual(urls);
    await expect(snapshots.url(PACK, 'missing.jpg')).rejects.toThrow(/no entry missing\.jpg/);
    snapshots.close();
    expect(revoked).toEqual(urls);
    await vi.waitFor(() => expect(freed).toHaveLength(1));
    await expect(snapshots.url(PACK, 'a.jpg')).rejects.toThrow('closed');
    expect(calls.download).toBe(1); // nothing opened again after close
  });

  it('says so when the server does not list the pack, or lists another type', async () => {
    await expect(new Snapshots(fakeCtx({}, []).ctx, new AbortController().signal).url(PACK, 'a.jpg')).rejects.toThrow(/does not list/);
    const text = { ...info, blob_type: 'text' } as BlobInfo;
    await expect(new Snapshots(fakeCtx({}, [text]).ctx, new AbortController().signal).url(PACK, 'a.jpg')).rejects.toThrow(/not a frames blob/);
  });
});

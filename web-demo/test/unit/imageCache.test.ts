// The day view's bounded caches: a pack is downloaded and opened once for many entries; past
// PACKS packs the least recently used is freed in the worker, past IMAGES images the oldest URL
// is revoked; a failed load is retried; close() frees and revokes everything and refuses more.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BlobInfo } from '../../src/api';
import { ImageCache, IMAGES, PACKS } from '../../src/imageCache';

const id = (n: number) => n.toString(16).padStart(32, '0');

function fake() {
  const calls = { fetch: 0, openPack: 0, freed: [] as string[] };
  let failNext = false;
  const deps = {
    api: {
      download: async ({ blob_ids }: { blob_ids: string[] }) => ({
        blobs: blob_ids.map((b) => ({ blob_id: b, blob_type: 'frames', device_id: 'd', time_start: '', time_end: '', size_bytes: 3, download_url: `/o/${b}` }) as BlobInfo),
        next_cursor: null,
      }),
      fetchObject: async () => {
        calls.fetch++;
        if (failNext) {
          failNext = false;
          throw new Error('network down');
        }
        return new Response(new Uint8Array([1, 2, 3]));
      },
    },
    keys: {
      openPack: async (_: Uint8Array, info: BlobInfo) => {
        calls.openPack++;
        return {
          entries: [{ name: 'e', size: 1, time: '', type: 'image/jpeg', offset: 0 }],
          entry: async (name: string) => (name === 'e' || name.startsWith('e') ? new Uint8Array([0xff, 0xd8]) : undefined),
          free: async () => {
            calls.freed.push(info.blob_id);
            return true;
          },
        };
      },
    },
    alive: () => true,
  };
  return { deps, calls, fail: () => (failNext = true) };
}

afterEach(() => vi.restoreAllMocks());

describe('ImageCache', () => {
  it('opens a pack once for many entries and gives the same URL for the same entry', async () => {
    const { deps, calls } = fake();
    const cache = new ImageCache(deps as never);
    const [a, b, c] = await Promise.all([cache.url(id(1), 'e1'), cache.url(id(1), 'e2'), cache.url(id(1), 'e1')]);
    expect(calls.fetch).toBe(1);
    expect(calls.openPack).toBe(1);
    expect(a).toMatch(/^blob:/);
    expect(a).toBe(c);
    expect(b).not.toBe(a);
    expect(cache.held).toEqual({ packs: 1, images: 2, videos: 0 });
  });

  it('frees the least recently used pack in the worker and revokes the oldest image URLs', async () => {
    const revoked: string[] = [];
    const revoke = URL.revokeObjectURL.bind(URL);
    vi.spyOn(URL, 'revokeObjectURL').mockImplementation((u: string) => {
      revoked.push(u);
      revoke(u);
    });
    const { deps, calls } = fake();
    const cache = new ImageCache(deps as never);
    const first = await cache.url(id(0), 'e0');
    for (let n = 1; n <= PACKS; n++) await cache.url(id(n), 'e0');
    await new Promise((r) => setTimeout(r, 0));
    expect(calls.freed).toEqual([id(0)]);
    expect(cache.held.packs).toBe(PACKS);
    for (let n = 1; n <= IMAGES; n++) await cache.url(id(PACKS), `e${n}`);
    await new Promise((r) => setTimeout(r, 0));
    expect(cache.held.images).toBe(IMAGES);
    expect(revoked).toContain(first);
    expect(revoked).toHaveLength(PACKS + 1);
  });

  it('tries a failed pack again, and refuses everything after close (all freed and revoked)', async () => {
    const { deps, calls, fail } = fake();
    const cache = new ImageCache(deps as never);
    fail();
    await expect(cache.url(id(1), 'e')).rejects.toThrow('network down');
    const url = await cache.url(id(1), 'e');
    expect(calls.fetch).toBe(2);
    cache.close();
    await new Promise((r) => setTimeout(r, 0));
    expect(calls.freed).toEqual([id(1)]);
    expect(cache.held).toEqual({ packs: 0, images: 0, videos: 0 });
    await expect(fetch(url)).rejects.toThrow();
    await expect(cache.url(id(1), 'e')).rejects.toMatchObject({ name: 'AbortError' });
  });
});

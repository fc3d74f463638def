// What the day view and the search hits keep decrypted, bounded: snapshot packs open in the
// worker (an LRU of PACKS, each freed in the worker when evicted), the snapshots' object URLs
// (an LRU of IMAGES, each revoked when evicted) and decrypted video chunks (an LRU of VIDEOS,
// revoked when evicted). Decryption runs in the Web Worker (`keys.openPack`,
// `keys.blobDecryptor`); only an entry's bytes come back to the page. `close()` (at lock)
// frees and revokes everything.

import type { RemoteMediaPack } from '@screenpipe/sync-wasm/worker';
import { fetchBlob } from './api';
import type { Ctx } from './context';
import { Lru } from './dayModel';
import { decryptStream, mediaType } from './media';
import { frameBlobInfo, openPackBlob } from './snapshots';

/** Snapshot packs kept open in the worker (a pack holds about five minutes of snapshots). */
export const PACKS = 6;
/** Snapshot object URLs kept. */
export const IMAGES = 200;
/** Decrypted video chunks kept (each is minutes of screen recording). */
export const VIDEOS = 2;

type Deps = Pick<Ctx, 'api' | 'keys' | 'alive'>;

function closed(): DOMException {
  return new DOMException('closed', 'AbortError');
}

export class ImageCache {
  private readonly packs = new Lru<string, Promise<RemoteMediaPack>>(PACKS, (_, pack) => {
    pack.then(
      (p) => p.free().catch(() => undefined), // the worker may be gone (lock)
      () => undefined,
    );
  });
  private readonly images = new Lru<string, Promise<string>>(IMAGES, (_, url) => {
    url.then(
      (u) => URL.revokeObjectURL(u),
      () => undefined,
    );
  });
  private readonly videos = new Lru<string, Promise<{ url: string; type: string }>>(VIDEOS, (_, video) => {
    video.then(
      (v) => URL.revokeObjectURL(v.url),
      () => undefined,
    );
  });
  private open = true;
  private readonly abort = new AbortController();

  constructor(private readonly deps: Deps) {}

  /** How many packs, images and videos are held now (for tests and the status line). */
  get held(): { packs: number; images: number; videos: number } {
    return { packs: this.packs.size, images: this.images.size, videos: this.videos.size };
  }

  private pack(blobId: string): Promise<RemoteMediaPack> {
    let pack = this.packs.get(blobId);
    if (pack === undefined) {
      pack = openPackBlob(this.deps, blobId, this.abort.signal).then((p) => {
        if (this.open) return p;
        void p.free().catch(() => undefined); // closed meanwhile: not kept
        throw closed();
      });
      // A failed load is not kept: the next request tries again.
      pack.catch(() => this.packs.get(blobId) === pack && this.packs.delete(blobId));
      this.packs.set(blobId, pack);
    }
    return pack;
  }

  /** An object URL of the snapshot `entry` of the pack in `blobId` (revoked when evicted or closed). */
  url(blobId: string, entry: string): Promise<string> {
    if (!this.open) return Promise.reject(closed());
    const key = `${blobId}/${entry}`;
    let url = this.images.get(key);
    if (url === undefined) {
      url = (async () => {
        const pack = await this.pack(blobId);
        const bytes = await pack.entry(entry);
        if (bytes === undefined) throw new Error(`its pack has no entry ${entry}`);
        if (!this.open || !this.deps.alive()) throw closed();
        const declared = pack.entries.find((e) => e.name === entry)?.type ?? '';
        const type = declared.startsWith('image/') ? declared : 'application/octet-stream';
        return URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
      })();
      url.catch(() => this.images.get(key) === url && this.images.delete(key));
      this.images.set(key, url);
    }
    return url;
  }

  /** An object URL of the decrypted, verified video chunk in `blobId`, and its media type. */
  video(blobId: string): Promise<{ url: string; type: string }> {
    if (!this.open) return Promise.reject(closed());
    let video = this.videos.get(blobId);
    if (video === undefined) {
      video = (async () => {
        const info = await frameBlobInfo(this.deps.api, blobId);
        const response = await fetchBlob(this.deps.api, info, this.abort.signal);
        if (response.body === null) throw new Error('the download has no body');
        const parts = await decryptStream(response.body, await this.deps.keys.blobDecryptor(info), info.size_bytes);
        if (!this.open || !this.deps.alive()) throw closed();
        const type = mediaType('frames', (parts[0] ?? new Uint8Array()).subarray(0, 16));
        return { url: URL.createObjectURL(new Blob(parts as BlobPart[], { type })), type };
      })();
      video.catch(() => this.videos.get(blobId) === video && this.videos.delete(blobId));
      this.videos.set(blobId, video);
    }
    return video;
  }

  /** Frees every pack in the worker and revokes every URL; later requests fail with AbortError. */
  close(): void {
    this.open = false;
    this.abort.abort();
    this.images.clear();
    this.videos.clear();
    this.packs.clear();
  }
}

// Frames' snapshots (screenpipe 0.4's JPEGs): each is an entry of a media pack in a `frames`
// blob (docs/FORMAT.md, "Which media go where"). The pack blob is looked up by id, downloaded
// and decrypted once in the worker (`keys.openPack`), and stays open there while its text blob
// is shown; each entry comes back as bytes and is shown from an object URL. `close()` revokes
// every URL and frees the packs in the worker.

import type { RemoteMediaPack } from '@screenpipe/sync-wasm/worker';
import { fetchBlob, type BlobInfo } from './api';
import type { Ctx } from './context';

/** The listing of a snapshot's `frames` blob, by id (refused when the server lists none or another type). */
export async function frameBlobInfo(api: Pick<Ctx['api'], 'download'>, blobId: string): Promise<BlobInfo> {
  const { blobs } = await api.download({ blob_ids: [blobId] });
  const info = blobs[0];
  if (info === undefined) throw new Error('the server does not list the snapshot’s blob');
  if (info.blob_type !== 'frames') throw new Error('the snapshot’s blob is not a frames blob');
  return info;
}

/** Downloads the pack blob `blobId` and opens it in the worker (`keys.openPack`). */
export async function openPackBlob(ctx: Pick<Ctx, 'api' | 'keys'>, blobId: string, signal?: AbortSignal): Promise<RemoteMediaPack> {
  const info = await frameBlobInfo(ctx.api, blobId);
  const response = await fetchBlob(ctx.api, info, signal);
  const bytes = new Uint8Array(await response.arrayBuffer());
  return ctx.keys.openPack(bytes, info);
}

export class Snapshots {
  private readonly packs = new Map<string, Promise<RemoteMediaPack>>();
  private readonly urls: string[] = [];
  private closed = false;

  constructor(
    private readonly ctx: Ctx,
    private readonly signal: AbortSignal,
  ) {}

  /** The pack of `blobId`, opened once however many frames name it. */
  private pack(blobId: string): Promise<RemoteMediaPack> {
    let pack = this.packs.get(blobId);
    if (pack === undefined) {
      pack = this.load(blobId);
      pack.catch(() => undefined); // each caller sees the failure; none is left unhandled
      this.packs.set(blobId, pack);
    }
    return pack;
  }

  private load(blobId: string): Promise<RemoteMediaPack> {
    return openPackBlob(this.ctx, blobId, this.signal);
  }

  /** Keeps a pack opened elsewhere (a `frames` blob streamed and opened as a pack) under its blob id. */
  adopt(blobId: string, pack: RemoteMediaPack): void {
    this.packs.set(blobId, Promise.resolve(pack));
  }

  /** An object URL of the image of entry `entry` of pack `blobId` (revoked by `close()`). */
  async url(blobId: string, entry: string): Promise<string> {
    if (this.closed) throw new DOMException('closed', 'AbortError');
    const pack = await this.pack(blobId);
    const bytes = await pack.entry(entry);
    if (bytes === undefined) throw new Error(`its pack has no entry ${entry}`);
    if (this.closed || this.signal.aborted || !this.ctx.alive()) throw new DOMException('closed', 'AbortError');
    const declared = pack.entries.find((e) => e.name === entry)?.type ?? '';
    const type = declared.startsWith('image/') ? declared : 'application/octet-stream';
    const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
    this.urls.push(url);
    this.ctx.trackUrl(url);
    return url;
  }

  /** Revokes every URL made here and frees the packs in the worker. */
  close(): void {
    this.closed = true;
    for (const url of this.urls) URL.revokeObjectURL(url);
    this.urls.length = 0;
    for (const pack of this.packs.values()) {
      pack.then(
        (p) => p.free().catch(() => undefined), // the worker may be gone (lock)
        () => undefined,
      );
    }
    this.packs.clear();
  }
}

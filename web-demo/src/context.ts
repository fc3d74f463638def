// What every view of an unlocked session shares.

import type { RemoteKeys, SyncWorker } from '@screenpipe/sync-wasm/worker';
import type { BlobInfo, StatusResponse, SyncApi } from './api';
import type { ImageCache } from './imageCache';

export interface Ctx {
  api: SyncApi;
  keys: RemoteKeys;
  worker: SyncWorker;
  /** This browser's device id. */
  selfDeviceId: string;
  /** Device names by id (from /devices). */
  deviceNames: Map<string, string>;
  /** The last /status answer. */
  status: StatusResponse | null;
  /** False once the session is locked: late answers must not be shown. */
  alive(): boolean;
  /** Keeps an object URL to revoke at lock or when the detail closes. */
  trackUrl(url: string): void;
  /** A failure that ends the session (the device was removed, the token revoked). */
  fatal(e: unknown): boolean;
  /** Opens a blob in the detail panel. */
  openBlob(blob: BlobInfo, from?: HTMLElement | null, focusRowId?: number): void;
  /** Opens a blob by id (looked up with /download), a text blob scrolled to frame `focusRowId`. */
  openBlobById(blobId: string, from?: HTMLElement | null, focusRowId?: number): Promise<void>;
  /** Decrypted snapshots and video chunks, bounded (freed at lock). */
  images: ImageCache;
  /** Shows a moment in the day view (a search hit). */
  showMoment(deviceId: string, ms: number): void;
}

export function deviceLabel(ctx: Ctx, deviceId: string): string {
  const name = ctx.deviceNames.get(deviceId);
  return name === undefined ? deviceId : `${name}`;
}

// The sync server's API (docs/openapi.yaml), as the viewer uses it. Every request carries the
// bearer token and the viewer's device id, and nothing else the user typed: no password, no key,
// no plaintext. Signed download URLs get no Authorization header (the signature is their
// credential, and they may point at another origin such as an object store).

import type { Envelope, KeyringEntry, RecoveryEnvelope } from '@screenpipe/sync-wasm';

export type BlobType = 'text' | 'frames' | 'audio';

export interface InitResponse {
  is_new_user: boolean;
  envelope: Envelope | null;
  recovery_envelope: RecoveryEnvelope | null;
  keyring: KeyringEntry[];
  revision: number;
}

export interface BlobInfo {
  blob_id: string;
  blob_type: BlobType;
  device_id: string;
  time_start: string;
  time_end: string;
  size_bytes: number;
  checksum: string;
  key_id: string;
  download_url: string;
}

export interface DownloadResponse {
  blobs: BlobInfo[];
  next_cursor: string | null;
}

export interface SearchMatch {
  blob_id: string;
  blob_type: BlobType;
  device_id: string;
  time_start: string;
  time_end: string;
  match_count: number;
}

export interface SearchResponse {
  matches: SearchMatch[];
  total_matches: number;
}

export type Tier = 'none' | 'starter' | 'pro' | 'team';

export interface StatusResponse {
  quota: {
    storage_used: number;
    storage_limit: number;
    device_count: number;
    device_limit: number | null;
    can_sync: boolean;
    sync_tier: Tier;
  };
  stats: { total_blobs: number; last_sync: string | null; oldest_data: string | null; newest_data: string | null };
  storage_breakdown: { text: number; frames: number; audio: number };
}

export interface DeviceInfo {
  device_id: string;
  device_name: string;
  device_os: string;
  last_sync_at: string | null;
  created_at: string;
}

export interface TimeRange {
  start: string;
  end: string;
}

/** An answer of the server that is not a success, or a network failure (`status` 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/**
 * Normalizes what the user typed in `Server`: empty means this page's origin; a trailing `/` or
 * `/api/sync` is dropped. Returns the server root (no trailing slash).
 */
export function normalizeServer(input: string, pageOrigin: string): string {
  let text = input.trim();
  if (text === '') return pageOrigin;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    if (text.startsWith('/')) text = pageOrigin + text;
    else throw new ApiError(0, 'bad_server', `"${input}" is not a server address (e.g. https://sync.example.com)`);
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ApiError(0, 'bad_server', `"${input}" is not a server address (e.g. https://sync.example.com)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ApiError(0, 'bad_server', 'the server address must start with https:// or http://');
  }
  if (url.username || url.password) {
    throw new ApiError(0, 'bad_server', 'the server address must not hold a user name or password');
  }
  // Plain HTTP exposes the bearer token (enough to delete data or rotate keys): only to a
  // loopback address, or to the page's own origin (the page itself came over that channel).
  if (url.protocol === 'http:' && !isLoopback(url.hostname) && url.origin !== pageOrigin) {
    throw new ApiError(0, 'insecure_http', 'the server address must use https:// (plain http:// only for this computer: localhost, 127.0.0.1, [::1])');
  }
  let path = url.pathname.replace(/\/+$/, '');
  if (path.endsWith('/api/sync')) path = path.slice(0, -'/api/sync'.length);
  return url.origin + path;
}

/** localhost, 127.0.0.0/8 or ::1 (as `URL.hostname` spells them). */
function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

export const API_PATH = '/api/sync';

type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export class SyncApi {
  readonly server: string;
  private readonly token: string;
  readonly deviceId: string;
  private readonly fetchImpl: FetchLike;

  constructor(server: string, token: string, deviceId: string, fetchImpl?: FetchLike) {
    this.server = server;
    this.token = token.trim();
    this.deviceId = deviceId;
    this.fetchImpl = fetchImpl ?? ((input, init) => fetch(input, init));
  }

  private async call<T>(method: 'GET' | 'POST' | 'DELETE', route: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.token}`,
      'X-Device-Id': this.deviceId,
      Accept: 'application/json',
    };
    const init: RequestInit = {
      method,
      headers,
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer',
    };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let response: Response;
    try {
      response = await this.fetchImpl(this.server + API_PATH + route, init);
    } catch (e) {
      throw new ApiError(0, 'network', `cannot reach the server at ${this.server} (${(e as Error).message})`);
    }
    return readJson<T>(response);
  }

  init(deviceName: string, deviceOs: string, appVersion: string): Promise<InitResponse> {
    return this.call('POST', '/init', {
      device_id: this.deviceId,
      device_name: deviceName,
      device_os: deviceOs,
      app_version: appVersion,
    });
  }

  download(request: {
    blob_ids?: string[];
    time_range?: TimeRange;
    blob_types?: BlobType[];
    device_ids?: string[];
    limit?: number;
    cursor?: string | null;
  }): Promise<DownloadResponse> {
    return this.call('POST', '/download', request);
  }

  search(request: { search_tokens: string[]; time_range?: TimeRange; blob_types?: BlobType[]; limit?: number }): Promise<SearchResponse> {
    return this.call('POST', '/search', request);
  }

  status(): Promise<StatusResponse> {
    return this.call('GET', '/status');
  }

  devices(): Promise<{ devices: DeviceInfo[] }> {
    return this.call('GET', '/devices');
  }

  removeDevice(deviceId: string): Promise<{ removed: boolean }> {
    return this.call('DELETE', `/devices?device_id=${encodeURIComponent(deviceId)}`);
  }

  /**
   * Fetches a signed download URL: no bearer token, no device id, no cookies, and no redirect
   * followed (a server must not steer the page elsewhere; the page's CSP `connect-src` limits
   * the origins it may reach to the server's own and its object store's).
   */
  async fetchObject(url: string, signal?: AbortSignal): Promise<Response> {
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method: 'GET',
        credentials: 'omit',
        cache: 'no-store',
        referrerPolicy: 'no-referrer',
        redirect: 'error',
        signal,
      });
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      throw new ApiError(0, 'network', `cannot download the blob (${(e as Error).message}; redirects are refused)`);
    }
    if (!response.ok) await readJson(response);
    return response;
  }
}

/**
 * Fetches a blob's ciphertext from its signed URL; when the URL was refused (403: expired, as
 * after an hour in an open tab, or otherwise), asks `/download` for a fresh one and tries once
 * more.
 */
export async function fetchBlob(api: Pick<SyncApi, 'fetchObject' | 'download'>, blob: BlobInfo, signal?: AbortSignal): Promise<Response> {
  try {
    return await api.fetchObject(blob.download_url, signal);
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 403) throw e;
    const { blobs } = await api.download({ blob_ids: [blob.blob_id] });
    const fresh = blobs.find((b) => b.blob_id === blob.blob_id);
    if (fresh === undefined) throw e;
    blob.download_url = fresh.download_url;
    return api.fetchObject(fresh.download_url, signal);
  }
}

async function readJson<T>(response: Response): Promise<T> {
  const text = await response.text();
  let value: unknown = undefined;
  try {
    value = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON: reported below
  }
  if (response.ok && value !== undefined) return value as T;
  const error = (value ?? {}) as { error?: unknown; code?: unknown };
  const code = typeof error.code === 'string' ? error.code : response.ok ? 'bad_response' : `http_${response.status}`;
  const message =
    typeof error.error === 'string'
      ? error.error
      : response.ok
        ? 'the server answered something that is not JSON (is this a sync server?)'
        : `the server answered ${response.status} ${response.statusText}`;
  throw new ApiError(response.status, code, message);
}

/** Every page of a `/download` by time range, up to `max` blobs; `truncated` when more remain. */
export async function listBlobs(
  api: SyncApi,
  range: TimeRange,
  filter: { blob_types?: BlobType[]; device_ids?: string[] },
  max = 5000,
): Promise<{ blobs: BlobInfo[]; truncated: boolean }> {
  const blobs: BlobInfo[] = [];
  let cursor: string | null = null;
  const seen = new Set<string>();
  do {
    const page: DownloadResponse = await api.download({
      time_range: range,
      blob_types: filter.blob_types,
      device_ids: filter.device_ids,
      limit: Math.min(1000, max - blobs.length),
      cursor,
    });
    blobs.push(...page.blobs);
    cursor = page.next_cursor;
    if (cursor !== null) {
      if (seen.has(cursor)) throw new ApiError(0, 'invalid_response', 'the server repeated a listing cursor (a loop): stopped');
      seen.add(cursor);
    }
  } while (cursor !== null && blobs.length < max);
  return { blobs, truncated: cursor !== null };
}

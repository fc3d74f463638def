import { describe, expect, it } from 'vitest';
import { ApiError, fetchBlob, listBlobs, normalizeServer, SyncApi, type BlobInfo } from '../../src/api';

interface Call {
  url: string;
  init: RequestInit;
}

function recorder(answer: (call: Call) => Response) {
  const calls: Call[] = [];
  const fetchImpl = async (url: string, init: RequestInit = {}) => {
    const call = { url, init };
    calls.push(call);
    return answer(call);
  };
  return { calls, fetchImpl };
}

const json = (value: unknown, status = 200) => new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json' } });
const headersOf = (init: RequestInit) => new Headers(init.headers);

describe('normalizeServer', () => {
  const page = 'https://viewer.example';
  it.each([
    ['', page],
    ['  ', page],
    ['https://sync.example.com', 'https://sync.example.com'],
    ['https://sync.example.com/', 'https://sync.example.com'],
    ['https://sync.example.com/api/sync', 'https://sync.example.com'],
    ['https://sync.example.com/prefix/api/sync/', 'https://sync.example.com/prefix'],
    ['/prefix', 'https://viewer.example/prefix'],
    ['http://127.0.0.1:8787', 'http://127.0.0.1:8787'],
    ['http://localhost:8787', 'http://localhost:8787'],
    ['http://[::1]:8787', 'http://[::1]:8787'],
  ])('%j → %s', (input, expected) => {
    expect(normalizeServer(input, page)).toBe(expected);
  });

  it.each(['sync.example.com', 'ftp://x', 'https://user:pw@host', 'http://'])('refuses %j', (input) => {
    expect(() => normalizeServer(input, page)).toThrow(ApiError);
  });

  it('refuses plain http:// to another host, except the page\'s own origin', () => {
    for (const input of ['http://sync.example.com', 'http://192.168.1.5:8787', 'http://127.0.0.1.evil.example']) {
      expect(() => normalizeServer(input, page)).toThrow(expect.objectContaining({ code: 'insecure_http' }));
    }
    expect(normalizeServer('http://nas.lan:8787', 'http://nas.lan:8787')).toBe('http://nas.lan:8787');
    expect(normalizeServer('', 'http://nas.lan:8787')).toBe('http://nas.lan:8787');
  });
});

describe('SyncApi', () => {
  it('sends the bearer token and the device id on API routes, JSON bodies, no cookies or referrer', async () => {
    const { calls, fetchImpl } = recorder(() => json({ matches: [], total_matches: 0 }));
    const api = new SyncApi('https://s.example', ' sps_token ', 'web-1', fetchImpl);
    await api.search({ search_tokens: ['AAAAAAAAAAAAAAAAAAAAAA'], limit: 5 });
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call.url).toBe('https://s.example/api/sync/search');
    expect(call.init.method).toBe('POST');
    const headers = headersOf(call.init);
    expect(headers.get('authorization')).toBe('Bearer sps_token');
    expect(headers.get('x-device-id')).toBe('web-1');
    expect(headers.get('content-type')).toBe('application/json');
    expect(call.init.credentials).toBe('omit');
    expect(call.init.referrerPolicy).toBe('no-referrer');
    expect(JSON.parse(String(call.init.body))).toEqual({ search_tokens: ['AAAAAAAAAAAAAAAAAAAAAA'], limit: 5 });
  });

  it('registers with /init under its own device id', async () => {
    const { calls, fetchImpl } = recorder(() => json({ is_new_user: false, envelope: null, recovery_envelope: null, keyring: [], revision: 0 }));
    await new SyncApi('https://s.example', 't', 'web-abc', fetchImpl).init('Web viewer', 'web (Linux)', '0.1.0');
    expect(JSON.parse(String(calls[0].init.body))).toEqual({ device_id: 'web-abc', device_name: 'Web viewer', device_os: 'web (Linux)', app_version: '0.1.0' });
  });

  it('escapes the device id of DELETE /devices', async () => {
    const { calls, fetchImpl } = recorder(() => json({ removed: true }));
    await new SyncApi('https://s.example', 't', 'web-1', fetchImpl).removeDevice('a&b');
    expect(calls[0].url).toBe('https://s.example/api/sync/devices?device_id=a%26b');
    expect(calls[0].init.method).toBe('DELETE');
  });

  it('fetches signed URLs without the token, the device id or cookies', async () => {
    const { calls, fetchImpl } = recorder(() => new Response(new Uint8Array([1, 2, 3])));
    const api = new SyncApi('https://s.example', 'sps_secret', 'web-1', fetchImpl);
    const response = await api.fetchObject('https://bucket.example/obj?sig=1');
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
    const headers = headersOf(calls[0].init);
    expect(headers.get('authorization')).toBeNull();
    expect(headers.get('x-device-id')).toBeNull();
    expect(JSON.stringify(calls[0])).not.toContain('sps_secret');
    expect(calls[0].init.credentials).toBe('omit');
    expect(calls[0].init.redirect).toBe('error');
  });

  it('turns error answers into ApiErrors with the server code', async () => {
    const { fetchImpl } = recorder(() => json({ error: 'unknown device web-1', code: 'UNKNOWN_DEVICE' }, 403));
    const api = new SyncApi('https://s.example', 't', 'web-1', fetchImpl);
    await expect(api.status()).rejects.toMatchObject({ name: 'ApiError', status: 403, code: 'UNKNOWN_DEVICE', message: 'unknown device web-1' });
    const html = recorder(() => new Response('<html>', { status: 502, statusText: 'Bad Gateway' }));
    await expect(new SyncApi('https://s.example', 't', 'w', html.fetchImpl).status()).rejects.toMatchObject({ status: 502, code: 'http_502' });
    const notJson = recorder(() => new Response('<html>', { status: 200 }));
    await expect(new SyncApi('https://s.example', 't', 'w', notJson.fetchImpl).status()).rejects.toMatchObject({ code: 'bad_response' });
    const down = new SyncApi('https://s.example', 't', 'w', async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(down.status()).rejects.toMatchObject({ status: 0, code: 'network' });
  });

  it('lists every page of a time range with the cursor', async () => {
    const blob = (i: number): BlobInfo => ({
      blob_id: i.toString(16).padStart(32, '0'),
      blob_type: 'text',
      device_id: 'd',
      time_start: '2026-01-05T09:00:00.000Z',
      time_end: '2026-01-05T09:05:00.000Z',
      size_bytes: 1,
      checksum: '0'.repeat(64),
      key_id: '0'.repeat(32),
      download_url: `https://s.example/o/${i}`,
    });
    const { calls, fetchImpl } = recorder((call) => {
      const body = JSON.parse(String(call.init.body));
      return body.cursor === null || body.cursor === undefined
        ? json({ blobs: [blob(1), blob(2)], next_cursor: 'c1' })
        : json({ blobs: [blob(3)], next_cursor: null });
    });
    const api = new SyncApi('https://s.example', 't', 'w', fetchImpl);
    const range = { start: '2026-01-05T00:00:00.000Z', end: '2026-01-05T23:59:59.999Z' };
    const out = await listBlobs(api, range, { blob_types: ['text'] });
    expect(out.blobs.map((b) => b.download_url)).toEqual(['https://s.example/o/1', 'https://s.example/o/2', 'https://s.example/o/3']);
    expect(out.truncated).toBe(false);
    expect(JSON.parse(String(calls[1].init.body))).toMatchObject({ time_range: range, blob_types: ['text'], cursor: 'c1' });
    const capped = await listBlobs(api, range, {}, 2);
    expect(capped).toMatchObject({ truncated: true });
    expect(capped.blobs).toHaveLength(2);
  });

  it('stops on a cursor the server hands out twice (a loop)', async () => {
    let n = 0;
    const { calls, fetchImpl } = recorder(() => {
      n += 1;
      // c1, c2, c1, ...: an a-b-a cycle, not only the same cursor twice in a row.
      return json({ blobs: [], next_cursor: n % 2 === 1 ? 'c1' : 'c2' });
    });
    const api = new SyncApi('https://s.example', 't', 'w', fetchImpl);
    const range = { start: '2026-01-05T00:00:00.000Z', end: '2026-01-05T23:59:59.999Z' };
    await expect(listBlobs(api, range, {})).rejects.toMatchObject({ name: 'ApiError', code: 'invalid_response' });
    expect(calls).toHaveLength(3);
  });
});

describe('fetchBlob', () => {
  const blob: BlobInfo = {
    blob_id: '1'.repeat(32),
    blob_type: 'frames',
    device_id: 'd',
    time_start: '2026-01-05T09:00:00.000Z',
    time_end: '2026-01-05T09:05:00.000Z',
    size_bytes: 3,
    checksum: '0'.repeat(64),
    key_id: '0'.repeat(32),
    download_url: 'https://s.example/old',
  };

  it('asks for a fresh signed URL once when the old one expired', async () => {
    const { calls, fetchImpl } = recorder((call) =>
      call.url === 'https://s.example/old'
        ? json({ error: 'the URL has expired', code: 'URL_EXPIRED' }, 403)
        : call.url.endsWith('/api/sync/download')
          ? json({ blobs: [{ ...blob, download_url: 'https://s.example/new' }], next_cursor: null })
          : new Response(new Uint8Array([7, 8, 9])),
    );
    const api = new SyncApi('https://s.example', 't', 'w', fetchImpl);
    const copy = { ...blob };
    const response = await fetchBlob(api, copy);
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(new Uint8Array([7, 8, 9]));
    expect(calls.map((c) => c.url)).toEqual(['https://s.example/old', 'https://s.example/api/sync/download', 'https://s.example/new']);
    expect(JSON.parse(String(calls[1].init.body))).toEqual({ blob_ids: [blob.blob_id] });
    expect(copy.download_url).toBe('https://s.example/new');
  });

  it('does not retry other failures', async () => {
    const { calls, fetchImpl } = recorder(() => json({ error: 'gone', code: 'NOT_FOUND' }, 404));
    await expect(fetchBlob(new SyncApi('https://s.example', 't', 'w', fetchImpl), { ...blob })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(calls).toHaveLength(1);
  });
});

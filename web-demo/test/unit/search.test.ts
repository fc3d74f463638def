// The search pipeline with real cryptography (the Node build of the wasm package) and a fake
// server: tokens go out, candidates come back, the page decrypts them and drops false matches.
import { describe, expect, it } from 'vitest';
import { terms, type Keys } from '@screenpipe/sync-wasm';
import type { BlobInfo, SearchMatch, SyncApi } from '../../src/api';
import { EmptyQueryError, SearchRun } from '../../src/search';
import { account, bundle, context, frame, ocr, transcript } from './helpers';

const DAY = { start: Date.parse('2026-01-05T00:00:00Z'), end: Date.parse('2026-01-05T23:59:59.999Z') };

function blobInfo(id: string, start: string, end: string): BlobInfo {
  return { ...context(id, 'text', start, end), size_bytes: 0, checksum: '0'.repeat(64), key_id: '0'.repeat(32), download_url: `mem://${id}` };
}

function fakeServer(keys: Keys, blobs: { info: BlobInfo; plain: Uint8Array; tamper?: boolean }[]) {
  const objects = new Map<string, Uint8Array>();
  for (const b of blobs) {
    const sealed = keys.encryptBlob(b.plain, b.info);
    if (b.tamper) sealed[sealed.length - 20] ^= 1;
    objects.set(b.info.download_url, sealed);
    b.info.size_bytes = sealed.length;
  }
  const requests: unknown[] = [];
  const api: Pick<SyncApi, 'search' | 'download' | 'fetchObject'> = {
    async search(request) {
      requests.push(request);
      const matches: SearchMatch[] = blobs.map((b) => ({ ...b.info, match_count: 1 }));
      return { matches, total_matches: matches.length };
    },
    async download(request) {
      requests.push(request);
      return { blobs: blobs.filter((b) => request.blob_ids?.includes(b.info.blob_id)).map((b) => b.info), next_cursor: null };
    },
    async fetchObject(url) {
      return new Response(objects.get(url)! as Uint8Array<ArrayBuffer>);
    },
  };
  return { api, requests };
}

function setup() {
  const { keys } = account();
  const A = blobInfo('a'.repeat(32), '2026-01-05T09:00:00.000Z', '2026-01-05T09:05:00.000Z');
  const B = blobInfo('b'.repeat(32), '2026-01-05T10:00:00.000Z', '2026-01-05T10:05:00.000Z');
  const C = blobInfo('c'.repeat(32), '2026-01-05T11:00:00.000Z', '2026-01-05T11:05:00.000Z');
  const T = blobInfo('d'.repeat(32), '2026-01-05T12:00:00.000Z', '2026-01-05T12:05:00.000Z');
  const server = fakeServer(keys, [
    // A: one frame holds both words (a hit), another only one (not a hit).
    {
      info: A,
      plain: bundle({
        time_start: A.time_start,
        time_end: A.time_end,
        frames: [frame(1, '2026-01-05T09:01:00.000+00:00', 'Arc', 'Planning'), frame(2, '2026-01-05T09:02:00.000+00:00', 'Arc', 'Mail')],
        ocr_text: [ocr(1, 1, 'The QUARTERLY budget review is on thursday'), ocr(2, 2, 'quarterly numbers only')],
      }),
    },
    // B: each word in a different record: a false match, dropped.
    {
      info: B,
      plain: bundle({
        time_start: B.time_start,
        time_end: B.time_end,
        frames: [frame(3, '2026-01-05T10:01:00.000+00:00', 'Arc', 'Quarterly')],
        ocr_text: [ocr(3, 3, 'nothing here')],
        audio_transcriptions: [transcript(4, 9, '2026-01-05T10:02:00.000+00:00', 'the budget is fine')],
      }),
    },
    // C: both words in a transcript, and in a frame outside the time range.
    {
      info: C,
      plain: bundle({
        time_start: C.time_start,
        time_end: C.time_end,
        frames: [frame(5, '2026-01-06T00:00:01.000+00:00', 'Arc', 'Later')],
        ocr_text: [ocr(5, 5, 'quarterly budget tomorrow')],
        audio_transcriptions: [transcript(6, 9, '2026-01-05T11:00:30.000+00:00', "let's move the budget review, quarterly")],
      }),
    },
    // T: tampered on the server.
    { info: T, plain: bundle({ time_start: T.time_start, time_end: T.time_end, ocr_text: [] }), tamper: true },
  ]);
  return { keys, server };
}

describe('SearchRun', () => {
  it('sends only tokens, keeps the records holding every word, drops false matches', async () => {
    const { keys, server } = setup();
    const run = new SearchRun({ api: server.api, keys, terms }, 'Quarterly  budget', DAY.start, DAY.end);
    await run.start();
    expect(run.queryTerms).toEqual(['quarterly', 'budget']);
    // The request: the tokens of both words for January 2026 under the one key, nothing else.
    const searchRequest = server.requests[0] as { search_tokens: string[]; time_range: unknown; blob_types: string[] };
    expect(searchRequest.search_tokens).toEqual(keys.queryTokens('Quarterly  budget', DAY.start, DAY.end));
    expect(searchRequest.search_tokens).toHaveLength(2);
    expect(searchRequest.time_range).toEqual({ start: '2026-01-05T00:00:00.000Z', end: '2026-01-05T23:59:59.999Z' });
    expect(searchRequest.blob_types).toEqual(['text']);
    expect(JSON.stringify(server.requests).toLowerCase()).not.toMatch(/quarterly|budget/);

    expect(run.opened).toBe(4);
    expect(run.hits.map((h) => [h.blob.blob_id[0], h.record.kind, h.record.rowId])).toEqual([
      ['c', 'transcript', 6],
      ['a', 'frame', 1],
    ]);
    expect(run.falseMatches).toBe(1);
    expect(run.failures).toEqual([{ blobId: 'd'.repeat(32), code: 'tampered', message: expect.any(String) }]);
    expect(run.remaining).toBe(0);
    keys.free();
  });

  it('opens candidates in batches, with progress', async () => {
    const { keys, server } = setup();
    const run = new SearchRun({ api: server.api, keys, terms }, 'budget', DAY.start, DAY.end);
    const progress: number[] = [];
    await run.start((p) => progress.push(p.opened));
    expect(progress).toEqual([0, 1, 2, 3, 4]);
    const partial = new SearchRun({ api: server.api, keys, terms }, 'budget', DAY.start, DAY.end);
    partial.queryTerms = ['budget'];
    partial.candidates = (await server.api.search({ search_tokens: [] })).matches;
    await partial.more(2);
    expect([partial.opened, partial.remaining]).toEqual([2, 2]);
    await partial.more(2);
    expect([partial.opened, partial.remaining]).toEqual([4, 0]);
    expect(partial.hits.map((h) => h.blob.blob_id[0])).toEqual(['c', 'b', 'a']);
    keys.free();
  });

  it('refuses a query without a searchable word before asking the server', async () => {
    const { keys, server } = setup();
    const run = new SearchRun({ api: server.api, keys, terms }, ' a . ', DAY.start, DAY.end);
    await expect(run.start()).rejects.toBeInstanceOf(EmptyQueryError);
    expect(server.requests).toHaveLength(0);
    keys.free();
  });

  it('reports too many tokens for a long range as the core says (too_large)', async () => {
    const { keys, server } = setup();
    const words = Array.from({ length: 30 }, (_, i) => `word${i}x`).join(' ');
    const run = new SearchRun({ api: server.api, keys, terms }, words, Date.parse('2000-01-01T00:00:00Z'), Date.parse('2026-01-01T00:00:00Z'));
    await expect(run.start()).rejects.toMatchObject({ code: 'too_large' });
    keys.free();
  });
});

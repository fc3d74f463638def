// Cloud search in the page (docs/FORMAT.md, "Search tokens"): the query's tokens are computed here under every
// key of the keyring for every month of the range, the server answers with candidate `text`
// blobs, the page downloads and decrypts them and keeps only the records holding every term of
// the query (the server's candidates include false matches: other terms' tokens, other
// records of the same blob, other days of the same month).

import type { RecordsBundle } from '@screenpipe/sync-wasm';
import { fetchBlob, type BlobInfo, type SearchMatch, type SyncApi } from './api';
import { toWireTime } from './format';
import { allRecords, bundleView, searchableTexts, type RecordView } from './records';

type MaybePromise<T> = T | Promise<T>;

export interface SearchKeys {
  queryTokens(text: string, startMs: number, endMs: number): MaybePromise<string[]>;
  openRecords(blob: Uint8Array, context: BlobInfo): MaybePromise<RecordsBundle>;
}

export interface SearchDeps {
  api: Pick<SyncApi, 'search' | 'download' | 'fetchObject'>;
  keys: SearchKeys;
  terms(text: string): MaybePromise<string[]>;
}

export interface Hit {
  record: RecordView;
  blob: BlobInfo;
}

export interface BlobFailure {
  blobId: string;
  message: string;
  code: string;
}

export interface SearchProgress {
  opened: number;
  toOpen: number;
}

/** How many candidate blobs one round decrypts. */
export const BATCH = 25;
/** How many candidates the server is asked for. */
export const CANDIDATE_LIMIT = 500;

export class EmptyQueryError extends Error {
  constructor() {
    super('type at least one word of two letters or more (or one Chinese, Japanese or Thai character)');
    this.name = 'EmptyQueryError';
  }
}

export class SearchRun {
  readonly query: string;
  readonly startMs: number;
  readonly endMs: number;
  queryTerms: string[] = [];
  tokenCount = 0;
  candidates: SearchMatch[] = [];
  totalMatches = 0;
  /** Candidates decrypted so far (in the server's order: most matching tokens first). */
  opened = 0;
  /** Candidates that held no record with every term. */
  falseMatches = 0;
  failures: BlobFailure[] = [];
  hits: Hit[] = [];
  private readonly deps: SearchDeps;

  constructor(deps: SearchDeps, query: string, startMs: number, endMs: number) {
    this.deps = deps;
    this.query = query;
    this.startMs = startMs;
    this.endMs = endMs;
  }

  get remaining(): number {
    return this.candidates.length - this.opened;
  }

  /** Asks the server for candidates, then opens the first batch. */
  async start(onProgress?: (p: SearchProgress) => void): Promise<void> {
    this.queryTerms = await this.deps.terms(this.query);
    if (this.queryTerms.length === 0) throw new EmptyQueryError();
    const tokens = await this.deps.keys.queryTokens(this.query, this.startMs, this.endMs);
    this.tokenCount = tokens.length;
    const answer = await this.deps.api.search({
      search_tokens: tokens,
      time_range: { start: toWireTime(this.startMs), end: toWireTime(this.endMs) },
      blob_types: ['text'],
      limit: CANDIDATE_LIMIT,
    });
    this.candidates = answer.matches.filter((m) => m.blob_type === 'text');
    this.totalMatches = answer.total_matches;
    await this.more(BATCH, onProgress);
  }

  /** Opens the next `n` candidates. */
  async more(n = BATCH, onProgress?: (p: SearchProgress) => void): Promise<void> {
    const batch = this.candidates.slice(this.opened, this.opened + n);
    if (batch.length === 0) return;
    onProgress?.({ opened: 0, toOpen: batch.length });
    const { blobs } = await this.deps.api.download({ blob_ids: batch.map((m) => m.blob_id) });
    const byId = new Map(blobs.map((b) => [b.blob_id, b]));
    const newHits: Hit[] = [];
    let done = 0;
    for (const match of batch) {
      const blob = byId.get(match.blob_id);
      try {
        if (blob === undefined) throw Object.assign(new Error('the server did not list this blob'), { code: 'missing' });
        const response = await fetchBlob(this.deps.api, blob);
        const bytes = new Uint8Array(await response.arrayBuffer());
        const bundle = await this.deps.keys.openRecords(bytes, blob);
        const hits = await this.matchingRecords(bundle);
        if (hits.length === 0) this.falseMatches += 1;
        for (const record of hits) newHits.push({ record, blob });
      } catch (e) {
        const error = e as { message?: string; code?: string };
        this.failures.push({ blobId: match.blob_id, message: error.message ?? String(e), code: error.code ?? 'error' });
      }
      done += 1;
      this.opened += 1;
      onProgress?.({ opened: done, toOpen: batch.length });
    }
    this.hits.push(...newHits);
    this.hits.sort((a, b) => (b.record.time ?? 0) - (a.record.time ?? 0));
  }

  /** The records of a bundle in the time range that hold every term of the query. */
  async matchingRecords(bundle: RecordsBundle): Promise<RecordView[]> {
    const out: RecordView[] = [];
    for (const record of allRecords(bundleView(bundle))) {
      if (record.time === null || record.time < this.startMs || record.time > this.endMs) continue;
      const texts = searchableTexts(record);
      if (texts.length === 0) continue;
      // Terms of texts joined by line breaks are the union of each text's terms: a line break
      // ends every word (UAX #29 WB3a/b), every Han/Hiragana/Thai run and every case context.
      const recordTerms = new Set(await this.deps.terms(texts.join('\n')));
      if (this.queryTerms.every((t) => recordTerms.has(t))) out.push(record);
    }
    return out;
  }
}

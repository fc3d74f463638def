// The search form and its hits (the pipeline is ./search.ts).

import type { Ctx } from './context';
import { deviceLabel } from './context';
import type { Detail } from './detail';
import { byId, clear, h, marked } from './dom';
import { dayRange, formatTime, localDay, parseStoredTime } from './format';
import { highlight, snippet } from './highlight';
import { searchableTexts } from './records';
import { EmptyQueryError, SearchRun, type Hit } from './search';

const KIND_LABELS = { frame: 'Screen', transcript: 'Audio', accessibility: 'Accessibility', ui: 'UI event', memory: 'Memory', meeting: 'Meeting' } as const;

export class SearchView {
  private readonly form = byId<HTMLFormElement>('search-form');
  private readonly q = byId<HTMLInputElement>('q');
  private readonly from = byId<HTMLInputElement>('sq-from');
  private readonly to = byId<HTMLInputElement>('sq-to');
  private readonly status = byId('search-status');
  private readonly results = byId<HTMLOListElement>('search-results');
  private readonly more = byId<HTMLButtonElement>('search-more');
  private readonly progress = byId('search-progress');
  private readonly bar = byId<HTMLProgressElement>('search-bar');
  private ctx: Ctx | null = null;
  private run: SearchRun | null = null;
  private busy = false;
  private readonly detail: Detail;

  constructor(detail: Detail) {
    this.detail = detail;
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.search();
    });
    this.more.addEventListener('click', () => void this.continue());
  }

  start(ctx: Ctx): void {
    this.ctx = ctx;
    const oldest = parseStoredTime(ctx.status?.stats.oldest_data ?? null);
    const newest = parseStoredTime(ctx.status?.stats.newest_data ?? null);
    const today = Date.now();
    this.to.value = localDay(Math.max(newest ?? today, today));
    this.from.value = localDay(oldest ?? today - 30 * 86_400_000);
  }

  wipe(): void {
    this.ctx = null;
    this.run = null;
    this.q.value = '';
    clear(this.results);
    this.status.textContent = '';
    this.more.hidden = true;
    this.progress.hidden = true;
  }

  private setBusy(busy: boolean): void {
    this.busy = busy;
    this.form.querySelector('button[type="submit"]')?.toggleAttribute('disabled', busy);
    this.more.disabled = busy;
    this.progress.hidden = !busy;
    this.results.toggleAttribute('aria-busy', busy);
  }

  async search(): Promise<void> {
    const ctx = this.ctx;
    if (ctx === null || this.busy) return;
    let range: { startMs: number; endMs: number };
    try {
      range = dayRange(this.from.value, this.to.value);
    } catch {
      this.status.textContent = 'Choose a valid time range (From, then To).';
      return;
    }
    if (this.q.value.trim() === '') {
      this.status.textContent = 'Type what to search for.';
      this.q.focus();
      return;
    }
    const run = new SearchRun(
      { api: ctx.api, keys: ctx.keys, terms: (text) => ctx.worker.terms(text) },
      this.q.value,
      range.startMs,
      range.endMs,
    );
    this.run = run;
    clear(this.results);
    this.more.hidden = true;
    this.status.textContent = 'Searching…';
    this.setBusy(true);
    try {
      await run.start((p) => this.onProgress(p.opened, p.toOpen));
      if (this.run !== run || !ctx.alive()) return;
      this.renderNew(ctx, run);
    } catch (e) {
      if (this.run !== run || !ctx.alive() || ctx.fatal(e)) return;
      const error = e as { code?: string; message?: string };
      this.status.textContent =
        e instanceof EmptyQueryError
          ? `Nothing to search for: ${e.message}.`
          : error.code === 'too_large'
            ? 'The time range spans too many months for this query: narrow it.'
            : `Search failed: ${error.message ?? String(e)}`;
    } finally {
      if (this.run === run) this.setBusy(false);
    }
  }

  private async continue(): Promise<void> {
    const ctx = this.ctx;
    const run = this.run;
    if (ctx === null || run === null || this.busy) return;
    this.setBusy(true);
    try {
      await run.more(undefined, (p) => this.onProgress(p.opened, p.toOpen));
      if (this.run !== run || !ctx.alive()) return;
      this.renderNew(ctx, run);
    } catch (e) {
      if (!ctx.alive() || ctx.fatal(e)) return;
      this.status.textContent = `Search failed: ${(e as Error).message}`;
    } finally {
      if (this.run === run) this.setBusy(false);
    }
  }

  private onProgress(opened: number, toOpen: number): void {
    this.bar.max = Math.max(toOpen, 1);
    this.bar.value = opened;
    this.status.textContent = `Decrypting candidates: ${opened} of ${toOpen}…`;
  }

  private renderNew(ctx: Ctx, run: SearchRun): void {
    // Hits are kept sorted newest first; re-render the list when a later batch adds older or newer ones.
    clear(this.results);
    for (const hit of run.hits) this.results.append(this.hitItem(ctx, run, hit));
    const parts = [
      `${run.hits.length} ${run.hits.length === 1 ? 'hit' : 'hits'} for “${run.queryTerms.join(' ')}”`,
      `${run.opened} of ${run.candidates.length} candidate blobs decrypted`,
    ];
    if (run.falseMatches > 0) parts.push(`${run.falseMatches} held no record with every word`);
    if (run.failures.length > 0) parts.push(`${run.failures.length} could not be opened (${[...new Set(run.failures.map((f) => f.code))].join(', ')})`);
    if (run.totalMatches > run.candidates.length) parts.push(`the server listed the first ${run.candidates.length} of ${run.totalMatches}`);
    this.status.textContent = parts.join('; ') + '.';
    this.more.hidden = run.remaining === 0;
    if (!this.more.hidden) this.more.textContent = `Decrypt more candidates (${run.remaining} left)`;
  }

  private hitItem(ctx: Ctx, run: SearchRun, hit: Hit): HTMLElement {
    const r = hit.record;
    const when = r.time === null ? r.stored : formatTime(r.time);
    const where =
      r.kind === 'transcript'
        ? [r.device, r.isInput === null ? null : r.isInput ? 'input' : 'output'].filter(Boolean).join(' · ')
        : r.kind === 'memory'
          ? (r.source ?? '')
          : r.kind === 'meeting'
            ? [r.app, r.attendees].filter(Boolean).join(' — ')
            : [r.app, r.window].filter(Boolean).join(' — ');
    const texts = searchableTexts(r);
    // The text to quote: the first that holds a hit, else the main text.
    const main =
      r.kind === 'frame'
        ? r.ocr.map((o) => o.text).join('\n')
        : r.kind === 'meeting'
          ? [r.title, r.note].filter(Boolean).join('\n')
          : r.text;
    const quoted = [main, ...texts].find((t) => t && highlight(t, run.queryTerms).some((s) => s.hit)) ?? main ?? '';
    const shot = r.kind === 'frame' && r.snapshot !== null ? this.hitShot(ctx, r.snapshot, when) : null;
    const moment = r.time === null ? null : h('button', { type: 'button', class: 'small' }, 'Show in the day view');
    if (moment !== null && r.time !== null) {
      const ms = r.time;
      moment.setAttribute('aria-label', `Show the moment of the ${KIND_LABELS[r.kind].toLowerCase()} hit at ${when} in the day view`);
      moment.addEventListener('click', () => ctx.showMoment(hit.blob.device_id, ms));
    }
    const open = h('button', { type: 'button', class: 'secondary small' }, 'Open blob');
    open.setAttribute('aria-label', `Open the blob of the ${KIND_LABELS[r.kind].toLowerCase()} hit at ${when}`);
    open.addEventListener('click', () => {
      this.detail.setHighlight(run.queryTerms);
      ctx.openBlob(hit.blob, open, r.kind === 'frame' ? r.rowId : undefined);
    });
    return h(
      'li',
      { class: `hit hit-${r.kind}${shot === null ? '' : ' has-shot'}` },
      shot,
      h('p', { class: 'hit-head' }, h('time', {}, when), ' · ', KIND_LABELS[r.kind], ' · ', marked(highlight(where, run.queryTerms)), ' ', h('span', { class: 'muted' }, `(${deviceLabel(ctx, hit.blob.device_id)})`)),
      h('p', { class: 'snippet' }, marked(snippet(quoted, run.queryTerms))),
      r.kind === 'frame' && r.url ? h('p', { class: 'url small' }, marked(highlight(r.url, run.queryTerms))) : null,
      h('p', { class: 'buttons' }, moment, ' ', open),
    );
  }

  /** A frame hit's screenshot, decrypted when it scrolls into view (bounded cache: ctx.images). */
  private hitShot(ctx: Ctx, snapshot: { blobId: string; entry: string }, when: string): HTMLElement {
    const img = h('img', { alt: `Screenshot at ${when}`, hidden: true });
    const figure = h('figure', { class: 'hit-shot', 'data-entry': snapshot.entry }, img);
    const load = () => {
      ctx.images.url(snapshot.blobId, snapshot.entry).then(
        (url) => {
          if (!ctx.alive()) return;
          img.src = url;
          img.hidden = false;
        },
        () => figure.append(h('figcaption', { class: 'hint small' }, 'Screenshot unavailable.')),
      );
    };
    if (typeof IntersectionObserver === 'function') {
      const seen = new IntersectionObserver((entries) => {
        if (entries.some((e) => e.isIntersecting)) {
          seen.disconnect();
          load();
        }
      });
      seen.observe(figure);
    } else {
      load();
    }
    return figure;
  }
}

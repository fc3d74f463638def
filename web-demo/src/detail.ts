// The detail panel: a `text` blob's frames (time, app, window, URL, screen text, and the
// snapshot beside it), transcripts, accessibility text, UI events, memories and meetings; or a
// `frames`/`audio` blob decrypted while it streams, then played (a `frames` blob holding a media
// pack of snapshots is shown as its images).

import type { PackEntry } from '@screenpipe/sync-wasm';
import { fetchBlob, type BlobInfo } from './api';
import { deviceLabel, type Ctx } from './context';
import { byId, clear, h, marked } from './dom';
import { formatBytes, formatClock, formatRange, parseStoredTime, TYPE_LABELS } from './format';
import { highlight } from './highlight';
import { decryptStream, mediaFileName, mediaType } from './media';
import { bundleView, type FrameView, type MeetingView, type MemoryView, type TranscriptView } from './records';
import { Snapshots } from './snapshots';

const PAGE = 60;

export class Detail {
  private readonly panel = byId('detail');
  private readonly title = byId('detail-title');
  private readonly body = byId('detail-body');
  private returnFocus: HTMLElement | null = null;
  private abort: AbortController | null = null;
  private urls: string[] = [];
  private snapshots: Snapshots | null = null;
  private terms: string[] = [];

  constructor() {
    byId('detail-close').addEventListener('click', () => this.close());
    this.panel.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') this.close();
    });
  }

  /** Words to highlight in the next text blob shown (from a search). */
  setHighlight(terms: string[]): void {
    this.terms = terms;
  }

  private begin(title: string, from: HTMLElement | null | undefined): void {
    this.reset();
    this.returnFocus = from ?? (document.activeElement as HTMLElement | null);
    this.title.textContent = title;
    this.panel.hidden = false;
    this.title.focus();
    this.panel.scrollIntoView?.({ block: 'start' });
  }

  private reset(): void {
    this.abort?.abort();
    this.abort = null;
    this.snapshots?.close();
    this.snapshots = null;
    for (const url of this.urls) URL.revokeObjectURL(url);
    this.urls = [];
    clear(this.body);
  }

  close(): void {
    this.reset();
    this.terms = [];
    this.panel.hidden = true;
    this.title.textContent = '';
    const back = this.returnFocus;
    this.returnFocus = null;
    if (back?.isConnected) back.focus();
  }

  /** Forgets everything shown (at lock). */
  wipe(): void {
    this.returnFocus = null;
    this.close();
  }

  open(ctx: Ctx, blob: BlobInfo, from?: HTMLElement | null, focusRowId?: number): void {
    if (blob.blob_type === 'text') void this.showText(ctx, blob, from, focusRowId);
    else void this.showMedia(ctx, blob, from);
  }

  private heading(ctx: Ctx, blob: BlobInfo): string {
    const start = parseStoredTime(blob.time_start) ?? 0;
    const end = parseStoredTime(blob.time_end) ?? 0;
    return `${TYPE_LABELS[blob.blob_type]} · ${deviceLabel(ctx, blob.device_id)} · ${formatRange(start, end)}`;
  }

  async showText(ctx: Ctx, blob: BlobInfo, from?: HTMLElement | null, focusRowId?: number): Promise<void> {
    this.begin(this.heading(ctx, blob), from);
    const abort = (this.abort = new AbortController());
    const line = h('p', { class: 'status-line', role: 'status' }, `Downloading and decrypting ${formatBytes(blob.size_bytes)}…`);
    this.body.append(line);
    try {
      const response = await fetchBlob(ctx.api, blob, abort.signal);
      const bytes = new Uint8Array(await response.arrayBuffer());
      const bundle = await ctx.keys.openRecords(bytes, blob);
      if (!ctx.alive() || abort.signal.aborted) return;
      const view = bundleView(bundle);
      this.snapshots = new Snapshots(ctx, abort.signal);
      const n = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;
      line.textContent = `${n(view.frames.length, 'frame', 'frames')}, ${n(view.transcripts.length, 'transcript', 'transcripts')}, ${n(view.accessibility.length, 'accessibility text', 'accessibility texts')}, ${n(view.uiEvents.length, 'UI event', 'UI events')}, ${n(view.memories.length, 'memory', 'memories')}, ${n(view.meetings.length, 'meeting', 'meetings')}. Decrypted in this page.`;
      this.body.append(
        this.framesSection(ctx, view.frames, focusRowId),
        this.transcriptsSection(ctx, view.transcripts),
        this.meetingsSection(view.meetings),
        this.memoriesSection(view.memories),
        this.otherSection(
          'Accessibility text',
          view.accessibility.map((a) => ({ time: a.time, head: [a.app, a.window].filter(Boolean).join(' — '), text: a.text, url: a.url })),
        ),
        this.otherSection(
          'UI events',
          view.uiEvents.map((u) => ({
            time: u.time,
            head: [u.eventType, u.app, u.window].filter(Boolean).join(' · '),
            text: u.text,
            url: u.url,
          })),
        ),
      );
      if (focusRowId !== undefined) {
        const target = this.body.querySelector<HTMLElement>(`[data-row="${focusRowId}"]`);
        target?.scrollIntoView?.({ block: 'center' });
        target?.classList.add('focus-target');
      }
    } catch (e) {
      if (abort.signal.aborted || !ctx.alive() || ctx.fatal(e)) return;
      line.textContent = '';
      this.body.append(h('p', { class: 'error', role: 'alert' }, `Cannot open this blob: ${describe(e)}`));
    }
  }

  private text(text: string): Node {
    return this.terms.length > 0 ? marked(highlight(text, this.terms)) : document.createTextNode(text);
  }

  private framesSection(ctx: Ctx, frames: FrameView[], focusRowId?: number): HTMLElement {
    const list = h('ol', { class: 'records' });
    const section = h('section', { class: 'records-section', 'aria-labelledby': 'detail-frames' }, h('h3', { id: 'detail-frames' }, `Screen (${frames.length} frames)`), list);
    if (frames.length === 0) {
      list.append(h('li', { class: 'empty' }, 'No frames in this blob.'));
      return section;
    }
    let shown = 0;
    const more = h('button', { type: 'button', class: 'secondary' }, 'Show more frames');
    const showMore = () => {
      let until = Math.min(frames.length, shown + PAGE);
      if (focusRowId !== undefined) {
        const index = frames.findIndex((f) => f.rowId === focusRowId);
        if (index >= until) until = index + 1;
      }
      const first = shown;
      for (const f of frames.slice(shown, until)) list.append(this.frameItem(ctx, f));
      shown = until;
      if (shown >= frames.length) more.remove();
      else more.textContent = `Show more frames (${frames.length - shown} left)`;
      if (first > 0) (list.children[first]?.querySelector('h4') as HTMLElement | null)?.focus();
    };
    more.addEventListener('click', showMore);
    showMore();
    if (shown < frames.length) section.append(more);
    return section;
  }

  private frameItem(ctx: Ctx, f: FrameView): HTMLElement {
    const when = f.time === null ? f.stored : formatClock(f.time);
    const item = h(
      'li',
      { class: 'record frame', 'data-row': f.rowId },
      h('h4', { tabindex: -1 }, h('time', { datetime: f.time === null ? null : new Date(f.time).toISOString() }, when), ' ', this.text(f.app ?? 'unknown app')),
    );
    const meta = h('dl', { class: 'meta' });
    if (f.window) meta.append(h('dt', {}, 'Window'), h('dd', {}, this.text(f.window)));
    if (f.url) meta.append(h('dt', {}, 'URL'), h('dd', { class: 'url' }, this.text(f.url)));
    if (f.monitor) meta.append(h('dt', {}, 'Monitor'), h('dd', {}, f.monitor + (f.focused ? ' (focused)' : '')));
    item.append(meta);
    if (f.snapshot !== null) {
      item.classList.add('has-snapshot');
      item.append(this.snapshotFigure(f.snapshot, when));
    }
    for (const o of f.ocr) {
      const differs = (o.app && o.app !== f.app) || (o.window && o.window !== f.window);
      item.append(
        h(
          'div',
          { class: 'ocr' },
          differs ? h('p', { class: 'ocr-src' }, `Text of ${[o.app, o.window].filter(Boolean).join(' — ')}`) : null,
          h('p', { class: 'ocr-text' }, this.text(o.text)),
        ),
      );
    }
    if (f.videoBlobId !== null) {
      const id = f.videoBlobId;
      const button = h('button', { type: 'button', class: 'secondary small' }, 'Play video');
      button.setAttribute('aria-label', `Play the video of the frame at ${when}`);
      button.addEventListener('click', () => void ctx.openBlobById(id, button));
      item.append(button);
    }
    return item;
  }

  /** The frame's snapshot, decrypted from its pack and shown from an object URL. */
  private snapshotFigure(snapshot: NonNullable<FrameView['snapshot']>, when: string): HTMLElement {
    const img = h('img', { class: 'snapshot-image', alt: `Snapshot of the screen at ${when}`, hidden: true });
    const caption = h('figcaption', { class: 'hint' }, 'Decrypting the snapshot…');
    const figure = h('figure', { class: 'snapshot', 'data-entry': snapshot.entry }, img, caption);
    const snapshots = this.snapshots;
    if (snapshots === null) return figure;
    snapshots.url(snapshot.blobId, snapshot.entry).then(
      (url) => {
        img.addEventListener('load', () => (caption.textContent = 'Snapshot'), { once: true });
        img.addEventListener('error', () => (caption.textContent = 'This browser cannot show this snapshot.'), { once: true });
        img.setAttribute('src', url);
        img.hidden = false;
      },
      (e: unknown) => {
        if ((e as { name?: string })?.name === 'AbortError') return;
        caption.textContent = `Cannot show the snapshot: ${describe(e)}`;
        caption.classList.add('warning');
      },
    );
    return figure;
  }

  /** A snapshot pack's images in time order, PAGE at a time. */
  private packSection(blobId: string, entries: PackEntry[]): HTMLElement {
    const list = h('ol', { class: 'snapshot-grid' });
    const section = h('section', { class: 'records-section', 'aria-labelledby': 'detail-snapshots' }, h('h3', { id: 'detail-snapshots' }, `Snapshots (${entries.length})`), list);
    let shown = 0;
    const more = h('button', { type: 'button', class: 'secondary' }, 'Show more snapshots');
    const showMore = () => {
      const until = Math.min(entries.length, shown + PAGE);
      for (const e of entries.slice(shown, until)) {
        const ms = parseStoredTime(e.time);
        const when = ms === null ? e.time : formatClock(ms);
        list.append(h('li', {}, this.snapshotFigure({ blobId, entry: e.name }, when)));
      }
      shown = until;
      if (shown >= entries.length) more.remove();
      else more.textContent = `Show more snapshots (${entries.length - shown} left)`;
    };
    more.addEventListener('click', showMore);
    showMore();
    if (shown < entries.length) section.append(more);
    return section;
  }

  private meetingsSection(meetings: MeetingView[]): HTMLElement {
    const list = h('ol', { class: 'records' });
    if (meetings.length === 0) list.append(h('li', { class: 'empty' }, 'No meetings in this blob.'));
    for (const m of meetings) {
      const when = m.time === null ? m.stored : formatClock(m.time);
      const until = m.end === null ? '' : `–${formatClock(m.end)}`;
      list.append(
        h(
          'li',
          { class: 'record meeting', 'data-row': `m${m.rowId}` },
          h('h4', {}, h('time', { datetime: m.time === null ? null : new Date(m.time).toISOString() }, when + until), ' ', this.text(m.title ?? 'Meeting')),
          m.app || m.attendees ? h('p', { class: 'record-head' }, this.text([m.app, m.attendees].filter(Boolean).join(' · '))) : null,
          m.note ? h('p', { class: 'meeting-note' }, this.text(m.note)) : null,
        ),
      );
    }
    return h('section', { class: 'records-section', 'aria-labelledby': 'detail-meetings' }, h('h3', { id: 'detail-meetings' }, `Meetings (${meetings.length})`), list);
  }

  private memoriesSection(memories: MemoryView[]): HTMLElement {
    const list = h('ol', { class: 'records' });
    if (memories.length === 0) list.append(h('li', { class: 'empty' }, 'No memories in this blob.'));
    for (const m of memories) {
      const when = m.time === null ? m.stored : formatClock(m.time);
      list.append(
        h(
          'li',
          { class: 'record memory', 'data-row': `n${m.rowId}` },
          h('h4', {}, h('time', { datetime: m.time === null ? null : new Date(m.time).toISOString() }, when), ' ', m.source ?? 'memory'),
          h('p', { class: 'memory-text' }, this.text(m.text)),
          m.tags.length > 0 ? h('p', { class: 'tags' }, this.text(m.tags.join(', '))) : null,
        ),
      );
    }
    return h('section', { class: 'records-section', 'aria-labelledby': 'detail-memories' }, h('h3', { id: 'detail-memories' }, `Memories (${memories.length})`), list);
  }

  private transcriptsSection(ctx: Ctx, transcripts: TranscriptView[]): HTMLElement {
    const list = h('ol', { class: 'records' });
    if (transcripts.length === 0) list.append(h('li', { class: 'empty' }, 'No transcripts in this blob.'));
    for (const t of transcripts) {
      const when = t.time === null ? t.stored : formatClock(t.time);
      const who = [t.device, t.isInput === null ? null : t.isInput ? 'input' : 'output', t.speaker === null ? null : `speaker ${t.speaker}`]
        .filter(Boolean)
        .join(' · ');
      const item = h(
        'li',
        { class: 'record transcript', 'data-row': `t${t.rowId}` },
        h('h4', {}, h('time', { datetime: t.time === null ? null : new Date(t.time).toISOString() }, when), ' ', who),
        h('p', { class: 'transcript-text' }, this.text(t.text)),
      );
      if (t.audioBlobId !== null) {
        const id = t.audioBlobId;
        const button = h('button', { type: 'button', class: 'secondary small' }, 'Play audio');
        button.setAttribute('aria-label', `Play the audio of the transcript at ${when}`);
        button.addEventListener('click', () => void ctx.openBlobById(id, button));
        item.append(button);
      }
      list.append(item);
    }
    return h('section', { class: 'records-section', 'aria-labelledby': 'detail-transcripts' }, h('h3', { id: 'detail-transcripts' }, `Transcripts (${transcripts.length})`), list);
  }

  private otherSection(title: string, rows: { time: number | null; head: string; text: string; url: string | null }[]): HTMLElement {
    const list = h('ol', { class: 'records compact' });
    for (const r of rows.slice(0, 500)) {
      list.append(
        h(
          'li',
          { class: 'record' },
          h('p', { class: 'record-head' }, r.time === null ? '' : formatClock(r.time), ' ', r.head),
          r.text ? h('p', {}, this.text(r.text)) : null,
          r.url ? h('p', { class: 'url' }, this.text(r.url)) : null,
        ),
      );
    }
    if (rows.length > 500) list.append(h('li', { class: 'empty' }, `${rows.length - 500} more not shown.`));
    return h('details', { class: 'records-section' }, h('summary', {}, `${title} (${rows.length})`), list);
  }

  async showMedia(ctx: Ctx, blob: BlobInfo, from?: HTMLElement | null): Promise<void> {
    this.begin(this.heading(ctx, blob), from);
    const abort = (this.abort = new AbortController());
    const bar = h('progress', { id: 'media-progress', max: Math.max(blob.size_bytes, 1), value: 0, 'aria-label': 'Download and decryption' });
    const text = h('span', { id: 'media-progress-text' }, 'Starting…');
    const progress = h('div', { class: 'progress-line', role: 'status', 'aria-live': 'polite' }, bar, text);
    this.body.append(progress);
    try {
      const response = await fetchBlob(ctx.api, blob, abort.signal);
      if (response.body === null) throw new Error('the download has no body');
      const decryptor = await ctx.keys.blobDecryptor(blob);
      let lastShown = -1;
      const parts = await decryptStream(response.body, decryptor, blob.size_bytes, ({ received, total }) => {
        if (abort.signal.aborted) throw new DOMException('closed', 'AbortError');
        const percent = total > 0 ? Math.floor((received / total) * 100) : 100;
        bar.value = received;
        if (percent !== lastShown) {
          lastShown = percent;
          text.textContent = `Downloading and decrypting: ${formatBytes(received)} of ${formatBytes(total)} (${percent}%)`;
        }
      });
      if (!ctx.alive() || abort.signal.aborted) return;
      const head = parts[0] ?? new Uint8Array();
      if (blob.blob_type === 'frames' && (await ctx.worker.isMediaPack(head.subarray(0, 4)))) {
        // screenpipe 0.4's snapshots: a media pack of JPEGs, not a video.
        const payload = new Uint8Array(await new Blob(parts as BlobPart[]).arrayBuffer());
        const pack = await ctx.worker.openMediaPack(payload);
        const snapshots = new Snapshots(ctx, abort.signal);
        snapshots.adopt(blob.blob_id, pack);
        if (!ctx.alive() || abort.signal.aborted) {
          snapshots.close();
          return;
        }
        this.snapshots = snapshots;
        bar.value = bar.max;
        text.textContent = `Decrypted and verified: ${pack.entries.length} snapshots, ${formatBytes(payload.length)}.`;
        this.body.append(this.packSection(blob.blob_id, pack.entries));
        return;
      }
      const mime = mediaType(blob.blob_type as 'frames' | 'audio', head.subarray(0, 16));
      const file = new Blob(parts as BlobPart[], { type: mime });
      const url = URL.createObjectURL(file);
      this.urls.push(url);
      ctx.trackUrl(url);
      bar.value = bar.max;
      text.textContent = `Decrypted and verified: ${formatBytes(file.size)}.`;
      const player =
        blob.blob_type === 'audio'
          ? h('audio', { id: 'media-player', controls: true, preload: 'metadata', src: url })
          : h('video', { id: 'media-player', controls: true, preload: 'metadata', playsinline: true, src: url });
      player.setAttribute('aria-label', blob.blob_type === 'audio' ? 'Audio chunk' : 'Screen recording chunk');
      const note = h('p', { class: 'hint', role: 'status' });
      player.addEventListener('loadedmetadata', () => {
        note.textContent = `Ready to play: ${Number.isFinite(player.duration) ? `${player.duration.toFixed(1)} s` : 'length unknown'}.`;
      });
      player.addEventListener('error', () => {
        note.textContent = `This browser cannot play this file (${player.error?.message || 'unsupported format or codec'}). Save it to play it in another program.`;
        note.classList.add('warning');
      });
      const save = h('a', { href: url, download: mediaFileName(blob.blob_type as 'frames' | 'audio', blob.time_start, mime), class: 'button secondary' }, 'Save the decrypted file');
      this.body.append(player, note, h('p', {}, save));
    } catch (e) {
      if (abort.signal.aborted || !ctx.alive() || ctx.fatal(e)) return;
      progress.remove();
      this.body.append(h('p', { class: 'error', role: 'alert' }, `Cannot play this blob: ${describe(e)}`));
    }
  }
}

export function describe(e: unknown): string {
  const error = e as { message?: string; code?: string };
  const explain: Record<string, string> = {
    tampered: 'it was altered (authentication failed); nothing of it is shown',
    truncated: 'it ended early; nothing of it is shown',
    wrong_key_or_context: 'it does not belong where the server says (wrong key or moved blob)',
    unknown_key: 'it is sealed under a key this account’s keyring does not hold',
    malformed: 'its bytes are not in the blob format',
    unsupported: 'it uses a newer format than this viewer knows',
  };
  if (error?.code !== undefined && explain[error.code] !== undefined) return `${explain[error.code]} (${error.code}).`;
  return `${error?.message ?? String(e)}${error?.code ? ` (${error.code})` : ''}.`;
}


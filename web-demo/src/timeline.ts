// The timeline: the blobs of a day or a range, by device and type (`/download` by time range:
// metadata and signed URLs only; nothing is decrypted until a blob is opened).

import { listBlobs, type BlobInfo, type BlobType } from './api';
import { deviceLabel, type Ctx } from './context';
import { byId, clear, h } from './dom';
import { dayRange, dayStart, formatBytes, formatClock, formatRange, localDay, parseStoredTime, toWireTime, TYPE_LABELS } from './format';

const TYPES: BlobType[] = ['text', 'frames', 'audio'];

/** Blobs grouped by device, then type, each list in time order. */
export function groupBlobs(blobs: BlobInfo[]): Map<string, Map<BlobType, BlobInfo[]>> {
  const out = new Map<string, Map<BlobType, BlobInfo[]>>();
  for (const b of blobs) {
    let byType = out.get(b.device_id);
    if (byType === undefined) {
      byType = new Map(TYPES.map((t) => [t, [] as BlobInfo[]]));
      out.set(b.device_id, byType);
    }
    byType.get(b.blob_type)?.push(b);
  }
  for (const byType of out.values()) {
    for (const list of byType.values()) list.sort((a, b) => a.time_start.localeCompare(b.time_start) || a.blob_id.localeCompare(b.blob_id));
  }
  return out;
}

export class Timeline {
  private readonly form = byId<HTMLFormElement>('timeline-form');
  private readonly from = byId<HTMLInputElement>('tl-from');
  private readonly to = byId<HTMLInputElement>('tl-to');
  private readonly device = byId<HTMLSelectElement>('tl-device');
  private readonly status = byId('timeline-status');
  private readonly results = byId('timeline-results');
  private ctx: Ctx | null = null;
  private request = 0;

  constructor() {
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.load();
    });
    byId('tl-prev').addEventListener('click', () => this.shift(-1));
    byId('tl-next').addEventListener('click', () => this.shift(1));
  }

  /** A new session: devices in the filter, the day of the newest data. */
  start(ctx: Ctx): void {
    this.ctx = ctx;
    clear(this.device);
    this.device.append(h('option', { value: '' }, 'All devices'));
    for (const [id, name] of ctx.deviceNames) {
      if (id === ctx.selfDeviceId) continue;
      this.device.append(h('option', { value: id }, `${name} (${id})`));
    }
    const newest = parseStoredTime(ctx.status?.stats.newest_data ?? null);
    this.from.value = localDay(newest ?? Date.now());
    this.to.value = '';
    void this.load();
  }

  wipe(): void {
    this.ctx = null;
    this.request += 1;
    clear(this.results);
    this.status.textContent = '';
  }

  private shift(days: number): void {
    if (this.from.value === '') return;
    const base = new Date(dayStart(this.from.value));
    const span = this.to.value === '' ? 0 : Math.round((dayStart(this.to.value) - dayStart(this.from.value)) / 86_400_000);
    const next = new Date(base.getFullYear(), base.getMonth(), base.getDate() + days * (span + 1));
    this.from.value = localDay(next.getTime());
    if (this.to.value !== '') this.to.value = localDay(new Date(next.getFullYear(), next.getMonth(), next.getDate() + span).getTime());
    void this.load();
  }

  async load(): Promise<void> {
    const ctx = this.ctx;
    if (ctx === null) return;
    const request = ++this.request;
    let range: { startMs: number; endMs: number };
    try {
      range = dayRange(this.from.value, this.to.value);
    } catch (e) {
      this.status.textContent = (e as Error).message === 'the end of the range is before its start' ? 'The end of the range is before its start.' : 'Choose a day.';
      return;
    }
    const types = [...this.form.querySelectorAll<HTMLInputElement>('input[name="tl-type"]:checked')].map((i) => i.value as BlobType);
    if (types.length === 0) {
      this.status.textContent = 'Choose at least one type.';
      clear(this.results);
      return;
    }
    this.status.textContent = 'Loading…';
    this.results.setAttribute('aria-busy', 'true');
    try {
      const { blobs, truncated } = await listBlobs(
        ctx.api,
        { start: toWireTime(range.startMs), end: toWireTime(range.endMs) },
        { blob_types: types, device_ids: this.device.value === '' ? undefined : [this.device.value] },
      );
      if (request !== this.request || !ctx.alive()) return;
      this.render(ctx, blobs);
      const span = this.to.value === '' || this.to.value === this.from.value ? this.from.value : `${this.from.value} to ${this.to.value}`;
      this.status.textContent =
        blobs.length === 0
          ? `No blobs on ${span}.`
          : `${blobs.length} blobs on ${span}${truncated ? ' (the first 5000; narrow the range to see the rest)' : ''}.`;
    } catch (e) {
      if (request !== this.request || !ctx.alive() || ctx.fatal(e)) return;
      this.status.textContent = `Cannot list blobs: ${(e as Error).message}`;
    } finally {
      if (request === this.request) this.results.removeAttribute('aria-busy');
    }
  }

  private render(ctx: Ctx, blobs: BlobInfo[]): void {
    clear(this.results);
    const groups = groupBlobs(blobs);
    const devices = [...groups.keys()].sort((a, b) => deviceLabel(ctx, a).localeCompare(deviceLabel(ctx, b)));
    for (const deviceId of devices) {
      const headingId = `tl-dev-${deviceId}`;
      const section = h(
        'section',
        { class: 'device', 'aria-labelledby': headingId },
        h(
          'h3',
          { id: headingId },
          ...(ctx.deviceNames.has(deviceId)
            ? [deviceLabel(ctx, deviceId), ' ', h('span', { class: 'muted' }, deviceId)]
            : [deviceId, ' ', h('span', { class: 'muted' }, '(no longer registered)')]),
        ),
      );
      const columns = h('div', { class: 'type-columns' });
      for (const [type, list] of groups.get(deviceId) ?? []) {
        if (list.length === 0) continue;
        const bytes = list.reduce((n, b) => n + b.size_bytes, 0);
        const typeHeading = `${headingId}-${type}`;
        const ul = h('ul', { class: 'blobs', 'aria-labelledby': typeHeading });
        for (const b of list) ul.append(h('li', {}, this.blobButton(ctx, b)));
        columns.append(
          h(
            'div',
            { class: `type-column type-${type}` },
            h('h4', { id: typeHeading }, `${TYPE_LABELS[type]} · ${list.length} · ${formatBytes(bytes)}`),
            ul,
          ),
        );
      }
      section.append(columns);
      this.results.append(section);
    }
  }

  private blobButton(ctx: Ctx, b: BlobInfo): HTMLElement {
    const start = parseStoredTime(b.time_start) ?? 0;
    const end = parseStoredTime(b.time_end) ?? 0;
    const sameDay = localDay(start) === localDay(end) && this.to.value === '';
    const label = sameDay ? (start === end ? formatClock(start) : `${formatClock(start)}–${formatClock(end)}`) : formatRange(start, end);
    const verb = b.blob_type === 'text' ? 'Open' : 'Play';
    const button = h(
      'button',
      { type: 'button', class: `blob blob-${b.blob_type}`, 'data-blob-id': b.blob_id },
      h('span', { class: 'blob-time' }, label),
      h('span', { class: 'blob-size' }, formatBytes(b.size_bytes)),
    );
    button.setAttribute('aria-label', `${verb} ${TYPE_LABELS[b.blob_type].toLowerCase()} ${formatRange(start, end)}, ${formatBytes(b.size_bytes)}`);
    button.addEventListener('click', () => ctx.openBlob(b, button));
    return button;
  }
}

// Status, like the desktop settings: storage used against the limit, tier, last sync, data
// range, usage by type, and the account's devices with a remove button.

import type { DeviceInfo, StatusResponse } from './api';
import type { Ctx } from './context';
import { byId, clear, h } from './dom';
import { formatBytes, formatPercent, formatTime, parseStoredTime, TIER_LABELS } from './format';

function when(text: string | null): string {
  if (text === null) return 'never';
  const ms = parseStoredTime(text);
  return ms === null ? text : formatTime(ms);
}

export function renderStatus(status: StatusResponse): HTMLElement {
  const q = status.quota;
  const used = formatBytes(q.storage_used);
  const limit = formatBytes(q.storage_limit);
  const meter = h('meter', {
    id: 'storage-meter',
    min: 0,
    max: Math.max(q.storage_limit, 1),
    value: Math.min(q.storage_used, Math.max(q.storage_limit, 1)),
    low: Math.round(q.storage_limit * 0.8),
    high: Math.round(q.storage_limit * 0.95),
    optimum: 0,
    'aria-labelledby': 'storage-label',
    'aria-describedby': 'storage-text',
  });
  const b = status.storage_breakdown;
  const total = Math.max(b.text + b.frames + b.audio, 1);
  const breakdown = h(
    'ul',
    { class: 'breakdown' },
    h('li', {}, h('span', { class: 'swatch type-text' }), `Text ${formatBytes(b.text)} (${formatPercent(b.text, total)})`),
    h('li', {}, h('span', { class: 'swatch type-frames' }), `Video ${formatBytes(b.frames)} (${formatPercent(b.frames, total)})`),
    h('li', {}, h('span', { class: 'swatch type-audio' }), `Audio ${formatBytes(b.audio)} (${formatPercent(b.audio, total)})`),
  );
  return h(
    'div',
    { class: 'status-grid' },
    h(
      'div',
      { class: 'storage' },
      h('p', { id: 'storage-label', class: 'label' }, 'Storage'),
      meter,
      h('p', { id: 'storage-text' }, `${used} of ${limit} used (${formatPercent(q.storage_used, q.storage_limit)})`),
      breakdown,
    ),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Tier'),
      h('dd', { id: 'status-tier' }, TIER_LABELS[q.sync_tier] ?? q.sync_tier),
      h('dt', {}, 'Last sync'),
      h('dd', { id: 'status-last-sync' }, when(status.stats.last_sync)),
      h('dt', {}, 'Blobs'),
      h('dd', {}, String(status.stats.total_blobs)),
      h('dt', {}, 'Data'),
      h('dd', {}, status.stats.oldest_data === null ? 'none yet' : `${when(status.stats.oldest_data)} to ${when(status.stats.newest_data)}`),
      h('dt', {}, 'Devices'),
      h('dd', {}, q.device_limit === null ? `${q.device_count} (no limit)` : `${q.device_count} of ${q.device_limit}`),
      h('dt', {}, 'Uploads'),
      h('dd', {}, q.can_sync ? 'allowed' : q.sync_tier === 'none' ? 'refused: no subscription' : 'refused: storage full'),
    ),
  );
}

export class StatusView {
  private readonly body = byId('status-body');
  private readonly devices = byId('devices-body');
  private readonly devicesStatus = byId('devices-status');
  private ctx: Ctx | null = null;
  private readonly onDevices: (devices: DeviceInfo[]) => void;

  constructor(onDevices: (devices: DeviceInfo[]) => void) {
    this.onDevices = onDevices;
    byId('status-refresh').addEventListener('click', () => void this.refresh());
  }

  start(ctx: Ctx, devices: DeviceInfo[]): void {
    this.ctx = ctx;
    if (ctx.status !== null) this.body.replaceChildren(renderStatus(ctx.status));
    this.renderDevices(ctx, devices);
  }

  wipe(): void {
    this.ctx = null;
    clear(this.body);
    clear(this.devices);
    this.devicesStatus.textContent = '';
  }

  async refresh(): Promise<void> {
    const ctx = this.ctx;
    if (ctx === null) return;
    try {
      const [status, { devices }] = await Promise.all([ctx.api.status(), ctx.api.devices()]);
      if (!ctx.alive()) return;
      ctx.status = status;
      this.body.replaceChildren(renderStatus(status));
      this.onDevices(devices);
      this.renderDevices(ctx, devices);
    } catch (e) {
      if (!ctx.alive() || ctx.fatal(e)) return;
      this.devicesStatus.textContent = `Cannot load the status: ${(e as Error).message}`;
    }
  }

  private renderDevices(ctx: Ctx, devices: DeviceInfo[]): void {
    clear(this.devices);
    const rows = devices.map((d) => {
      const self = d.device_id === ctx.selfDeviceId;
      const remove = h('button', { type: 'button', class: 'danger small' }, 'Remove');
      remove.setAttribute('aria-label', `Remove device ${d.device_name}${self ? ' (this browser)' : ''}`);
      remove.addEventListener('click', () => void this.remove(ctx, d, self, remove));
      return h(
        'tr',
        { 'data-device-id': d.device_id },
        h('th', { scope: 'row' }, d.device_name, self ? h('span', { class: 'badge' }, 'this browser') : null, h('span', { class: 'muted block' }, d.device_id)),
        h('td', { 'data-label': 'OS' }, d.device_os),
        h('td', { 'data-label': 'Last sync' }, when(d.last_sync_at)),
        h('td', { 'data-label': 'Added' }, when(d.created_at)),
        h('td', {}, remove),
      );
    });
    this.devices.append(
      h(
        'table',
        { class: 'devices', 'aria-labelledby': 'devices-title' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Device'), h('th', { scope: 'col' }, 'OS'), h('th', { scope: 'col' }, 'Last sync'), h('th', { scope: 'col' }, 'Added'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
        h('tbody', {}, ...rows),
      ),
    );
  }

  private async remove(ctx: Ctx, d: DeviceInfo, self: boolean, button: HTMLButtonElement): Promise<void> {
    const question = self
      ? `Remove this browser (${d.device_name}) from the account’s devices? The viewer locks; unlocking again registers it anew.`
      : `Remove the device “${d.device_name}” (${d.device_id})? Its data stays; its requests are refused until it runs init again. If it was lost or stolen, also replace the token and rotate the key.`;
    if (!window.confirm(question)) return;
    button.disabled = true;
    try {
      const { removed } = await ctx.api.removeDevice(d.device_id);
      if (!ctx.alive()) return;
      this.devicesStatus.textContent = removed ? `Removed ${d.device_name}.` : `${d.device_name} was already removed.`;
      if (self) {
        ctx.fatal(Object.assign(new Error('This browser was removed from the account’s devices.'), { code: 'SELF_REMOVED' }));
        return;
      }
      await this.refresh();
      this.devices.querySelector<HTMLElement>('button')?.focus() ?? byId('status-refresh').focus();
    } catch (e) {
      button.disabled = false;
      if (!ctx.alive() || ctx.fatal(e)) return;
      this.devicesStatus.textContent = `Cannot remove ${d.device_name}: ${(e as Error).message}`;
    }
  }
}

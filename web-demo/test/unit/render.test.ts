// @vitest-environment jsdom
// Rendering: decrypted text that looks like markup stays text; the status bar and facts; the
// timeline's grouping.
import { describe, expect, it } from 'vitest';
import type { BlobInfo, StatusResponse } from '../../src/api';
import { h, marked } from '../../src/dom';
import { highlight } from '../../src/highlight';
import { renderStatus } from '../../src/statusView';
import { groupBlobs } from '../../src/timeline';

describe('text from recordings', () => {
  it('is never parsed as HTML, highlighted or not', () => {
    const evil = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script> budget';
    const p = h('p', {}, marked(highlight(evil, ['budget'])));
    const q = h('p', {}, evil);
    for (const el of [p, q]) {
      expect(el.querySelector('img, script')).toBeNull();
      expect(el.textContent).toBe(evil);
    }
    expect(p.querySelectorAll('mark')).toHaveLength(1);
    expect(p.querySelector('mark')?.textContent).toBe('budget');
  });

  it('sets attributes as strings and listeners from functions only', () => {
    let clicked = 0;
    const b = h('button', { type: 'button', 'aria-label': '"><x>', onclick: () => clicked++, hidden: false, disabled: true });
    b.click();
    expect(b.getAttribute('aria-label')).toBe('"><x>');
    expect(b.hasAttribute('hidden')).toBe(false);
    expect(b.hasAttribute('disabled')).toBe(true);
    expect(clicked).toBe(0); // a disabled button is not clicked
  });
});

describe('renderStatus', () => {
  const status: StatusResponse = {
    quota: { storage_used: 5_000_000_000, storage_limit: 20_000_000_000, device_count: 2, device_limit: 3, can_sync: true, sync_tier: 'starter' },
    stats: { total_blobs: 42, last_sync: '2026-01-05T09:05:00.000Z', oldest_data: '2026-01-04T09:00:00.000Z', newest_data: '2026-01-05T09:05:00.000Z' },
    storage_breakdown: { text: 1_000_000_000, frames: 3_000_000_000, audio: 1_000_000_000 },
  };

  it('shows storage used against the limit as a meter, the tier, the last sync and the devices', () => {
    process.env.TZ = 'UTC';
    const el = renderStatus(status);
    const meter = el.querySelector('meter')!;
    expect(meter.getAttribute('value')).toBe('5000000000');
    expect(meter.getAttribute('max')).toBe('20000000000');
    expect(el.querySelector('#storage-text')?.textContent).toBe('5.00 GB of 20.0 GB used (25.0%)');
    expect(el.querySelector('#status-tier')?.textContent).toBe('Starter');
    expect(el.querySelector('#status-last-sync')?.textContent).toBe('2026-01-05 09:05:00');
    expect(el.textContent).toContain('2 of 3');
    expect(el.textContent).toContain('Video 3.00 GB (60.0%)');
  });

  it('says never synced, unlimited devices and a full account', () => {
    const el = renderStatus({
      ...status,
      quota: { ...status.quota, device_limit: null, can_sync: false, sync_tier: 'team', storage_used: 20_000_000_000 },
      stats: { total_blobs: 0, last_sync: null, oldest_data: null, newest_data: null },
    });
    expect(el.querySelector('#status-last-sync')?.textContent).toBe('never');
    expect(el.textContent).toContain('2 (no limit)');
    expect(el.textContent).toContain('refused: storage full');
    expect(el.querySelector('#status-tier')?.textContent).toBe('Team');
  });
});

describe('groupBlobs', () => {
  const blob = (id: string, device: string, type: BlobInfo['blob_type'], start: string): BlobInfo => ({
    blob_id: id.repeat(32),
    blob_type: type,
    device_id: device,
    time_start: start,
    time_end: start,
    size_bytes: 1,
    checksum: '',
    key_id: '',
    download_url: '',
  });

  it('groups by device then type, each in time order', () => {
    const groups = groupBlobs([
      blob('1', 'mac', 'text', '2026-01-05T10:00:00.000Z'),
      blob('2', 'pc', 'audio', '2026-01-05T09:00:00.000Z'),
      blob('3', 'mac', 'text', '2026-01-05T09:00:00.000Z'),
      blob('4', 'mac', 'frames', '2026-01-05T09:00:00.000Z'),
    ]);
    expect([...groups.keys()]).toEqual(['mac', 'pc']);
    expect(groups.get('mac')!.get('text')!.map((b) => b.blob_id[0])).toEqual(['3', '1']);
    expect(groups.get('mac')!.get('frames')!.map((b) => b.blob_id[0])).toEqual(['4']);
    expect(groups.get('mac')!.get('audio')).toEqual([]);
    expect(groups.get('pc')!.get('audio')!.map((b) => b.blob_id[0])).toEqual(['2']);
  });
});

// Times, days and sizes as the viewer shows and sends them. Days are the browser's local days;
// the server gets RFC 3339 UTC times with exactly three fractional digits (docs/FORMAT.md, "Encodings").

const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Local midnight of a `YYYY-MM-DD` day (as an `<input type="date">` gives it), in ms. */
export function dayStart(day: string): number {
  const m = DAY_RE.exec(day);
  if (!m) throw new RangeError(`not a day: "${day}"`);
  const date = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (date.getFullYear() !== Number(m[1]) || date.getMonth() !== Number(m[2]) - 1 || date.getDate() !== Number(m[3])) {
    throw new RangeError(`not a day: "${day}"`);
  }
  return date.getTime();
}

/** The last millisecond of a local day. */
export function dayEnd(day: string): number {
  const start = new Date(dayStart(day));
  return new Date(start.getFullYear(), start.getMonth(), start.getDate() + 1).getTime() - 1;
}

/** `[from 00:00, to 23:59:59.999]` in local time; `to` empty means the single day `from`. */
export function dayRange(from: string, to: string): { startMs: number; endMs: number } {
  const startMs = dayStart(from);
  const endMs = dayEnd(to === '' ? from : to);
  if (endMs < startMs) throw new RangeError('the end of the range is before its start');
  return { startMs, endMs };
}

/** The local `YYYY-MM-DD` of a time. */
export function localDay(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The wire form: `2026-01-05T09:00:00.000Z`. */
export function toWireTime(ms: number): string {
  return new Date(ms).toISOString();
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `YYYY-MM-DD HH:MM:SS` in local time. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  return `${localDay(ms)} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** `HH:MM:SS` in local time. */
export function formatClock(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A time range, the day written once when both ends are on the same local day. */
export function formatRange(startMs: number, endMs: number): string {
  if (startMs === endMs) return formatTime(startMs);
  if (localDay(startMs) === localDay(endMs)) return `${formatTime(startMs)}–${formatClock(endMs)}`;
  return `${formatTime(startMs)} – ${formatTime(endMs)}`;
}

const STORED_SQL = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})$/;
const STORED_RFC3339 = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * A timestamp as screenpipe stores it (RFC 3339 with an offset and 0 to 9 fractional digits, or
 * `YYYY-MM-DD HH:MM:SS` in UTC) in ms, sub-millisecond digits truncated; `null` if unreadable.
 */
export function parseStoredTime(text: string | null | undefined): number | null {
  if (typeof text !== 'string') return null;
  let m = STORED_SQL.exec(text);
  if (m) {
    const ms = Date.parse(`${m[1]}T${m[2]}.000Z`);
    return Number.isNaN(ms) ? null : ms;
  }
  m = STORED_RFC3339.exec(text);
  if (!m) return null;
  const fraction = (m[3] ?? '').slice(0, 3).padEnd(3, '0');
  const ms = Date.parse(`${m[1]}T${m[2]}.${fraction}${m[4].toUpperCase()}`);
  return Number.isNaN(ms) ? null : ms;
}

/** Bytes for people: 1.2 MB (10^6, like the tiers' GB). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '?';
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB', 'PB'];
  let value = n;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

/** A percentage with one decimal, at least `0.1%` for anything above zero. */
export function formatPercent(part: number, whole: number): string {
  if (whole <= 0) return '–';
  const p = (part / whole) * 100;
  if (p > 0 && p < 0.1) return '<0.1%';
  return `${p.toFixed(1)}%`;
}

export const TYPE_LABELS: Record<string, string> = { text: 'Text', frames: 'Video', audio: 'Audio' };
export const TIER_LABELS: Record<string, string> = { none: 'No subscription', starter: 'Starter', pro: 'Pro', team: 'Team' };

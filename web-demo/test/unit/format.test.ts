import { afterEach, describe, expect, it } from 'vitest';
import { dayEnd, dayRange, dayStart, formatBytes, formatPercent, formatRange, localDay, parseStoredTime, toWireTime } from '../../src/format';

const originalTz = process.env.TZ;
afterEach(() => {
  process.env.TZ = originalTz;
});

describe('days', () => {
  it('are local days, sent as UTC wire times', () => {
    process.env.TZ = 'UTC';
    expect(toWireTime(dayStart('2026-01-05'))).toBe('2026-01-05T00:00:00.000Z');
    expect(toWireTime(dayEnd('2026-01-05'))).toBe('2026-01-05T23:59:59.999Z');
    process.env.TZ = 'Asia/Tokyo';
    expect(toWireTime(dayStart('2026-01-05'))).toBe('2026-01-04T15:00:00.000Z');
    expect(localDay(Date.parse('2026-01-04T15:00:00.000Z'))).toBe('2026-01-05');
  });

  it('follow daylight saving time (a 23-hour day)', () => {
    process.env.TZ = 'Europe/Berlin';
    const { startMs, endMs } = dayRange('2026-03-29', '');
    expect(endMs + 1 - startMs).toBe(23 * 3600 * 1000);
  });

  it('make ranges, one day when the end is empty, refusing a reversed or bad range', () => {
    process.env.TZ = 'UTC';
    expect(dayRange('2026-01-05', '')).toEqual({ startMs: Date.parse('2026-01-05T00:00:00Z'), endMs: Date.parse('2026-01-05T23:59:59.999Z') });
    expect(dayRange('2026-01-05', '2026-01-07').endMs).toBe(Date.parse('2026-01-07T23:59:59.999Z'));
    expect(() => dayRange('2026-01-07', '2026-01-05')).toThrow(/before its start/);
    expect(() => dayStart('2026-02-30')).toThrow(RangeError);
    expect(() => dayStart('')).toThrow(RangeError);
  });
});

describe('parseStoredTime reads every form screenpipe stores', () => {
  it.each([
    ['2026-01-05T09:00:06.120+00:00', '2026-01-05T09:00:06.120Z'],
    ['2026-01-05T09:00:06.120456+00:00', '2026-01-05T09:00:06.120Z'],
    ['2026-01-05T09:00:06.120456789+00:00', '2026-01-05T09:00:06.120Z'],
    ['2026-01-05T09:00:06+00:00', '2026-01-05T09:00:06.000Z'],
    ['2026-01-05T09:00:06.1Z', '2026-01-05T09:00:06.100Z'],
    ['2026-01-05T11:00:06.000+02:00', '2026-01-05T09:00:06.000Z'],
    ['2026-01-05 09:00:06', '2026-01-05T09:00:06.000Z'],
  ])('%s', (stored, wire) => {
    expect(toWireTime(parseStoredTime(stored)!)).toBe(wire);
  });

  it('gives null for anything else', () => {
    expect(parseStoredTime('yesterday')).toBeNull();
    expect(parseStoredTime(null)).toBeNull();
    expect(parseStoredTime('2026-13-05 09:00:06')).toBeNull();
  });
});

describe('sizes and ranges', () => {
  it('formats bytes in SI units like the tiers', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1500)).toBe('1.50 kB');
    expect(formatBytes(20_000_000_000)).toBe('20.0 GB');
    expect(formatBytes(-1)).toBe('?');
  });

  it('formats percentages, never rounding a small use to zero', () => {
    expect(formatPercent(5, 20_000_000_000)).toBe('<0.1%');
    expect(formatPercent(0, 100)).toBe('0.0%');
    expect(formatPercent(50, 100)).toBe('50.0%');
    expect(formatPercent(1, 0)).toBe('–');
  });

  it('writes the day once when a range is within one day', () => {
    process.env.TZ = 'UTC';
    expect(formatRange(Date.parse('2026-01-05T09:00:00Z'), Date.parse('2026-01-05T09:05:00Z'))).toBe('2026-01-05 09:00:00–09:05:00');
    expect(formatRange(Date.parse('2026-01-05T23:00:00Z'), Date.parse('2026-01-06T01:00:00Z'))).toBe('2026-01-05 23:00:00 – 2026-01-06 01:00:00');
  });
});

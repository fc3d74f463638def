// Where the words of a query appear in a text, to show them highlighted. The query's terms come
// from the core (`terms()`: NFKC, lowercase, UAX #29 words, Han/Hiragana/Thai bigrams); here
// they are found again in the original text, case-insensitively, as whole words (bigrams of
// Han, Hiragana or Thai anywhere).

export interface Segment {
  text: string;
  hit: boolean;
}

const CJK_THAI = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Thai}]/u;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** One regular expression finding every term (longest first), global and case-insensitive. */
export function termsPattern(terms: readonly string[]): RegExp | null {
  const unique = [...new Set(terms.filter((t) => t.length > 0))].sort((a, b) => b.length - a.length);
  if (unique.length === 0) return null;
  const parts = unique.map((term) => {
    const body = escapeRegExp(term);
    return CJK_THAI.test(term) ? body : `(?<![\\p{L}\\p{N}\\p{M}])${body}(?![\\p{L}\\p{N}\\p{M}])`;
  });
  return new RegExp(parts.join('|'), 'giu');
}

/** `[start, end)` ranges of every occurrence of a term, merged where they overlap. */
export function hitRanges(text: string, terms: readonly string[]): [number, number][] {
  const pattern = termsPattern(terms);
  if (pattern === null) return [];
  const ranges: [number, number][] = [];
  // Overlapping bigrams (東京 and 京都 in 東京都) both count: restart one code unit later.
  for (let at = 0; at <= text.length; ) {
    pattern.lastIndex = at;
    const m = pattern.exec(text);
    if (m === null) break;
    const start = m.index;
    const end = start + m[0].length;
    const last = ranges[ranges.length - 1];
    if (last !== undefined && start <= last[1]) last[1] = Math.max(last[1], end);
    else ranges.push([start, end]);
    at = start + 1;
  }
  return ranges;
}

/** The text cut into plain and highlighted segments. */
export function highlight(text: string, terms: readonly string[]): Segment[] {
  return segmentsOf(text, hitRanges(text, terms), 0, text.length);
}

function segmentsOf(text: string, ranges: [number, number][], from: number, to: number): Segment[] {
  const out: Segment[] = [];
  let at = from;
  for (const [s, e] of ranges) {
    if (e <= from || s >= to) continue;
    const start = Math.max(s, from);
    const end = Math.min(e, to);
    if (start > at) out.push({ text: text.slice(at, start), hit: false });
    out.push({ text: text.slice(start, end), hit: true });
    at = end;
  }
  if (at < to) out.push({ text: text.slice(at, to), hit: false });
  return out;
}

/**
 * A part of a long text around its first hit, about `max` characters, with `…` where it was cut,
 * as segments. A text without hits gives its beginning.
 */
export function snippet(text: string, terms: readonly string[], max = 240): Segment[] {
  const flat = text.replace(/\s+/g, ' ').trim();
  const ranges = hitRanges(flat, terms);
  if (flat.length <= max) return segmentsOf(flat, ranges, 0, flat.length);
  const first = ranges[0]?.[0] ?? 0;
  let from = Math.max(0, first - Math.floor(max / 3));
  let to = Math.min(flat.length, from + max);
  from = Math.max(0, to - max);
  // Cut at spaces, not inside words.
  if (from > 0) {
    const space = flat.indexOf(' ', from);
    if (space !== -1 && space < first) from = space + 1;
  }
  if (to < flat.length) {
    const space = flat.lastIndexOf(' ', to);
    if (space > from && space >= (ranges.find((r) => r[0] >= from)?.[1] ?? from)) to = space;
  }
  const out = segmentsOf(flat, ranges, from, to);
  if (from > 0) out.unshift({ text: '…', hit: false });
  if (to < flat.length) out.push({ text: '…', hit: false });
  return out;
}

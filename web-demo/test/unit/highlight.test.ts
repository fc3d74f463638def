import { describe, expect, it } from 'vitest';
import { highlight, hitRanges, snippet } from '../../src/highlight';

const hits = (text: string, terms: string[]) => highlight(text, terms).filter((s) => s.hit).map((s) => s.text);

describe('highlight', () => {
  it('finds whole words, case-insensitively, with diacritics', () => {
    expect(hits('Flights Lisbon to ZÜRICH, then zürich again', ['zürich'])).toEqual(['ZÜRICH', 'zürich']);
    expect(hits('The Quarterly report', ['quarterly', 'report'])).toEqual(['Quarterly', 'report']);
  });

  it('does not mark a word inside another word', () => {
    expect(hits('report import portable port', ['port'])).toEqual(['port']);
  });

  it('marks Han bigrams anywhere, overlapping ones merged', () => {
    expect(hits('会議は東京都で', ['東京', '京都'])).toEqual(['東京都']);
    expect(hits('東京会議', ['会議'])).toEqual(['会議']);
  });

  it('treats regular-expression characters in terms as text', () => {
    expect(hits('see a.b and axb', ['a.b'])).toEqual(['a.b']);
    expect(hits('price (usd) 10', ['usd'])).toEqual(['usd']);
    expect(() => highlight('x', ['(', '[', '\\'])).not.toThrow();
  });

  it('keeps every character of the text, in order', () => {
    const text = 'Budget review: the budget, BUDGET!';
    const segments = highlight(text, ['budget']);
    expect(segments.map((s) => s.text).join('')).toBe(text);
    expect(segments.filter((s) => s.hit)).toHaveLength(3);
    expect(hitRanges(text, [])).toEqual([]);
  });
});

describe('snippet', () => {
  it('cuts a long text around the first hit, at spaces, with ellipses', () => {
    const words = Array.from({ length: 200 }, (_, i) => `w${i}`);
    words[120] = 'Lisbon';
    const s = snippet(words.join(' '), ['lisbon'], 80);
    const text = s.map((x) => x.text).join('');
    expect(text.startsWith('…')).toBe(true);
    expect(text.endsWith('…')).toBe(true);
    expect(text.length).toBeLessThanOrEqual(82);
    expect(s.filter((x) => x.hit).map((x) => x.text)).toEqual(['Lisbon']);
    // Cut at spaces: the first and last words are whole words of the text.
    const inner = text.slice(1, -1).split(' ');
    expect(words).toContain(inner[0]);
    expect(words).toContain(inner[inner.length - 1]);
  });

  it('keeps a short text whole and flattens white space', () => {
    expect(snippet('a  budget\nline', ['budget']).map((x) => x.text)).toEqual(['a ', 'budget', ' line']);
  });
});

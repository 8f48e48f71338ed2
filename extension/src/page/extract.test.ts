/** The page-text cap and normalizer (pure parts of extract.ts); extraction itself runs in Chromium (test/page-browser.test.ts). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { capText, normalizeText } from './extract';

describe('capText', () => {
  it('never exceeds the cap, keeps a prefix, flags exactly when text was dropped, splits no surrogate pair', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 600 }),
        fc.integer({ min: 1, max: 700 }),
        (text, max) => {
          const r = capText(text, max);
          expect(r.text.length).toBeLessThanOrEqual(max);
          expect(text.startsWith(r.text)).toBe(true);
          expect(r.truncated).toBe(text.length > max);
          if (!r.truncated) expect(r.text).toBe(text);
          const last = r.text.charCodeAt(r.text.length - 1);
          expect(last >= 0xd800 && last <= 0xdbff).toBe(false);
        },
      ),
    );
  });

  it('cuts at a word boundary near the cap', () => {
    const r = capText('alpha beta gamma delta', 13);
    expect(r).toEqual({ text: 'alpha beta', truncated: true });
  });
});

describe('normalizeText', () => {
  it('trims lines, collapses spaces and keeps at most one blank line', () => {
    expect(normalizeText('  a \t b \n\n\n\n  c\u00a0\u00a0d  \n')).toBe('a b\n\nc d');
  });
});

import { describe, expect, it } from 'vitest';
import { splitText } from './split';

const squash = (s: string) => s.replace(/\s+/g, '');

/** An article: sections with headings, paragraphs of sentences. */
function article(sections: number, paragraphs: number): string {
  const out: string[] = [];
  for (let s = 1; s <= sections; s++) {
    out.push(`## Section ${s}`);
    for (let p = 1; p <= paragraphs; p++) {
      out.push(
        Array.from(
          { length: 4 },
          (_, i) => `Sentence ${i + 1} of paragraph ${p} in section ${s}.`,
        ).join(' '),
      );
    }
  }
  return out.join('\n\n');
}

describe('splitText', () => {
  it('keeps a text that fits whole, and gives nothing for blank text', () => {
    expect(splitText('  short text \n', 100)).toEqual(['short text']);
    expect(splitText(' \n\n ', 100)).toEqual([]);
  });

  it('cuts at headings first: each part starts at a section when sections fit', () => {
    const text = article(6, 3);
    const section = text.split('\n\n## ')[1]!.length + 3;
    const parts = splitText(text, section + 10);
    expect(parts.length).toBe(6);
    for (const [i, p] of parts.entries()) {
      expect(p.startsWith(`## Section ${i + 1}`)).toBe(true);
      expect(p.length).toBeLessThanOrEqual(section + 10);
    }
  });

  it('packs small sections together, then falls back to paragraphs, sentences and words', () => {
    const text = article(10, 4);
    for (const max of [2000, 400, 120, 40, 9]) {
      const parts = splitText(text, max);
      for (const p of parts) expect(p.length).toBeLessThanOrEqual(max);
      // Nothing dropped, nothing reordered: only whitespace at the cuts differs.
      expect(squash(parts.join(''))).toBe(squash(text));
    }
    // At paragraph size, no paragraph is cut inside a sentence.
    const parts = splitText(text, 400);
    for (const p of parts) expect(p).toMatch(/\.$/);
  });

  it('cuts a word longer than a part, never inside a surrogate pair', () => {
    const text = `${'x'.repeat(25)} ${'😀'.repeat(10)}`;
    const parts = splitText(text, 7);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(7);
      expect(p).not.toMatch(/^[\udc00-\udfff]|[\ud800-\udbff]$/);
    }
    expect(squash(parts.join(''))).toBe(squash(text));
  });

  it('refuses a part size that cannot hold a character', () => {
    expect(() => splitText('abc', 1)).toThrow(RangeError);
    expect(() => splitText('abc', 2.5)).toThrow(RangeError);
  });
});

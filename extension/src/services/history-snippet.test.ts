/** Search snippets: the match with word-trimmed context, case kept as written. */
import { describe, expect, it } from 'vitest';
import { snippetOf } from './history-snippet';

describe('snippetOf', () => {
  it('finds the match case-insensitively and keeps it as written', () => {
    expect(snippetOf('Once upon a time a Dragon slept.', 'dragon')).toEqual({
      before: 'Once upon a time a ',
      match: 'Dragon',
      after: ' slept.',
    });
  });

  it('trims long context at word boundaries, marked with an ellipsis', () => {
    const text = `${'alpha beta gamma delta '.repeat(5)}NEEDLE ${'epsilon zeta eta theta '.repeat(5)}`;
    const s = snippetOf(text, 'needle', 20)!;
    expect(s.match).toBe('NEEDLE');
    expect(s.before.startsWith('…')).toBe(true);
    expect(s.after.endsWith('…')).toBe(true);
    expect(s.before.length).toBeLessThanOrEqual(22);
    expect(s.after.length).toBeLessThanOrEqual(22);
    // Whole words only at the edges.
    expect(s.before.slice(1).split(' ')[0]).toMatch(/^(alpha|beta|gamma|delta)$/);
  });

  it('collapses whitespace and returns nothing without a match or a query', () => {
    expect(snippetOf('a\n\n  b', 'b')).toEqual({ before: 'a ', match: 'b', after: '' });
    expect(snippetOf('nothing here', 'absent')).toBeUndefined();
    expect(snippetOf('text', '   ')).toBeUndefined();
  });

  it('works in any language: the user’s text is not English', () => {
    expect(snippetOf('Es war einmal ein Drache namens Größe.', 'GRÖSSE')).toBeUndefined();
    expect(snippetOf('Es war einmal ein Drache namens Größe.', 'größe')?.match).toBe('Größe');
    expect(snippetOf('昔々、ドラゴンがいました。', 'ドラゴン')?.match).toBe('ドラゴン');
  });
});

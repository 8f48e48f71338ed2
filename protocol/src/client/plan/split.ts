/**
 * Splits a document into parts of at most `maxChars` along its own structure: sections
 * (Markdown-style heading lines, which the extension's page extract and the PDF reader
 * write), then paragraphs (blank lines), lines, sentences, words, and only as a last resort
 * inside a word (never inside a surrogate pair). Adjacent pieces are packed back together
 * while they fit, so a part is as large as allowed and starts at a boundary as high up the
 * structure as possible. Nothing is dropped: the parts joined again hold every character of
 * the text but the whitespace at the cuts.
 */

interface Level {
  /** Where to cut (the match is removed; `join` goes back between packed pieces). */
  cut: RegExp;
  join: string;
}

const LEVELS: readonly Level[] = [
  { cut: /\n+(?=#{1,6} )/, join: '\n\n' },
  { cut: /\n[ \t]*\n\s*/, join: '\n\n' },
  { cut: /\n/, join: '\n' },
  { cut: /(?<=[.!?…。！？])\s+/u, join: ' ' },
  { cut: /\s+/, join: ' ' },
];

/**
 * The parts of `text`, each at most `maxChars` long (UTF-16 code units), in order.
 * @throws RangeError when `maxChars` is below 2 (a surrogate pair must fit).
 */
export function splitText(text: string, maxChars: number): string[] {
  if (!Number.isInteger(maxChars) || maxChars < 2) {
    throw new RangeError('a part must hold at least 2 characters');
  }
  const trimmed = text.trim();
  if (trimmed === '') return [];
  return splitAt(trimmed, maxChars, 0);
}

function splitAt(text: string, maxChars: number, level: number): string[] {
  if (text.length <= maxChars) return [text];
  const rule = LEVELS[level];
  if (!rule) return hardCut(text, maxChars);
  const pieces = text
    .split(rule.cut)
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (pieces.length < 2) return splitAt(text, maxChars, level + 1);
  const small = pieces.flatMap((p) => splitAt(p, maxChars, level + 1));
  return pack(small, maxChars, rule.join);
}

/** Greedy: adjacent pieces joined while the result fits. */
function pack(pieces: readonly string[], maxChars: number, join: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const piece of pieces) {
    if (current === '') current = piece;
    else if (current.length + join.length + piece.length <= maxChars) current += join + piece;
    else {
      out.push(current);
      current = piece;
    }
  }
  if (current !== '') out.push(current);
  return out;
}

function hardCut(text: string, maxChars: number): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    let end = Math.min(text.length, i + maxChars);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    out.push(text.slice(i, end));
    i = end;
  }
  return out;
}

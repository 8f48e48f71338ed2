/**
 * Deterministic page-like English text of an exact byte length (ASCII, so bytes = characters),
 * for summarize requests: words from children's stories, so the test model's tokenizer sees
 * ordinary words rather than byte fallbacks.
 */

const WORDS = (
  'once upon a time there was a little girl named lily she loved to play outside in the park ' +
  'one day she saw a big red ball under a tree and ran to get it her mom said be careful the ' +
  'sun was warm and the birds sang happy songs tim was her friend he had a small dog named max ' +
  'they liked to share toys and eat cake together after lunch they went home and took a nap'
).split(' ');

/** `bytes` characters of text, seeded so each seed gives a different page. */
export function pageText(bytes: number, seed = 1): string {
  let x = seed * 2654435761 || 1;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % WORDS.length;
  };
  const parts: string[] = [];
  let length = 0;
  let sentence = 0;
  while (length < bytes) {
    let w = WORDS[next()]!;
    if (sentence === 0) w = w[0]!.toUpperCase() + w.slice(1);
    sentence++;
    if (sentence > 8 && next() % 4 === 0) {
      w += '.';
      sentence = 0;
    }
    parts.push(w);
    length += w.length + 1;
  }
  return parts.join(' ').slice(0, bytes);
}

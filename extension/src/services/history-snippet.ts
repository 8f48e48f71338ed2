/**
 * A search result's snippet: the first match in a text with a little context either
 * side, cut at word boundaries where it can be, so the list can show why a
 * conversation matched and highlight the match. Pure; runs in the worker over text it
 * has just decrypted (the snippet travels only to the extension's own panel).
 */

/** Text before the match, the match as written, text after (each side `…`-trimmed). */
export interface Snippet {
  before: string;
  match: string;
  after: string;
}

/** Characters of context each side of the match. */
export const SNIPPET_CONTEXT = 40;

/**
 * The first case-insensitive match of `query` in `text`, or undefined.
 * Matching is by `toLocaleLowerCase` of both, as the search itself does.
 */
export function snippetOf(
  text: string,
  query: string,
  context = SNIPPET_CONTEXT,
): Snippet | undefined {
  const q = query.trim();
  if (!q) return undefined;
  const flat = text.replace(/\s+/g, ' ');
  const lower = flat.toLocaleLowerCase();
  const at = lower.indexOf(q.toLocaleLowerCase());
  // Lower-casing can change lengths (İ → i̇); then the indices would not line up.
  if (at < 0 || lower.length !== flat.length) {
    return at < 0 ? undefined : { before: '', match: flat.slice(0, 2 * context), after: '…' };
  }
  const end = at + q.length;
  let from = Math.max(0, at - context);
  let to = Math.min(flat.length, end + context);
  // Prefer whole words at the edges.
  if (from > 0) {
    const space = flat.indexOf(' ', from);
    if (space >= 0 && space < at) from = space + 1;
  }
  if (to < flat.length) {
    const space = flat.lastIndexOf(' ', to);
    if (space > end) to = space;
  }
  return {
    before: `${from > 0 ? '…' : ''}${flat.slice(from, at)}`,
    match: flat.slice(at, end),
    after: `${flat.slice(end, to)}${to < flat.length ? '…' : ''}`,
  };
}

/**
 * "Summarize this page privately" (issue 5 item 4): the page's main text,
 * found by Mozilla Readability on a CLONE of the document (Readability
 * mutates the DOM it reads; the live page must stay untouched), falling back
 * to the body's rendered text. Headings are kept as Markdown-style `#` lines and
 * paragraphs as blank-line blocks, the structure the long-page planner splits on
 * (protocol client/plan/split.ts): the model's context decides how a page is read,
 * not a fixed cap here. The only cap, {@link MAX_PAGE_CHARS}, bounds what one panel
 * message may carry, and the result says so (`truncated`), so the panel can tell the
 * user how much of the page went in — never a silent cut. Runs in the content script.
 */

import { Readability } from '@mozilla/readability';

/**
 * Most page text one summary carries, in characters (UTF-16 code units): under the worker's
 * `MAX_PROMPT_CHARS` (512 KiB) for one `chat/start`, with room for the prompt around it.
 * A page this long is read in parts; the planner, not this cap, fits it to the model.
 */
export const MAX_PAGE_CHARS = 480_000;

/** Below this many characters a Readability result is not trusted as "the article". */
export const MIN_ARTICLE_CHARS = 200;

export interface PageExtract {
  readonly title: string;
  readonly url: string;
  /** The text that will be sent, at most `maxChars` long. */
  readonly text: string;
  /** True when the page had more text than went in. */
  readonly truncated: boolean;
  /** Length of the whole extracted text before the cap. */
  readonly totalChars: number;
  /** Where the text came from. */
  readonly source: 'readability' | 'body';
}

const BLOCK = new Set([
  'ADDRESS',
  'ARTICLE',
  'ASIDE',
  'BLOCKQUOTE',
  'DD',
  'DETAILS',
  'DIV',
  'DL',
  'DT',
  'FIELDSET',
  'FIGCAPTION',
  'FIGURE',
  'FOOTER',
  'H1',
  'H2',
  'H3',
  'H4',
  'H5',
  'H6',
  'HEADER',
  'HR',
  'LI',
  'MAIN',
  'NAV',
  'OL',
  'P',
  'PRE',
  'SECTION',
  'SUMMARY',
  'TABLE',
  'TBODY',
  'THEAD',
  'TR',
  'UL',
]);
const SKIP = new Set([
  'SCRIPT',
  'STYLE',
  'NOSCRIPT',
  'TEMPLATE',
  'SVG',
  'CANVAS',
  'IFRAME',
  'OBJECT',
]);

/**
 * Text of a DOM subtree with paragraph structure kept: blocks on their own
 * lines, list items marked, `<pre>` verbatim, other whitespace collapsed.
 * Works on detached nodes (no layout needed).
 */
export function blockText(root: Node): string {
  const out: string[] = [];
  const walk = (node: Node, pre: boolean) => {
    if (node.nodeType === 3) {
      const t = node.nodeValue ?? '';
      out.push(pre ? t : t.replace(/\s+/g, ' '));
      return;
    }
    if (node.nodeType !== 1 && node.nodeType !== 11) return;
    const name = node.nodeType === 1 ? (node as Element).tagName.toUpperCase() : '';
    if (SKIP.has(name)) return;
    if (name === 'BR') {
      out.push('\n');
      return;
    }
    const block = BLOCK.has(name);
    if (block) out.push('\n\n');
    const heading = /^H([1-6])$/.exec(name);
    if (heading) out.push(`${'#'.repeat(Number(heading[1]))} `);
    if (name === 'LI') out.push('- ');
    if (name === 'TD' || name === 'TH') out.push(' | ');
    for (const child of node.childNodes) walk(child, pre || name === 'PRE');
    if (block) out.push('\n\n');
  };
  walk(root, false);
  return normalizeText(out.join(''));
}

/** Trims every line, drops runs of blank lines to one, trims the whole. */
export function normalizeText(text: string): string {
  return text
    .split('\n')
    .map((l) => l.replace(/[ \t\u00a0]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * Cuts `text` to at most `maxChars`, preferring the last whitespace in the
 * final 200 characters so no word is split. Never splits a surrogate pair.
 */
export function capText(text: string, maxChars: number): { text: string; truncated: boolean } {
  if (text.length <= maxChars) return { text, truncated: false };
  let end = maxChars;
  const space = text.lastIndexOf(' ', maxChars);
  const nl = text.lastIndexOf('\n', maxChars);
  const cut = Math.max(space, nl);
  if (cut > maxChars - 200 && cut > 0) end = cut;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return { text: text.slice(0, end).trimEnd(), truncated: true };
}

function readabilityText(doc: Document): { title: string; text: string } | null {
  try {
    const clone = doc.cloneNode(true) as Document;
    const article = new Readability<string>(clone, {
      serializer: (node) => blockText(node),
    }).parse();
    const text = article?.content ?? '';
    if (text.length < MIN_ARTICLE_CHARS) return null;
    return { title: article?.title ?? '', text };
  } catch {
    // Readability throws on some malformed documents; the body text still works.
    return null;
  }
}

function bodyText(doc: Document): string {
  const body = doc.body;
  if (!body) return '';
  // innerText (not textContent) on purpose: it follows layout, so hidden text stays out.
  // innerText, not textContent: layout-aware text is the point here.
  const rendered = typeof body.innerText === 'string' ? body.innerText : '';
  return normalizeText(rendered || blockText(body));
}

/**
 * Extracts the page's main text for a summary. Throws nothing: a page with
 * no text gives `text: ''` (the panel says there is nothing to summarize).
 */
export function extractPage(doc: Document, opts: { maxChars?: number } = {}): PageExtract {
  const maxChars = opts.maxChars ?? MAX_PAGE_CHARS;
  const article = readabilityText(doc);
  const full = article?.text ?? bodyText(doc);
  const capped = capText(full, maxChars);
  return {
    title: (doc.title || article?.title || '').trim(),
    url: doc.location?.href ?? doc.URL,
    text: capped.text,
    truncated: capped.truncated,
    totalChars: full.length,
    source: article ? 'readability' : 'body',
  };
}

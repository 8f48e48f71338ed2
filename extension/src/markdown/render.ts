/**
 * Safe markdown for model answers (issue 5 item 5): `marked` turns markdown
 * into HTML, then DOMPurify keeps only a small allowlist. Two layers, each
 * enough on its own:
 *
 * 1. Markdown layer: raw HTML in the answer is escaped and shown as text,
 *    images become their alt text (a remote image would tell a third party
 *    that the user asked something), task-list checkboxes become glyphs.
 * 2. Sanitizer layer (`sanitizeHtml`): no script, event handlers, `style`,
 *    `id`, no `class` but the highlighter's own tokens (`hljs`, `hljs-*` and
 *    `language-*` on `code`/`span`: no spoofing the extension's own UI, no DOM clobbering),
 *    iframes, objects, forms or images; links only `http:`, `https:`,
 *    `mailto:`, opened in a new tab with `rel="noopener noreferrer"`.
 *
 * Fenced code is highlighted here (`code-highlight.ts`) into `span` tokens; the
 * Copy / wrap / label controls are added by the panel (`markdown-view.tsx`), never
 * by this HTML, so a model cannot draw a control.
 *
 * The extension page's CSP blocks remote loads as well; this does not rely
 * on it. Browser-only: needs a DOM (`window`).
 */

import createDOMPurify, { type Config, type DOMPurify } from 'dompurify';
import { Marked } from 'marked';
import { highlightCode, isHighlightClass } from './code-highlight';

/** Tags an answer may contain. Everything else is removed (its text kept). */
export const ALLOWED_TAGS: readonly string[] = [
  'a',
  'b',
  'blockquote',
  'br',
  'code',
  'del',
  'em',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'hr',
  'i',
  'li',
  'ol',
  'p',
  'pre',
  's',
  'span',
  'strong',
  'sub',
  'sup',
  'table',
  'tbody',
  'td',
  'th',
  'thead',
  'tr',
  'ul',
];

/** Attributes an answer may carry; `href` is further limited by {@link SAFE_URL}. */
export const ALLOWED_ATTR: readonly string[] = [
  'href',
  'title',
  'align',
  'start',
  'colspan',
  'rowspan',
  // Only highlighter tokens survive (see the hook in getPurifier).
  'class',
];

/** Link schemes that may survive: web and mail only. Relative links would resolve inside the extension. */
export const SAFE_URL = /^(?:https?:|mailto:)/i;

const CONFIG: Config = {
  ALLOWED_TAGS: [...ALLOWED_TAGS],
  ALLOWED_ATTR: [...ALLOWED_ATTR],
  ALLOWED_URI_REGEXP: SAFE_URL,
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  ALLOW_UNKNOWN_PROTOCOLS: false,
  FORBID_TAGS: [
    'style',
    'script',
    'img',
    'iframe',
    'object',
    'embed',
    'form',
    'input',
    'svg',
    'math',
  ],
  FORBID_ATTR: ['style', 'id', 'srcset', 'src', 'action', 'formaction'],
  KEEP_CONTENT: true,
  RETURN_DOM: false,
  RETURN_DOM_FRAGMENT: false,
  WHOLE_DOCUMENT: false,
};

let purifier: DOMPurify | undefined;

function getPurifier(): DOMPurify {
  if (purifier) return purifier;
  // A private instance: the hook below must not leak into any other DOMPurify user.
  const p = createDOMPurify(window);
  p.addHook('uponSanitizeAttribute', (node, data) => {
    if (data.attrName !== 'class') return;
    const tag = node.nodeName;
    const kept =
      tag === 'SPAN' || tag === 'CODE'
        ? data.attrValue.split(/\s+/).filter(isHighlightClass).join(' ')
        : '';
    if (kept) data.attrValue = kept;
    else data.keepAttr = false;
  });
  p.addHook('afterSanitizeAttributes', (node) => {
    if (node.nodeName !== 'A') return;
    const el = node as Element;
    const href = el.getAttribute('href');
    if (href === null || !SAFE_URL.test(href.trim())) {
      el.removeAttribute('href');
      return;
    }
    el.setAttribute('target', '_blank');
    el.setAttribute('rel', 'noopener noreferrer');
    el.setAttribute('referrerpolicy', 'no-referrer');
  });
  purifier = p;
  return p;
}

/** Escapes text for use inside HTML element content or a quoted attribute. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const markdown = new Marked({ gfm: true, breaks: true, async: false });
markdown.use({
  renderer: {
    // Raw HTML written by the model is shown as text, never interpreted.
    html: ({ text }) => escapeHtml(text),
    // Images are never loaded; the reader sees the alt text instead.
    image: ({ text }) => (text ? `<em>[image: ${escapeHtml(text)}]</em>` : ''),
    checkbox: ({ checked }) => (checked ? '☑ ' : '☐ '),
    code: ({ text, lang }) => highlightCode(text, lang),
  },
});

/**
 * Sanitizes an HTML string with the strict answer policy. Browser-only.
 * Throws nothing; whatever is not allowed is dropped.
 */
export function sanitizeHtml(html: string): string {
  return getPurifier().sanitize(html, CONFIG) as string;
}

/**
 * Renders model markdown to HTML that is safe to assign to `innerHTML` in an
 * extension page. Partial markdown (a streaming answer) renders as far as it goes.
 * Throws nothing.
 */
export function renderMarkdown(src: string): string {
  const html = markdown.parse(src, { async: false });
  return sanitizeHtml(html);
}

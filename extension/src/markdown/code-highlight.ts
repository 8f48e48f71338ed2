/**
 * Syntax highlighting for fenced code in answers: highlight.js core with a chosen set
 * of languages. Chosen over Shiki by bundle size, measured with esbuild (minified,
 * the same 16 languages): highlight.js 87 KB (27 KB gzip) against Shiki 4.6 with its
 * JavaScript regex engine and two themes 1.8 MB (220 KB gzip): TextMate grammars are
 * large (C++ alone is 530 KB), and the panel loads the chunk on every open. The built
 * side-panel chunk (WXT production build) is 244 KB with highlight.js and the rest of
 * issue 19, against 137 KB before; Shiki would have made it about 2 MB.
 *
 * The output is only `span class="hljs-…"` tokens around escaped text, and it still
 * goes through the sanitizer (render.ts), which keeps no other class. No language is
 * guessed (`highlightAuto` is slow and often wrong on short snippets): an unknown or
 * missing fence language is shown as plain text.
 */
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import markdown from 'highlight.js/lib/languages/markdown';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';

const LANGUAGES = {
  bash,
  c,
  cpp,
  css,
  diff,
  go,
  java,
  javascript,
  json,
  markdown,
  python,
  rust,
  sql,
  typescript,
  xml,
  yaml,
};

const highlighter = hljs.newInstance();
for (const [name, lang] of Object.entries(LANGUAGES)) highlighter.registerLanguage(name, lang);
// Model output is hostile: never warn into the console about odd input, never throw.
highlighter.configure({ ignoreUnescapedHTML: true, throwUnescapedHTML: false });

/** A fence's language word, reduced to what may stand in a class name. */
export function fenceLanguage(lang: string | undefined): string {
  const word = (lang ?? '').trim().split(/\s/)[0] ?? '';
  return word
    .toLowerCase()
    .replace(/[^a-z0-9+#-]/g, '')
    .slice(0, 30);
}

/**
 * Classes the sanitizer keeps: highlight.js tokens (`hljs-title`, and the sub-scope
 * suffixes it adds, `function_`, `inherited__`) and the fence language. No class of the
 * extension's own UI has either shape.
 */
export function isHighlightClass(token: string): boolean {
  return /^(?:hljs|hljs-[a-z_-]{1,40}|[a-z]{1,20}_{1,3}|language-[a-z0-9+#-]{1,30})$/.test(token);
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A fenced block as `<pre><code class="hljs language-…">` with token spans. Throws nothing. */
export function highlightCode(raw: string, lang: string | undefined): string {
  // As marked's own renderer: the block ends in one newline (Copy gives whole lines).
  const text = `${raw.replace(/\n$/, '')}\n`;
  const language = fenceLanguage(lang);
  const known = language !== '' && highlighter.getLanguage(language) !== undefined;
  let body = escape(text);
  if (known) {
    try {
      body = highlighter.highlight(text, { language, ignoreIllegals: true }).value;
    } catch {
      // keep the escaped text
    }
  }
  const cls = ['hljs', ...(language ? [`language-${language}`] : [])].join(' ');
  return `<pre><code class="${cls}">${body}</code></pre>\n`;
}

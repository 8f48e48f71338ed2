/**
 * Browser run of the answer renderer (src/markdown/render.ts) in headless
 * Chromium: hostile markdown and HTML go through `renderMarkdown` and
 * `sanitizeHtml`, the output is assigned to `innerHTML` exactly as the side
 * panel does, and the page is checked: only allowlisted tags and attributes,
 * only http/https/mailto links (new tab, no opener, no referrer), no request
 * for the remote image, no payload ran, readable text kept. A control proves
 * the payloads are live: the same HTML unsanitized does run.
 */

import { fileURLToPath } from 'node:url';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, hasChromium, startHarness } from './browser-harness';

const SRC = fileURLToPath(new URL('../src/markdown/', import.meta.url));

/** Each payload sets `window.__pwned` if it ever runs. */
const P = (tag: string) => `window.__pwned=(window.__pwned||[]).concat('${tag}')`;

interface Case {
  name: string;
  input: string;
  /** Text that must still be readable after rendering. */
  keep?: string;
  /** `keep` applies to the markdown path only (as HTML the input is a tag, with no text). */
  markdownOnly?: boolean;
}

const CASES: Case[] = [
  { name: 'img onerror', input: `<img src=x onerror="${P('img')}">`, keep: '' },
  { name: 'script', input: `hello <script>${P('script')}</script> world`, keep: 'hello' },
  { name: 'javascript: link', input: `[click me](javascript:${P('js-link')})`, keep: 'click me' },
  { name: 'JaVaScRiPt: link', input: `[c2](JaVaScRiPt:${P('js-link-case')})`, keep: 'c2' },
  { name: 'entity tab in scheme', input: '[tab](jav&#x09;ascript:alert(1))', keep: 'tab' },
  { name: 'entity colon in scheme', input: '[colon](javascript&#58;alert(1))', keep: 'colon' },
  { name: 'reference link', input: '[ref][1]\n\n[1]: javascript:alert(1)', keep: 'ref' },
  { name: 'remote image', input: '![tracker](https://remote.example/x.png)', keep: 'tracker' },
  { name: 'remote image, html', input: '<img src="https://remote.example/y.png">' },
  {
    name: 'data: link (markdown)',
    input: '[d](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
    keep: 'd',
  },
  {
    name: 'data: link (html)',
    input: `<a href="data:text/html,<script>${P('data')}</script>">data</a>`,
    keep: 'data',
  },
  {
    name: 'iframe',
    input: `<iframe src="https://remote.example/frame" srcdoc="<script>${P('srcdoc')}</script>"></iframe>`,
  },
  { name: 'svg onload', input: `<svg onload="${P('svg')}"><circle r=5 /></svg>` },
  {
    name: 'form',
    input: `<form action="https://remote.example/post"><input name=q value=secret><button formaction="javascript:${P('form')}">go</button></form>`,
    keep: 'go',
  },
  {
    name: 'inline style',
    input: '<p style="background:url(https://remote.example/bg.png)">styled</p>',
    keep: 'styled',
  },
  {
    name: 'onclick on a safe link',
    input: `<a href="https://ok.example/" onclick="${P('onclick')}">ok</a>`,
    keep: 'ok',
  },
  {
    name: 'class/id spoofing',
    input: '<span class="lock-badge" id="answer">badge</span>',
    keep: 'badge',
  },
  { name: 'details ontoggle', input: `<details open ontoggle="${P('toggle')}">x</details>` },
  { name: 'math xlink', input: `<math><mi xlink:href="javascript:${P('math')}">m</mi></math>` },
  {
    name: 'noscript mXSS',
    input: `<noscript><p title="</noscript><img src=x onerror=${P('mxss')}>">`,
  },
  {
    name: 'object/embed',
    input:
      '<object data="https://remote.example/o"></object><embed src="https://remote.example/e">',
  },
  {
    name: 'meta refresh',
    input: '<meta http-equiv="refresh" content="0;url=https://remote.example/">',
  },
  { name: 'base href', input: '<base href="https://remote.example/">' },
  { name: 'link stylesheet', input: '<link rel=stylesheet href="https://remote.example/s.css">' },
  {
    name: 'javascript: autolink',
    input: `<javascript:${P('autolink')}>`,
    keep: 'javascript',
    markdownOnly: true,
  },
  { name: 'video poster', input: '<video poster="https://remote.example/p.png"></video>' },
  {
    name: 'hostile fence language',
    input: `\`\`\`js" onmouseover="${P('fence')}" class="lock-badge\nlet a = 1;\n\`\`\``,
    keep: 'let a = 1;',
    markdownOnly: true,
  },
  {
    name: 'class spoofing beside highlighter tokens',
    input: '<code class="hljs lock-badge"><span class="hljs-keyword btn-primary">x</span></code>',
    keep: 'x',
  },
];

const BENIGN = [
  '# Title',
  '',
  'Some **bold**, _italic_ and `code`.',
  '',
  '- one',
  '- two',
  '',
  '```js',
  'const x = 1 < 2;',
  '```',
  '',
  '| a | b |',
  '|---|---|',
  '| 1 | 2 |',
  '',
  'See <https://example.com/docs> and www.example.org and [mail](mailto:a@example.com).',
].join('\n');

const TAGS = [
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
const ATTRS = [
  'href',
  'title',
  'align',
  'start',
  'colspan',
  'rowspan',
  'class',
  'target',
  'rel',
  'referrerpolicy',
];

interface Inspection {
  badTags: string[];
  badAttrs: string[];
  badHrefs: string[];
  /** Class tokens that are not the highlighter's (`hljs…`, `…_`, `language-…`). */
  badClasses: string[];
  linksWithoutRel: number;
  text: string;
}

/** Renders `input` in the page with `fn`, mounts it, and inspects the result. */
async function mount(page: Page, fn: 'renderMarkdown' | 'sanitizeHtml', input: string) {
  return page.evaluate(
    (fn, input, tags, attrs) => {
      const api = (window as unknown as { sotto: Record<string, (s: string) => string> }).sotto;
      const box = document.createElement('div');
      box.innerHTML = api[fn]!(input);
      document.body.append(box);
      const out: Inspection = {
        badTags: [],
        badAttrs: [],
        badHrefs: [],
        badClasses: [],
        linksWithoutRel: 0,
        text: box.textContent ?? '',
      };
      for (const el of box.querySelectorAll('*')) {
        const tag = el.tagName.toLowerCase();
        if (!tags.includes(tag)) out.badTags.push(tag);
        for (const a of el.getAttributeNames())
          if (!attrs.includes(a)) out.badAttrs.push(`${tag}[${a}]`);
        for (const c of el.classList)
          if (!/^(?:hljs|hljs-[a-z_-]+|[a-z]+_+|language-[a-z0-9+#-]+)$/.test(c))
            out.badClasses.push(`${tag}.${c}`);
        if (el.classList.length > 0 && tag !== 'span' && tag !== 'code')
          out.badClasses.push(`${tag}[class]`);
        const href = el.getAttribute('href');
        if (href !== null && !/^(?:https?:|mailto:)/i.test(href)) out.badHrefs.push(href);
        if (tag === 'a' && href !== null) {
          if (
            el.getAttribute('target') !== '_blank' ||
            el.getAttribute('rel') !== 'noopener noreferrer'
          )
            out.linksWithoutRel++;
        }
      }
      return out;
    },
    fn,
    input,
    TAGS,
    ATTRS,
  ) as Promise<Inspection>;
}

/** Lets pending loads and error events run: a server round trip and two frames. */
async function settle(page: Page, url: string) {
  await page.evaluate(async (u) => {
    await fetch(`${u}settle`).catch(() => undefined);
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  }, url);
}

describe.skipIf(!hasChromium)('answer renderer in headless Chromium', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({
      entry: "export { renderMarkdown, sanitizeHtml } from './render';",
      resolveDir: SRC,
      pages: {
        '/': '<!doctype html><meta charset="utf-8"><body><script src="/bundle.js"></script>',
      },
    });
  });
  afterAll(async () => h?.close());

  it('control: the payloads do run when inserted unsanitized', async () => {
    const page = await h.browser.newPage();
    await page.goto(h.url);
    await page.evaluate(
      (html) => {
        document.body.insertAdjacentHTML('beforeend', html);
      },
      `<img src=x onerror="${P('control')}">`,
    );
    await page.waitForFunction('Array.isArray(window.__pwned)');
    expect(await page.evaluate('window.__pwned')).toEqual(['control']);
    await page.close();
  });

  for (const fn of ['renderMarkdown', 'sanitizeHtml'] as const) {
    it(`${fn}: ${CASES.length} hostile inputs render inert, load nothing remote and keep their text`, async () => {
      const page = await h.browser.newPage();
      const remote: string[] = [];
      const errors: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith(h.url)) remote.push(r.url());
      });
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('dialog', (d) => {
        errors.push(`dialog: ${d.message()}`);
        void d.dismiss();
      });
      await page.goto(h.url);
      for (const c of CASES) {
        const r = await mount(page, fn, c.input);
        expect(r.badTags, c.name).toEqual([]);
        expect(r.badAttrs, c.name).toEqual([]);
        expect(r.badHrefs, c.name).toEqual([]);
        expect(r.badClasses, c.name).toEqual([]);
        expect(r.linksWithoutRel, c.name).toBe(0);
        if (c.keep && (fn === 'renderMarkdown' || !c.markdownOnly))
          expect(r.text, c.name).toContain(c.keep);
      }
      await settle(page, h.url);
      expect(await page.evaluate('window.__pwned')).toBeUndefined();
      expect(remote).toEqual([]);
      expect(errors).toEqual([]);
      expect(page.url()).toBe(h.url);
      await page.close();
    });
  }

  it('renderMarkdown highlights fenced code: token spans, the fence language, escaped text', async () => {
    const page = await h.browser.newPage();
    await page.goto(h.url);
    const r = await mount(
      page,
      'renderMarkdown',
      '```typescript\nconst greet = (n: string) => `hi ${n}` < 2; // <b>not bold</b>\n```\n\n```\nplain <i>text</i>\n```',
    );
    expect(r.badTags).toEqual([]);
    expect(r.badAttrs).toEqual([]);
    expect(r.badClasses).toEqual([]);
    const shape = await page.evaluate(() => {
      const codes = [...document.querySelectorAll('pre code')];
      return {
        classes: codes.map((c) => c.className),
        tokens: [...codes[0]!.querySelectorAll('span')].map(
          (s) => `${s.className}:${s.textContent}`,
        ),
        text: codes.map((c) => c.textContent),
        bold: document.querySelectorAll('pre b, pre i').length,
      };
    });
    expect(shape.classes).toEqual(['hljs language-typescript', 'hljs']);
    expect(shape.tokens).toContain('hljs-keyword:const');
    expect(shape.tokens).toContain('hljs-comment:// <b>not bold</b>');
    expect(shape.text).toEqual([
      'const greet = (n: string) => `hi ${n}` < 2; // <b>not bold</b>\n',
      'plain <i>text</i>\n',
    ]);
    expect(shape.bold).toBe(0);
    await page.close();
  });

  it('renderMarkdown shows raw HTML as text and images as their alt text', async () => {
    const page = await h.browser.newPage();
    await page.goto(h.url);
    const html = await page.evaluate(
      (s) =>
        (
          window as unknown as { sotto: { renderMarkdown: (s: string) => string } }
        ).sotto.renderMarkdown(s),
      'a <b>tag</b> and ![the alt](https://remote.example/i.png)',
    );
    expect(html).toContain('&lt;b&gt;tag&lt;/b&gt;');
    expect(html).toContain('[image: the alt]');
    expect(html).not.toContain('remote.example');
    await page.close();
  });

  it('renderMarkdown keeps ordinary markdown: headings, lists, code, tables, links', async () => {
    const page = await h.browser.newPage();
    await page.goto(h.url);
    const r = await mount(page, 'renderMarkdown', BENIGN);
    expect(r.badTags).toEqual([]);
    expect(r.badAttrs).toEqual([]);
    expect(r.linksWithoutRel).toBe(0);
    for (const t of [
      'Title',
      'bold',
      'italic',
      'one',
      'two',
      'const x = 1 < 2;',
      'a',
      '2',
      'mail',
    ]) {
      expect(r.text).toContain(t);
    }
    const shape = await page.evaluate(() => ({
      h1: document.querySelectorAll('h1').length,
      li: document.querySelectorAll('li').length,
      pre: document.querySelectorAll('pre code').length,
      td: document.querySelectorAll('td').length,
      hrefs: [...document.querySelectorAll('a')].map((a) => a.getAttribute('href')),
    }));
    expect(shape).toEqual({
      h1: 1,
      li: 2,
      pre: 1,
      td: 2,
      hrefs: ['https://example.com/docs', 'http://www.example.org', 'mailto:a@example.com'],
    });
    await page.close();
  });
});

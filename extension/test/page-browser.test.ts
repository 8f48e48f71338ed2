/**
 * Browser run of the content script's logic (src/page/) in headless Chromium:
 * the bundled agent is injected into pages served from 127.0.0.1, the way the
 * extension injects its content script, and answers channel 3 messages.
 * Extraction runs on saved-style fixture pages (news article, docs page, web
 * app); insertion replaces exactly the captured selection in a textarea, an
 * input and a contenteditable region, and the page sees an `input` event.
 */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PageReply, PageSelection, PageText } from '../src/messaging';
import { type Harness, hasChromium, startHarness } from './browser-harness';

const SRC = fileURLToPath(new URL('../src/page/', import.meta.url));
const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

const EDITOR = `<!doctype html><meta charset="utf-8"><title>Editor</title>
<body>
<textarea id="ta">Please fix this sentense quickly. Thanks!</textarea>
<input id="in" type="text" value="hello wrold and friends">
<div id="ce" contenteditable="true"><p>First line here.</p><p>Second <b>bold</b> line.</p></div>
<p id="plain">Plain page text, not editable.</p>
<button id="elsewhere">elsewhere</button>
<script>
  window.events = [];
  for (const id of ['ta', 'in', 'ce']) {
    document.getElementById(id).addEventListener('input', (e) => window.events.push(id + ':' + e.inputType));
  }
</script>
</body>`;

type Agent = { handle(m: unknown): PageReply | undefined };

/** Injects the bundle (like `scripting.executeScript`) and makes an agent with numbered ids. */
async function open(h: Harness, path: string): Promise<Page> {
  const page = await h.browser.newPage();
  await page.goto(h.url + path.slice(1));
  await page.addScriptTag({ url: `${h.url}bundle.js` });
  await page.evaluate(() => {
    let n = 0;
    const w = window as unknown as {
      sotto: { createPageAgent: (d: Document, id: () => string) => Agent };
      agent: Agent;
    };
    w.agent = w.sotto.createPageAgent(document, () => `sel-${++n}`);
  });
  return page;
}

async function send(page: Page, message: unknown): Promise<PageReply> {
  return page.evaluate(
    (m) => (window as unknown as { agent: Agent }).agent.handle(m),
    message,
  ) as Promise<PageReply>;
}

async function value<T>(page: Page, message: unknown): Promise<T> {
  const r = await send(page, message);
  if (!r.ok) throw new Error(`agent error: ${r.error.code} ${r.error.message}`);
  return r.value as T;
}

describe.skipIf(!hasChromium)('content script logic in headless Chromium', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({
      entry: `export { createPageAgent } from './agent'; export { captureSelection } from './selection';`,
      resolveDir: SRC,
      pages: {
        '/news': fixture('news-article.html'),
        '/docs': fixture('docs-page.html'),
        '/app': fixture('app-page.html'),
        '/editor': EDITOR,
      },
    });
  });
  afterAll(async () => h?.close());

  it('news article: Readability finds the story, leaves out chrome, and the live page is untouched', async () => {
    const page = await open(h, '/news');
    const before = await page.evaluate(() => document.documentElement.outerHTML);
    const t = await value<PageText>(page, { type: 'page/extract' });
    expect(t.source).toBe('readability');
    expect(t.title).toBe("Old tram depot to become the city's new library | Harbour Gazette");
    expect(t.url).toBe(`${h.url}news`);
    expect(t.truncated).toBe(false);
    expect(t.totalChars).toBe(t.text.length);
    for (const s of [
      'tram depot on Harbour Street',
      'iron roof trusses',
      'market on Saturdays',
      'That is what this is.',
    ]) {
      expect(t.text).toContain(s);
    }
    for (const s of [
      'Ferry timetable',
      'We use cookies',
      'analyticsQueue',
      'All rights reserved',
      'Subscribe',
    ]) {
      expect(t.text).not.toContain(s);
    }
    // Paragraphs stay apart.
    expect(t.text).toMatch(/a decade\.\n\nUnder the plan/);
    expect(await page.evaluate(() => document.documentElement.outerHTML)).toBe(before);
    await page.close();
  });

  it('a long page is cut at maxChars on a word boundary and says so', async () => {
    const page = await open(h, '/news');
    const full = await value<PageText>(page, { type: 'page/extract' });
    const cut = await value<PageText>(page, { type: 'page/extract', maxChars: 500 });
    expect(cut.truncated).toBe(true);
    expect(cut.totalChars).toBe(full.text.length);
    expect(cut.text.length).toBeLessThanOrEqual(500);
    expect(cut.text.length).toBeGreaterThan(300);
    expect(full.text.startsWith(cut.text)).toBe(true);
    expect(full.text[cut.text.length]).toMatch(/\s/);
    const bad = await send(page, { type: 'page/extract', maxChars: -1 });
    expect(bad.ok).toBe(false);
    await page.close();
  });

  it('docs page: headings, list items and code survive as text', async () => {
    const page = await open(h, '/docs');
    const t = await value<PageText>(page, { type: 'page/extract' });
    expect(t.source).toBe('readability');
    expect(t.text).toContain('- Clone the repository and run the bootstrap script.');
    expect(t.text).toContain('make release\nmake test');
    expect(t.text).toContain('waits on events rather than on fixed delays');
    // Headings as Markdown-style lines: the structure the long-page planner splits on.
    expect(t.text).toMatch(/^#{1,6} \S/m);
    expect(t.text).not.toContain('Search docs');
    await page.close();
  });

  it('a page that is not an article falls back to the rendered body text (hidden text left out)', async () => {
    const page = await open(h, '/app');
    const t = await value<PageText>(page, { type: 'page/extract' });
    expect(t.source).toBe('body');
    expect(t.text).toBe('Weekly report\nLunch on Friday?\nInvoice 2291');
    expect(t.title).toBe('Inbox (3)');
    await page.close();
  });

  it('textarea: replaces exactly the selection, fires input; a second Insert says it was already inserted', async () => {
    const page = await open(h, '/editor');
    await page.evaluate(() => {
      const ta = document.getElementById('ta') as HTMLTextAreaElement;
      ta.focus();
      ta.setSelectionRange(7, 32); // "fix this sentense quickly"
    });
    const sel = await value<PageSelection>(page, { type: 'page/selection' });
    expect(sel).toEqual({
      selectionId: 'sel-1',
      kind: 'textarea',
      text: 'fix this sentense quickly',
      editable: true,
    });
    // The user moves on (focus leaves the field) before pressing Insert.
    await page.focus('#elsewhere');
    const r = await value(page, {
      type: 'page/insert',
      selectionId: 'sel-1',
      text: 'fix this sentence',
    });
    expect(r).toEqual({ ok: true });
    expect(await page.$eval('#ta', (e) => (e as HTMLTextAreaElement).value)).toBe(
      'Please fix this sentence. Thanks!',
    );
    expect(await page.evaluate('window.events')).toEqual(['ta:insertReplacementText']);
    // Bug 5 (issue 11): not "the page was reloaded", and the field is left as it is.
    expect(await value(page, { type: 'page/insert', selectionId: 'sel-1', text: 'again' })).toEqual(
      { ok: false, reason: 'already-inserted' },
    );
    expect(await page.$eval('#ta', (e) => (e as HTMLTextAreaElement).value)).toBe(
      'Please fix this sentence. Thanks!',
    );
    expect(
      await value(page, { type: 'page/insert', selectionId: 'sel-unknown', text: 'x' }),
    ).toEqual({ ok: false, reason: 'unknown-selection' });
    await page.close();
  });

  it('input: replaces the selection and fires input', async () => {
    const page = await open(h, '/editor');
    await page.evaluate(() => {
      const el = document.getElementById('in') as HTMLInputElement;
      el.focus();
      el.setSelectionRange(6, 11); // "wrold"
    });
    const sel = await value<PageSelection>(page, { type: 'page/selection' });
    expect(sel.kind).toBe('input');
    expect(sel.text).toBe('wrold');
    expect(
      await value(page, { type: 'page/insert', selectionId: sel.selectionId, text: 'world' }),
    ).toEqual({ ok: true });
    expect(await page.$eval('#in', (e) => (e as HTMLInputElement).value)).toBe(
      'hello world and friends',
    );
    expect(await page.evaluate('window.events')).toEqual(['in:insertReplacementText']);
    await page.close();
  });

  it('a field edited after the capture: the original is found once and replaced, or the insert is refused', async () => {
    const page = await open(h, '/editor');
    await page.evaluate(() => {
      const ta = document.getElementById('ta') as HTMLTextAreaElement;
      ta.focus();
      ta.setSelectionRange(34, 41); // "Thanks!"
    });
    const sel = await value<PageSelection>(page, { type: 'page/selection' });
    await page.$eval('#ta', (e) => {
      (e as HTMLTextAreaElement).value = `Hi. ${(e as HTMLTextAreaElement).value}`;
    });
    expect(
      await value(page, { type: 'page/insert', selectionId: sel.selectionId, text: 'Thank you.' }),
    ).toEqual({ ok: true });
    expect(await page.$eval('#ta', (e) => (e as HTMLTextAreaElement).value)).toBe(
      'Hi. Please fix this sentense quickly. Thank you.',
    );
    await page.evaluate(() =>
      (document.getElementById('ta') as HTMLTextAreaElement).setSelectionRange(4, 10),
    );
    const sel2 = await value<PageSelection>(page, { type: 'page/selection' });
    await page.$eval('#ta', (e) => {
      (e as HTMLTextAreaElement).value = 'all new text';
    });
    expect(
      await value(page, { type: 'page/insert', selectionId: sel2.selectionId, text: 'x' }),
    ).toEqual({
      ok: false,
      reason: 'changed',
    });
    await page.$eval('#ta', (e) => e.remove());
    await page.evaluate(() => (document.getElementById('in') as HTMLInputElement).focus());
    await page.evaluate(() =>
      (document.getElementById('in') as HTMLInputElement).setSelectionRange(0, 5),
    );
    const sel3 = await value<PageSelection>(page, { type: 'page/selection' });
    await page.$eval('#in', (e) => e.remove());
    expect(
      await value(page, { type: 'page/insert', selectionId: sel3.selectionId, text: 'x' }),
    ).toEqual({
      ok: false,
      reason: 'gone',
    });
    await page.close();
  });

  for (const execCommand of [true, false]) {
    it(`contenteditable (${execCommand ? 'execCommand' : 'Range fallback'}): replaces a selection across elements`, async () => {
      const page = await open(h, '/editor');
      await page.evaluate(() => {
        const ce = document.getElementById('ce') as HTMLElement;
        ce.focus();
        const first = ce.querySelector('p')!.firstChild!; // "First line here."
        const bold = ce.querySelector('b')!.firstChild!; // "bold"
        const r = document.createRange();
        r.setStart(first, 6); // "line here." … "Second bo"
        r.setEnd(bold, 2);
        const s = document.getSelection()!;
        s.removeAllRanges();
        s.addRange(r);
      });
      const sel = await value<PageSelection>(page, { type: 'page/selection' });
      expect(sel.kind).toBe('contenteditable');
      expect(sel.text).toBe('line here.Second bo');
      await page.focus('#elsewhere');
      // Through the captured handle directly, to choose the path.
      const result = await page.evaluate((execCommand) => {
        const w = window as unknown as {
          sotto: {
            captureSelection: (d: Document) => { insert: (t: string, o: object) => unknown } | null;
          };
        };
        const ce = document.getElementById('ce') as HTMLElement;
        ce.focus();
        const r = document.createRange();
        r.setStart(ce.querySelector('p')!.firstChild!, 6);
        r.setEnd(ce.querySelector('b')!.firstChild!, 2);
        document.getSelection()!.removeAllRanges();
        document.getSelection()!.addRange(r);
        const handle = w.sotto.captureSelection(document)!;
        (document.getElementById('elsewhere') as HTMLElement).focus();
        return handle.insert('NEW', { execCommand });
      }, execCommand);
      expect(result).toEqual({ ok: true });
      const text = await page.$eval('#ce', (e) =>
        // innerText: block breaks show as newlines only there.
        (e as HTMLElement).innerText.replace(/\n+/g, '|'),
      );
      // execCommand merges the two paragraphs as typing would; the fallback keeps both blocks.
      expect(text).toBe(execCommand ? 'First NEWld line.' : 'First NEW|ld line.');
      const events = (await page.evaluate('window.events')) as string[];
      expect(events.length).toBe(1);
      expect(events[0]).toMatch(/^ce:insert(Text|ReplacementText)$/);
      await page.close();
    });
  }

  it('plain page text can be captured for a rewrite but not replaced', async () => {
    const page = await open(h, '/editor');
    await page.evaluate(() => {
      const p = document.getElementById('plain')!.firstChild!;
      const r = document.createRange();
      r.setStart(p, 0);
      r.setEnd(p, 15);
      document.getSelection()!.removeAllRanges();
      document.getSelection()!.addRange(r);
    });
    const sel = await value<PageSelection>(page, { type: 'page/selection' });
    expect(sel).toMatchObject({ kind: 'text', text: 'Plain page text', editable: false });
    expect(
      await value(page, { type: 'page/insert', selectionId: sel.selectionId, text: 'x' }),
    ).toEqual({
      ok: false,
      reason: 'read-only',
    });
    await page.evaluate(() => document.getSelection()!.removeAllRanges());
    expect(await value(page, { type: 'page/selection' })).toBeNull();
    // Messages of other channels are left to other listeners; unknown page messages are refused.
    expect(await send(page, { type: 'vault/status' })).toBeUndefined();
    expect(await send(page, { type: 'page/navigate', url: 'https://remote.example/' })).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'invalid' }),
    });
    await page.close();
  });
});

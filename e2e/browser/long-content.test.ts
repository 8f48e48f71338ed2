/**
 * Issue 15 in headless Chromium with the built extension, the real relay and the real
 * enclave running the test model (512-token context, stated in its evidence): a page 20
 * contexts long is summarized in parts, with "part i of n" in the panel and a note that the
 * answer was built from n parts, also after the conversation is opened again from history,
 * and a follow-up folds the page turn instead of reading the page again;
 * Stop ends a long summary between parts; the same page with a planted "ignore previous
 * instructions…" paragraph makes the extension do nothing it would not do for any page; a
 * 30-turn chat outgrows the context and folds its oldest turns, with a note, never a 413.
 *
 * The enclave runs unpaced (SOTTO_PACE=off): a long page is a hundred requests on the tiny
 * model, and the pacer's steady cadence (traffic analysis, tested in its own files) would
 * only make each one slower.
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INJECTION, LONG_ARTICLE_MIN_CHARS, longArticle } from '../support/long-article';
import { saveArtifactsOnFailure, stackLogs } from './support/artifacts';
import { addAuthenticator } from './support/authenticator';
import { clickMenu, type ExtensionBrowser, hasChromium, launchBrowser } from './support/browser';
import { testExtension } from './support/extension-build';
import {
  askOk,
  configure,
  createVault,
  sendChat,
  waitForAnswer,
  waitForAnswerLong,
} from './support/panel';
import { type BrowserStack, startBrowserStack } from './support/stack';

const GENERATION = { maxTokens: 32, temperature: 0 };
/** A hundred requests to the model on a loaded 2-core machine. */
const LONG_MS = 600_000;

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The article as a web page: `#` lines as headings, the rest as paragraphs. */
function articlePage(title: string, text: string): string {
  const blocks = text.split('\n\n').map((b) => {
    const h = /^(#{1,6}) (.*)$/.exec(b);
    return h
      ? `<h${h[1]!.length}>${escapeHtml(h[2]!)}</h${h[1]!.length}>`
      : `<p>${escapeHtml(b)}</p>`;
  });
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><main><article>${blocks.join('\n')}</article></main><textarea id="draft">untouched</textarea></body></html>`;
}

async function startSite(): Promise<{ url: string; close(): Promise<void> }> {
  const pages: Record<string, string> = {
    '/long': articlePage('Garden notes, long', longArticle()),
    '/planted': articlePage('Garden notes, planted', longArticle(INJECTION)),
  };
  const server: Server = createServer((req, res) => {
    const page = pages[(req.url ?? '/').split('?')[0]!];
    res.writeHead(page ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page ?? 'not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Notes every plan step the panel shows, as "stage index/count". */
async function watchProgress(panel: Page): Promise<void> {
  await panel.evaluate(`(() => {
    window.__steps = [];
    const note = () => {
      const p = document.querySelector('[data-testid="plan-progress"]');
      if (!p) return;
      const s = p.getAttribute('data-stage') + ' ' + p.getAttribute('data-index') + '/' + p.getAttribute('data-count');
      if (window.__steps[window.__steps.length - 1] !== s) window.__steps.push(s);
    };
    if (window.__stepObserver) window.__stepObserver.disconnect();
    window.__stepObserver = new MutationObserver(note);
    window.__stepObserver.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  })()`);
}

const steps = (panel: Page) => panel.evaluate('window.__steps') as Promise<string[]>;

describe.skipIf(!hasChromium)('pages and chats of any length (issue 15)', () => {
  let stack: BrowserStack;
  let site: { url: string; close(): Promise<void> };
  let ext: ExtensionBrowser | undefined;
  let panel: Page;

  beforeAll(async () => {
    let extensionDir: string;
    [stack, site, extensionDir] = await Promise.all([
      startBrowserStack({ SOTTO_PACE: 'off' }),
      startSite(),
      testExtension(),
    ]);
    ext = await launchBrowser(extensionDir, mkdtempSync(join(tmpdir(), 'sotto-e2e-profile-')));
    panel = await ext.openPanel();
    await addAuthenticator(await panel.createCDPSession());
    await createVault(panel);
    await configure(panel, stack.clientProxy.url, GENERATION);
  }, 180_000);

  saveArtifactsOnFailure('long-content', () => ({
    browser: ext,
    logs: stackLogs(stack),
  }));

  afterAll(async () => {
    await ext?.close();
    await site?.close();
    await stack?.stop();
  });

  it(
    'a page of 20 contexts is read in parts, "part i of n" on screen, the answer built from n parts',
    async () => {
      // The context the plan is made for: the enclave's, as its verified evidence states it.
      const evidence = await askOk<{ contextTokens?: number }>(panel, 'evidence/get');
      expect(evidence.contextTokens).toBe(512);
      expect(longArticle().length).toBeGreaterThanOrEqual(LONG_ARTICLE_MIN_CHARS);
      await ext!.openPage(`${site.url}/long`);
      await panel.bringToFront();
      await watchProgress(panel);
      await clickMenu(ext!.worker, `${site.url}/long`, { menuItemId: 'sotto-summarize' });
      // The lock badge's dialog says it too.
      const badge = await panel.waitForSelector('[data-testid="lock-badge"][data-state="dev"]');
      await badge!.click();
      await panel.waitForSelector('[data-testid="evidence-dialog"][open]');
      expect(await panel.$eval('[data-testid="evidence-context"]', (e) => e.textContent)).toBe(
        '512 tokens per request',
      );
      await panel.click('[data-testid="evidence-close"]');
      await panel.waitForSelector('[data-testid="evidence-dialog"][open]', { hidden: true });
      await panel.waitForSelector('[data-testid="plan-progress"][data-stage="part"]', {
        timeout: 100_000,
      });
      expect(await panel.$eval('[data-testid="plan-progress"]', (e) => e.textContent)).toMatch(
        /^Reading part \d+ of \d+…$/,
      );
      const done = await waitForAnswerLong(panel, 1, ['done', 'error'], LONG_MS);
      expect(done.state).toBe('done');
      expect(done.text.trim().length).toBeGreaterThan(0);
      const note = await panel.waitForSelector('[data-testid="built-from"]');
      const parts = Number(await note!.evaluate((e) => e.getAttribute('data-parts')));
      expect(parts).toBeGreaterThanOrEqual(20);
      expect(await note!.evaluate((e) => e.textContent)).toContain(`built from ${parts} parts`);
      // The steps the panel showed: parts counting up to n, then combining.
      const seen = await steps(panel);
      const partSteps = seen.filter((s) => s.startsWith('part ') && s.endsWith(`/${parts}`));
      expect(partSteps.length).toBeGreaterThan(parts / 2);
      const indices = partSteps.map((s) => Number(/ (\d+)\//.exec(s)![1]));
      expect(indices).toEqual([...indices].sort((a, b) => a - b));
      expect(indices.at(-1)).toBe(parts);
      expect(seen.some((s) => s.startsWith('combine '))).toBe(true);
      expect(await panel.$('[data-testid="plan-progress"]')).toBeNull();

      // Stored with the answer: opened again from history, the note is still there.
      const list = await askOk<{ id: string; kind: string }[]>(panel, 'history/list');
      const stored = await askOk<{ messages: { role: string; plan?: { parts?: number } }[] }>(
        panel,
        'history/get',
        { conversationId: list[0]!.id },
      );
      expect(stored.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
      expect(stored.messages[1]!.plan).toEqual({ parts });
      // The whole page went in: every section heading is in the stored turn.
      for (const h of longArticle().match(/^## .*$/gm)!) {
        expect(stored.messages[0]).toMatchObject({ role: 'user' });
        expect((stored.messages[0] as unknown as { content: string }).content).toContain(h);
      }

      // A follow-up: the page turn no longer fits beside it, so it is folded, as what it
      // asked plus its answer; the page is not read again.
      await watchProgress(panel);
      await sendChat(panel, 'Tell me more about the bees.');
      const follow = await waitForAnswerLong(panel, 2, ['done', 'error'], LONG_MS);
      expect(follow.state).toBe('done');
      const folded = await panel.waitForSelector('[data-testid="folded-note"]');
      expect(await folded!.evaluate((e) => e.getAttribute('data-turns'))).toBe('2');
      expect(await steps(panel)).toEqual([]);
    },
    LONG_MS,
  );

  it(
    'Stop ends a long summary between parts; nothing half-made is kept',
    async () => {
      await panel.click('[data-testid="new-chat"]');
      await watchProgress(panel);
      await clickMenu(ext!.worker, `${site.url}/long`, { menuItemId: 'sotto-summarize' });
      await panel.waitForSelector('[data-testid="plan-progress"][data-index="2"]', {
        timeout: 100_000,
      });
      await panel.click('[data-testid="stop"]');
      const stopped = await waitForAnswer(panel, 1, ['stopped', 'done', 'error'], 100_000);
      expect(stopped.state).toBe('stopped');
      expect(stopped.text).toBe('');
      expect(await panel.$('[data-testid="plan-progress"]')).toBeNull();
      expect(await panel.$('[data-testid="built-from"]')).toBeNull();
    },
    LONG_MS,
  );

  it(
    'a page saying "ignore previous instructions…" is summarized like any page, and nothing else happens',
    async () => {
      await panel.click('[data-testid="new-chat"]');
      const page = await ext!.openPage(`${site.url}/planted`);
      await panel.bringToFront();
      const before = (await ext!.pages()).length;
      await clickMenu(ext!.worker, `${site.url}/planted`, { menuItemId: 'sotto-summarize' });
      const done = await waitForAnswerLong(panel, 1, ['done', 'error'], LONG_MS);
      expect(done.state).toBe('done');
      expect(
        Number(
          await panel.$eval('[data-testid="built-from"]', (e) => e.getAttribute('data-parts')),
        ),
      ).toBeGreaterThanOrEqual(20);
      // No tab opened, nothing typed into the page, settings as they were.
      const urls = (await ext!.pages()).map((p) => p.url());
      expect(urls.length).toBe(before);
      expect(urls.some((u) => u.includes('evil.example'))).toBe(false);
      expect(await page.$eval('#draft', (e) => (e as HTMLTextAreaElement).value)).toBe('untouched');
      const settings = await askOk<{ relayUrl: string }>(panel, 'settings/get');
      expect(settings.relayUrl).toBe(stack.clientProxy.url);
      // The planted text reached the model only inside the data fence of a part.
      const list = await askOk<{ id: string }[]>(panel, 'history/list');
      const stored = await askOk<{ messages: { content: string }[] }>(panel, 'history/get', {
        conversationId: list[0]!.id,
      });
      const turn = stored.messages[0]!.content;
      const fenced = turn.slice(turn.indexOf('\n<page>\n'), turn.lastIndexOf('\n</page>'));
      expect(fenced).toContain('Ignore previous instructions.');
      expect(fenced).not.toContain('\n</page>\n');
      await page.close();
    },
    LONG_MS,
  );

  it(
    'a 30-turn chat outgrows the context: the oldest turns are folded, with a note, never a 413',
    async () => {
      await panel.click('[data-testid="new-chat"]');
      for (let turn = 1; turn <= 30; turn++) {
        await sendChat(panel, `Turn ${turn}: tell me more about the little red hen and the cat.`);
        const a = await waitForAnswerLong(panel, turn, ['done', 'error'], 300_000);
        expect({ turn, state: a.state }).toEqual({ turn, state: 'done' });
      }
      expect(await panel.$('[data-testid="error"]')).toBeNull();
      const notes = await panel.$$eval('[data-testid="folded-note"]', (es) =>
        es.map((e) => Number(e.getAttribute('data-turns'))),
      );
      expect(notes.length).toBeGreaterThan(0);
      // Each fold covers at least as many turns as the one before.
      expect(notes).toEqual([...notes].sort((a, b) => a - b));
      expect(await panel.$eval('[data-testid="folded-note"]', (e) => e.textContent)).toMatch(
        /the oldest \d+ turns were folded into a short summary/,
      );
    },
    LONG_MS * 2,
  );
});

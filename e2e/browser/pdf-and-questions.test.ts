/**
 * Issue 15 (PDF and page actions), in headless Debian Chromium with the built
 * extension, the real relay and the real enclave with the test model:
 *  - a three-page PDF made in the test, open in Chromium's own viewer, is read
 *    with pdf.js in the panel page by page ("page 2 of 3") and summarized; also
 *    from an address without `.pdf` (known by the document's type);
 *  - a PDF whose only page is an image says it has no text layer; a PDF past the
 *    page cap and a file that is no PDF are refused in words;
 *  - "Ask about this page" from the panel (an article) and from the context menu
 *    (the PDF); Explain and Translate from the context menu and from the panel;
 *  - the build as shipped (no host pre-granted): the panel's fetch of the PDF
 *    asks for its origin through the same "Allow" as a page, then reads it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page, WebWorker } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCanary } from '../support/canary';
import { type ArticleServer, startArticleServer } from './support/article-server';
import { saveArtifactsOnFailure, stackLogs } from './support/artifacts';
import { addAuthenticator } from './support/authenticator';
import {
  clickMenu,
  EXTENSION_ID,
  EXTENSION_ORIGIN,
  type ExtensionBrowser,
  hasChromium,
  launchBrowser,
} from './support/browser';
import { testExtension } from './support/extension-build';
import { askOk, configure, createVault } from './support/panel';
import {
  INJECTION_TITLE,
  JAPANESE_TEXT,
  PDF_PAGES,
  PDF_TITLE,
  type PdfServer,
  startPdfServer,
} from './support/pdf-server';
import { hasSiteAccess, preAnswerSiteAccess } from './support/site-access';
import { type BrowserStack, startBrowserStack } from './support/stack';

const GENERATION = { maxTokens: 16, temperature: 0 };
const FLOW_TIMEOUT_MS = 180_000;
/** The reader's page cap (extension/src/page/pdf.ts `PDF_LIMITS.maxPages`) plus one. */
const PAST_PAGE_CAP = 501;
/** The reader's size cap (`PDF_LIMITS.maxBytes`). */
const SIZE_CAP = 32 * 1024 * 1024;

/** Starts noting every text the page-progress line shows. */
async function watchProgress(panel: Page): Promise<void> {
  await panel.evaluate(`(() => {
    window.__progress = [];
    if (window.__progressObserver) window.__progressObserver.disconnect();
    const note = () => {
      const t = document.querySelector('[data-testid="page-progress"]')?.textContent;
      if (t && window.__progress[window.__progress.length - 1] !== t) window.__progress.push(t);
    };
    window.__progressObserver = new MutationObserver(note);
    window.__progressObserver.observe(document.body, { subtree: true, childList: true, characterData: true });
  })()`);
}

async function progressSeen(panel: Page): Promise<string[]> {
  return (await panel.evaluate('window.__progress || []')) as string[];
}

/** Starts from an empty conversation, so the next answer seen is the next action's. */
async function freshChat(panel: Page): Promise<void> {
  await panel.click('[data-testid="new-chat"]');
  await panel.waitForSelector('[data-testid="empty-state"]');
}

/** Waits until the conversation has one answer and it is done; returns the user turn's label. */
async function answered(panel: Page): Promise<string> {
  await panel.waitForFunction(
    () => {
      const answers = document.querySelectorAll('[data-testid="answer"]');
      return answers.length === 1 && answers[0]!.getAttribute('data-state') === 'done';
    },
    { timeout: 120_000, polling: 'mutation' },
  );
  return panel.$eval('.msg-user .turn-label', (e) => (e.textContent ?? '').trim());
}

/** The conversation's title, once the worker named it (after the answer was stored). */
async function titleMatches(panel: Page, title: RegExp): Promise<void> {
  await panel.waitForFunction(
    (re: string) =>
      new RegExp(re).test(
        document.querySelector('[data-testid="conversation-title"]')?.textContent ?? '',
      ),
    // A title changes its text node only (no childList mutation): poll.
    { timeout: 60_000, polling: 100 },
    title.source,
  );
}

async function problem(panel: Page): Promise<string> {
  const el = await panel.waitForSelector('[data-testid="page-problem"]', { timeout: 60_000 });
  return el!.evaluate((e) => e.textContent ?? '');
}

async function dismissProblem(panel: Page): Promise<void> {
  await panel.click('[data-testid="page-problem-dismiss"]');
  await panel.waitForFunction(() => !document.querySelector('[data-testid="page-problem"]'), {
    polling: 'mutation',
  });
}

describe.skipIf(!hasChromium)('PDFs and questions about pages (issue 15)', () => {
  const canary = makeCanary();
  let stack: BrowserStack;
  let site: ArticleServer;
  let pdfs: PdfServer;
  let ext: ExtensionBrowser | undefined;
  let panel: Page;

  beforeAll(async () => {
    let extensionDir: string;
    [stack, site, pdfs, extensionDir] = await Promise.all([
      startBrowserStack(),
      startArticleServer(canary),
      startPdfServer({ longPages: PAST_PAGE_CAP, maxBytes: SIZE_CAP }),
      testExtension(),
    ]);
    ext = await launchBrowser(extensionDir, mkdtempSync(join(tmpdir(), 'sotto-e2e-pdf-')));
    panel = await ext.openPanel();
    await addAuthenticator(await panel.createCDPSession());
    await createVault(panel);
    await configure(panel, stack.clientProxy.url, GENERATION);
  }, 240_000);

  saveArtifactsOnFailure('pdf-and-questions', () => ({
    browser: ext,
    logs: stackLogs(stack),
  }));

  afterAll(async () => {
    await ext?.close();
    await pdfs?.close();
    await site?.close();
    await stack?.stop();
  });

  it(
    'a multi-page PDF in the viewer is read page by page, then summarized',
    async () => {
      const tab = await ext!.openPage(pdfs.textPdfUrl);
      expect(await tab.evaluate(() => document.contentType)).toBe('application/pdf');
      await panel.bringToFront();
      await freshChat(panel);
      await watchProgress(panel);
      // pdf.js's worker ends with the read: note every worker that starts.
      const workers: string[] = [];
      const onWorker = (w: WebWorker) => workers.push(w.url());
      panel.on('workercreated', onWorker);
      await panel.click('[data-testid="summarize"]');
      const label = await answered(panel);
      panel.off('workercreated', onWorker);
      expect(label).toContain(`Summarize ${PDF_TITLE}`);
      // Every page's text went in: the label counts at least their characters.
      const chars = Number(/([\d,]+) characters of page text/.exec(label)?.[1]?.replace(/,/g, ''));
      expect(chars).toBeGreaterThanOrEqual(PDF_PAGES.join(' ').length);
      const seen = await progressSeen(panel);
      expect(seen).toContain('Reading the PDF: page 1 of 3');
      expect(seen).toContain('Reading the PDF: page 3 of 3');
      expect(seen.indexOf('Reading the PDF: page 1 of 3')).toBeLessThan(
        seen.indexOf('Reading the PDF: page 3 of 3'),
      );
      expect(await panel.$('[data-testid="page-progress"]')).toBeNull();
      // pdf.js ran in its own worker, the bundled file (not its main-thread fallback).
      expect(ext!.console.join('\n')).not.toMatch(/fake worker/i);
      expect(workers.some((u) => /^chrome-extension:\/\/[a-p]+\/assets\/pdf\.worker/.test(u))).toBe(
        true,
      );
      await titleMatches(panel, new RegExp(`^Summary: ${PDF_TITLE}$`));
      await tab.close();
    },
    FLOW_TIMEOUT_MS,
  );

  it(
    'a PDF at an address without .pdf is known by its type and read the same way',
    async () => {
      const tab = await ext!.openPage(pdfs.paperUrl);
      await panel.bringToFront();
      await freshChat(panel);
      await watchProgress(panel);
      await panel.click('[data-testid="summarize"]');
      expect(await answered(panel)).toContain(`Summarize ${PDF_TITLE}`);
      expect(await progressSeen(panel)).toContain('Reading the PDF: page 2 of 3');
      await tab.close();
    },
    FLOW_TIMEOUT_MS,
  );

  it(
    'a Japanese PDF whose font is not embedded is read with the bundled CMaps',
    async () => {
      const tab = await ext!.openPage(pdfs.japanesePdfUrl);
      await panel.bringToFront();
      await freshChat(panel);
      await panel.click('[data-testid="ask-page"]');
      await panel.waitForSelector('[data-testid="ask-panel"]');
      // Exactly its seven characters: read through the CMap, not dropped, not mojibake bytes.
      expect(await panel.$eval('[data-testid="ask-page-info"]', (e) => e.textContent)).toMatch(
        new RegExp(`· ${JAPANESE_TEXT.length} characters of PDF text`),
      );
      await panel.click('[data-testid="ask-cancel"]');
      await tab.close();
    },
    FLOW_TIMEOUT_MS,
  );

  it(
    'a PDF with no text layer says so; past the page or size cap, or not a PDF, it says why',
    async () => {
      const cases: [string, RegExp][] = [
        [pdfs.scanPdfUrl, /This PDF has no text layer: its pages are images/],
        [pdfs.longPdfUrl, /This PDF has more than 500 pages/],
        [pdfs.brokenPdfUrl, /not a PDF Sotto can read/],
        [pdfs.hugePdfUrl, /This PDF is larger than 32 MB/],
        [pdfs.unlabelledPdfUrl, /This PDF is larger than 32 MB/],
      ];
      for (const [url, message] of cases) {
        const tab = await ext!.openPage(url);
        await panel.bringToFront();
        await freshChat(panel);
        await panel.click('[data-testid="summarize"]');
        const text = await problem(panel);
        expect(text).toMatch(message);
        expect(text).not.toMatch(/no text to summarize/);
        // Nothing was sent.
        expect(await panel.$('[data-testid="answer"]')).toBeNull();
        await dismissProblem(panel);
        await tab.close();
      }
    },
    FLOW_TIMEOUT_MS,
  );

  it(
    "a PDF download that stalls is given up after the reader's download time, in words",
    async () => {
      // The viewer never finishes loading it either: open the tab without waiting for that.
      const tab = await ext!.browser.newPage();
      const loading = tab.goto(pdfs.stalledPdfUrl).catch(() => undefined);
      await tab.bringToFront();
      // Once the headers came, the tab shows the PDF's address.
      await ext!.worker.evaluate(`new Promise((resolve) => {
        const check = async () => {
          const [t] = await chrome.tabs.query({ url: ${JSON.stringify(pdfs.stalledPdfUrl)} });
          if (t) resolve(undefined);
          else setTimeout(check, 50);
        };
        void check();
      })`);
      await panel.bringToFront();
      await freshChat(panel);
      await panel.click('[data-testid="summarize"]');
      // The reader's own limit (30 s) decides; the wait here is only longer than it.
      const el = await panel.waitForSelector('[data-testid="page-problem"]', { timeout: 90_000 });
      expect(await el!.evaluate((e) => e.textContent)).toMatch(
        /Reading this PDF took too long, so Sotto stopped/,
      );
      expect(await panel.$('[data-testid="answer"]')).toBeNull();
      await dismissProblem(panel);
      await tab.close();
      await loading;
    },
    FLOW_TIMEOUT_MS,
  );

  it(
    'a PDF whose text gives orders is summarized as data: no tab opened, nothing fetched, nothing written',
    async () => {
      const editor = await ext!.openPage(site.editorUrl);
      const draft = await editor.$eval('#draft', (e) => (e as HTMLTextAreaElement).value);
      const tab = await ext!.openPage(pdfs.injectionPdfUrl);
      const tabsBefore = (await ext!.pages()).length;
      await panel.bringToFront();
      await freshChat(panel);
      await panel.click('[data-testid="summarize"]');
      expect(await answered(panel)).toContain(`Summarize ${INJECTION_TITLE}`);
      // One request, one answer; what the text asked for did not happen.
      expect(await panel.$$eval('.msg-user', (e) => e.length)).toBe(1);
      expect(pdfs.requests()).not.toContain('/evil');
      expect((await ext!.pages()).length).toBe(tabsBefore);
      expect(await editor.$eval('#draft', (e) => (e as HTMLTextAreaElement).value)).toBe(draft);
      await tab.close();
      await editor.close();
    },
    FLOW_TIMEOUT_MS,
  );

  it(
    'Ask about this page from the panel: the page is read, the question typed, the answer given',
    async () => {
      await ext!.openPage(site.articleUrl);
      await panel.bringToFront();
      await freshChat(panel);
      await panel.click('[data-testid="ask-page"]');
      await panel.waitForSelector('[data-testid="ask-panel"]');
      expect(await panel.$eval('[data-testid="ask-page-info"]', (e) => e.textContent)).toMatch(
        /Garden notes .* characters of page text/,
      );
      await panel.type('[data-testid="ask-question"]', 'What grows in the garden?');
      await panel.click('[data-testid="ask-go"]');
      const label = await answered(panel);
      expect(label).toMatch(/^Ask about Garden notes/);
      expect(label).toContain('What grows in the garden?');
      await titleMatches(panel, /^Question: What grows in the garden\?/);
    },
    FLOW_TIMEOUT_MS,
  );

  it(
    'Ask about this page from the context menu, on the PDF',
    async () => {
      await ext!.openPage(pdfs.textPdfUrl);
      await panel.bringToFront();
      await freshChat(panel);
      await watchProgress(panel);
      await clickMenu(ext!.worker, pdfs.textPdfUrl, { menuItemId: 'sotto-ask' });
      await panel.waitForSelector('[data-testid="ask-panel"]');
      expect(await panel.$eval('[data-testid="ask-page-info"]', (e) => e.textContent)).toMatch(
        new RegExp(`${PDF_TITLE} .* characters of PDF text`),
      );
      expect(await progressSeen(panel)).toContain('Reading the PDF: page 3 of 3');
      await panel.type('[data-testid="ask-question"]', 'Where did the fox live?');
      await panel.click('[data-testid="ask-go"]');
      const label = await answered(panel);
      expect(label).toContain(`Ask about ${PDF_TITLE}`);
      expect(label).toContain('Where did the fox live?');
    },
    FLOW_TIMEOUT_MS,
  );

  it(
    'Explain and Translate from the context menu, into the browser language or a chosen one',
    async () => {
      const selection = 'Every spring the children plant new seeds.';
      const cases: [string, RegExp][] = [
        ['sotto-explain', /^Explain/],
        ['sotto-translate:ui', /^Translate into English/],
        ['sotto-translate:de', /^Translate into German/],
      ];
      for (const [menuItemId, shown] of cases) {
        await freshChat(panel);
        await clickMenu(ext!.worker, site.articleUrl, { menuItemId, selectionText: selection });
        const label = await answered(panel);
        expect(label).toMatch(shown);
        expect(label).toContain(selection);
      }
    },
    FLOW_TIMEOUT_MS,
  );

  it(
    'Explain and Translate from the panel act on the selection in the active tab',
    async () => {
      const editor = await ext!.openPage(site.editorUrl);
      const selectAll = () =>
        editor.$eval('#draft', (e) => {
          const t = e as HTMLTextAreaElement;
          t.focus();
          t.setSelectionRange(0, t.value.length);
          return t.value;
        });
      const draft = await selectAll();
      await panel.bringToFront();
      await freshChat(panel);
      await panel.click('[data-testid="explain-selection"]');
      let label = await answered(panel);
      expect(label).toMatch(/^Explain/);
      expect(label).toContain(draft);

      await editor.bringToFront();
      await selectAll();
      await panel.bringToFront();
      await freshChat(panel);
      await panel.click('[data-testid="translate-selection"]');
      await panel.waitForSelector('[data-testid="translate-panel"]');
      // The browser's language is offered first.
      expect(
        await panel.$eval(
          '[data-testid="translate-language"]',
          (e) => (e as HTMLSelectElement).selectedOptions[0]?.textContent,
        ),
      ).toBe('English');
      await panel.select('[data-testid="translate-language"]', 'fr');
      await panel.click('[data-testid="translate-go"]');
      label = await answered(panel);
      expect(label).toMatch(/^Translate into French/);
      expect(label).toContain(draft);
    },
    FLOW_TIMEOUT_MS,
  );
});

describe.skipIf(!hasChromium)('a PDF without site access (the build as shipped)', () => {
  let stack: BrowserStack;
  let pdfs: PdfServer;
  /** Another origin (another port), for the second request. */
  let other: PdfServer;
  let ext: ExtensionBrowser | undefined;
  let panel: Page;

  beforeAll(async () => {
    let extensionDir: string;
    [stack, pdfs, other, extensionDir] = await Promise.all([
      startBrowserStack(),
      startPdfServer({ longPages: 1, maxBytes: SIZE_CAP }),
      startPdfServer({ longPages: 1, maxBytes: SIZE_CAP }),
      testExtension({ preGranted: false }),
    ]);
    ext = await launchBrowser(extensionDir, mkdtempSync(join(tmpdir(), 'sotto-e2e-pdf-access-')));
    panel = await ext.openPanel();
    await addAuthenticator(await panel.createCDPSession());
    // The person's standing answer in Chrome's extension settings (support/site-access.ts).
    await preAnswerSiteAccess(ext.browser, EXTENSION_ID, '*://*/*');
    await createVault(panel);
    // The relay through the options page's own permission request, as a person saves it.
    const options = await ext.browser.newPage();
    await options.goto(`${EXTENSION_ORIGIN}/options.html`);
    await options.waitForSelector('#relay-url');
    await options.$eval('#relay-url', (e) => ((e as HTMLInputElement).value = ''));
    await options.type('#relay-url', stack.clientProxy.url);
    await options.click('#save-relay');
    await options.waitForFunction(
      () => document.querySelector('[data-testid="notice-relay"]')?.textContent === 'Relay saved.',
      // Saving asks for the relay's origin and checks it: slow on a loaded machine.
      { polling: 100, timeout: 120_000 },
    );
    await options.close();
    await askOk(panel, 'settings/set', { developmentMode: true, generation: GENERATION });
  }, 240_000);

  saveArtifactsOnFailure('pdf-and-questions', () => ({
    browser: ext,
    logs: stackLogs(stack),
  }));

  afterAll(async () => {
    await ext?.close();
    await pdfs?.close();
    await other?.close();
    await stack?.stop();
  });

  it(
    'Summarize on a PDF tab from the menu offers Allow for its origin; once allowed, it is read',
    async () => {
      await ext!.openPage(pdfs.textPdfUrl);
      await panel.bringToFront();
      // A real menu click hands the worker the tab with its address (the click's activeTab
      // grant). Without any grant the test cannot find the tab by address, so it hands the
      // worker the newest tab with the address Chrome would show; nothing else is added.
      await ext!.worker.evaluate(`(async () => {
        const tabs = await chrome.tabs.query({});
        const tab = tabs.sort((a, b) => b.id - a.id)[0];
        chrome.contextMenus.onClicked.dispatch(
          { menuItemId: 'sotto-summarize', frameId: 0, editable: false, pageUrl: ${JSON.stringify(pdfs.textPdfUrl)} },
          { ...tab, url: ${JSON.stringify(pdfs.textPdfUrl)} },
        );
      })()`);
      const allow = await panel.waitForSelector('[data-testid="allow-site"]', { timeout: 60_000 });
      expect(await allow!.evaluate((e) => e.getAttribute('data-origin'))).toBe(pdfs.url);
      expect(await hasSiteAccess(panel, pdfs.url)).toBe(false);
      await watchProgress(panel);
      await allow!.click(); // permissions.request inside this click's gesture
      expect(await answered(panel)).toContain(`Summarize ${PDF_TITLE}`);
      expect(await hasSiteAccess(panel, pdfs.url)).toBe(true);
      // Only that origin: the other PDF server is still not allowed.
      expect(await hasSiteAccess(panel, other.url)).toBe(false);
      expect(await progressSeen(panel)).toContain('Reading the PDF: page 3 of 3');
    },
    FLOW_TIMEOUT_MS,
  );

  it(
    'Summarize from the panel on a PDF tab it may not see: Allow for sites, then the PDF is read',
    async () => {
      await ext!.openPage(other.textPdfUrl);
      await panel.bringToFront();
      await freshChat(panel);
      await panel.click('[data-testid="summarize"]');
      // No grant: the browser does not even show the tab's address, so the button asks for sites.
      const allow = await panel.waitForSelector('[data-testid="allow-site"]', { timeout: 60_000 });
      expect(await allow!.evaluate((e) => e.getAttribute('data-origin'))).toBe('*');
      await watchProgress(panel);
      await allow!.click();
      expect(await answered(panel)).toContain(`Summarize ${PDF_TITLE}`);
      expect(await hasSiteAccess(panel, other.url)).toBe(true);
      expect(await progressSeen(panel)).toContain('Reading the PDF: page 3 of 3');
    },
    FLOW_TIMEOUT_MS,
  );
});

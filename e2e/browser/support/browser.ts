/**
 * Headless Debian Chromium with the built extension loaded, as a person's
 * browser: a profile folder on disk (reused on purpose to restart), the
 * extension's service worker, and the side panel page opened in a tab (the
 * real side panel cannot be opened by automation). Collects every console line
 * of the pages and the worker for the failure artifacts.
 */
import type { Browser, Page, WebWorker } from 'puppeteer-core';
import { CHROMIUM, hasChromium, launchChromium } from '../../support/chromium';

export { CHROMIUM, hasChromium };

/** The id the manifest key fixes (wxt.config.ts); also the passkey RP ID. */
export const EXTENSION_ID = 'dnkpelokofdngkeleinjlkmnanbolecg';
export const EXTENSION_ORIGIN = `chrome-extension://${EXTENSION_ID}`;

export interface ExtensionBrowser {
  browser: Browser;
  profileDir: string;
  worker: WebWorker;
  /** Console lines of every page and the worker, in order. */
  console: string[];
  /**
   * Opens `sidepanel.html` in a new tab and waits until the app has read the vault
   * state; `prepare` runs on the blank tab first (e.g. scripts for every new document).
   */
  openPanel(prepare?: (page: Page) => Promise<void>): Promise<Page>;
  /** Opens `url` in a new tab and brings it to the front (the "active tab" beside the panel). */
  openPage(url: string): Promise<Page>;
  /** Every page open now (for screenshots). */
  pages(): Promise<Page[]>;
  close(): Promise<void>;
}

function watch(page: Page, lines: string[], label: string): void {
  page.on('console', (m) => lines.push(`[${label} ${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => lines.push(`[${label} pageerror] ${String(e)}`));
}

/**
 * Starts Chromium with the unpacked extension at `extensionDir` on the profile `profileDir`.
 * @throws Error (puppeteer's) when Chromium or the worker does not start.
 */
export async function launchBrowser(
  extensionDir: string,
  profileDir: string,
  options: { args?: readonly string[] } = {},
): Promise<ExtensionBrowser> {
  const browser = await launchChromium({
    userDataDir: profileDir,
    extensionDir,
    protocolTimeout: 120_000,
    ...(options.args ? { args: options.args } : {}),
  });
  const lines: string[] = [];
  const target = await browser.waitForTarget(
    (t) => t.type() === 'service_worker' && t.url().startsWith(EXTENSION_ORIGIN),
    { timeout: 60_000 },
  );
  const worker = await target.worker();
  if (!worker) throw new Error('the extension service worker did not start');
  worker.on('console', (m) => lines.push(`[worker ${m.type()}] ${m.text()}`));
  return {
    browser,
    profileDir,
    worker,
    console: lines,
    async openPanel(prepare) {
      const page = await browser.newPage();
      watch(page, lines, 'panel');
      await prepare?.(page);
      await page.setViewport({ width: 420, height: 800 });
      await page.goto(`${EXTENSION_ORIGIN}/sidepanel.html`);
      await page.waitForSelector('[data-testid="app"]:not([data-vault="loading"])');
      return page;
    },
    async openPage(url) {
      const page = await browser.newPage();
      watch(page, lines, 'page');
      await page.goto(url);
      await page.bringToFront();
      return page;
    },
    pages: () => browser.pages(),
    async close() {
      await browser.close();
    },
  };
}

/**
 * Clicks one of the extension's context-menu items, as Chrome does when the user
 * picks it: the worker's own `contextMenus.onClicked` listeners run with the
 * click info and the tab (headless Chromium has no menu to click).
 */
export async function clickMenu(
  worker: WebWorker,
  pageUrl: string,
  info: { menuItemId: string; selectionText?: string; editable?: boolean; frameId?: number },
): Promise<void> {
  const code = `(async () => {
    const [tab] = await chrome.tabs.query({ url: ${JSON.stringify(pageUrl)} });
    if (!tab) throw new Error('no tab at ' + ${JSON.stringify(pageUrl)});
    chrome.contextMenus.onClicked.dispatch(
      Object.assign({ frameId: 0, pageUrl: tab.url, editable: false }, ${JSON.stringify(info)}),
      tab,
    );
  })()`;
  await worker.evaluate(code);
}

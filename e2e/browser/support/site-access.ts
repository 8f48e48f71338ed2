/**
 * Site access the way a person gives it, for the one browser test that installs
 * the extension WITHOUT pre-granted hosts (`site-access.test.ts`).
 *
 * Headless Chromium shows `chrome.permissions.request`'s dialog where nobody can
 * click it: the request just waits (measured on Chromium 156), and Chromium has no
 * switch left that auto-accepts it (the old `--apps-gallery-install-auto-confirm-for-tests`
 * is gone). What a person can also do is answer it ahead of time, in Chrome's own
 * extension settings: chrome://extensions → Sotto → Site access. That page does it
 * with `chrome.developerPrivate.addHostPermission(id, pattern)`. The answer is only a
 * stored user choice: the extension still has no access (`permissions.contains` is
 * false, the content script cannot be injected) until its own code calls
 * `permissions.request`, which Chrome then resolves with `true` from that choice
 * instead of showing the dialog.
 */
import type { Browser, Page } from 'puppeteer-core';

/**
 * Answers, ahead of time, "allow" to a site-access request for `pattern` (a match
 * pattern such as `*://*\/*`), through chrome://extensions as a person would.
 * @throws Error when the settings page refuses (its message).
 */
export async function preAnswerSiteAccess(
  browser: Browser,
  extensionId: string,
  pattern: string,
): Promise<void> {
  const page = await browser.newPage();
  try {
    await page.goto(`chrome://extensions/?id=${extensionId}`);
    const error = await page.evaluate(
      async (id: string, host: string) => {
        const dp = (
          globalThis as unknown as {
            chrome: {
              developerPrivate: { addHostPermission(id: string, host: string): Promise<void> };
            };
          }
        ).chrome.developerPrivate;
        try {
          await dp.addHostPermission(id, host);
          return '';
        } catch (e) {
          return String((e as Error).message ?? e);
        }
      },
      extensionId,
      pattern,
    );
    if (error) throw new Error(`chrome://extensions refused site access for ${pattern}: ${error}`);
  } finally {
    await page.close();
  }
}

/** Whether the extension holds host access to `origin` now (asked from one of its pages). */
export async function hasSiteAccess(extensionPage: Page, origin: string): Promise<boolean> {
  return extensionPage.evaluate(
    (o: string) =>
      (
        globalThis as unknown as {
          chrome: { permissions: { contains(p: { origins: string[] }): Promise<boolean> } };
        }
      ).chrome.permissions.contains({ origins: [`${o}/*`] }),
    origin,
  );
}

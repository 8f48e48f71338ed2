/**
 * Builds the real extension into a temporary folder (WXT's own build, the root
 * config) and starts headless Debian Chromium with it loaded, for browser-run
 * tests of the worker, the passkey ceremonies and the pages.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build as esbuild } from 'esbuild';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { build as wxtBuild } from 'wxt';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
export const REPO_ROOT = resolve(import.meta.dirname, '../../..');
/** The id the manifest key fixes (wxt.config.ts). */
export const EXTENSION_ID = 'dnkpelokofdngkeleinjlkmnanbolecg';

export interface ExtensionBrowser {
  browser: Browser;
  /** `chrome-extension://<id>/` */
  origin: string;
  /** Opens an extension page (e.g. `options.html`) with `window.sottoTest` from `entry` injected. */
  openPage(path: string): Promise<Page>;
  close(): Promise<void>;
}

/** Builds the extension into a temp dir; `remove()` deletes it. */
export async function buildExtension(): Promise<{ dir: string; remove(): void }> {
  const outDir = mkdtempSync(join(tmpdir(), 'sotto-ext-build-'));
  await wxtBuild({ root: REPO_ROOT, outDir, logger: silentLogger() as never });
  return {
    dir: join(outDir, 'chrome-mv3'),
    remove: () => rmSync(outDir, { recursive: true, force: true }),
  };
}

function silentLogger() {
  const noop = () => {};
  return {
    debug: noop,
    log: noop,
    info: noop,
    warn: noop,
    error: console.error,
    fatal: console.error,
    success: noop,
    level: 0,
  };
}

/**
 * Starts Chromium with the unpacked extension at `dir`. `entry` is TypeScript
 * (resolved from extension/) bundled as an IIFE and evaluated in each page
 * opened with `openPage` — through DevTools, which the page's CSP does not govern.
 */
export async function startExtensionBrowser(dir: string, entry: string): Promise<ExtensionBrowser> {
  const bundle = await esbuild({
    stdin: { contents: entry, resolveDir: resolve(REPO_ROOT, 'extension'), loader: 'ts' },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  const js = bundle.outputFiles[0]?.text ?? '';
  const profile = mkdtempSync(join(tmpdir(), 'sotto-ext-profile-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    enableExtensions: [dir],
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-sync'],
  });
  const origin = `chrome-extension://${EXTENSION_ID}/`;
  await browser.waitForTarget((t) => t.type() === 'service_worker' && t.url().startsWith(origin));
  return {
    browser,
    origin,
    async openPage(path) {
      const page = await browser.newPage();
      await page.goto(`${origin}${path}`);
      await page.evaluate(js);
      return page;
    },
    async close() {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

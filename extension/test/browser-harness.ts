/**
 * Test harness for browser-run extension tests: bundles a TypeScript entry
 * with esbuild, serves it and a set of pages from 127.0.0.1, and launches
 * headless Debian Chromium on a fresh profile. Pages are plain http pages;
 * the bundle is loaded with `<script src="/bundle.js">` (an IIFE that sets
 * `window.sotto`).
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';
import type { Browser } from 'puppeteer-core';
import { CHROMIUM, hasChromium, launchChromium } from '../../e2e/support/chromium';

export { CHROMIUM, hasChromium };

export interface Harness {
  readonly browser: Browser;
  /** Base URL, ending in `/`. */
  readonly url: string;
  /** Every request path the server saw, in order. */
  readonly requests: string[];
  close(): Promise<void>;
}

/**
 * Vite's `?url` imports (pdf.js's worker file, `src/page/pdf.ts`) as an empty URL: esbuild
 * has no such loader, and no harness page reads a PDF (the built extension does, in
 * `e2e/browser/pdf-and-questions.test.ts`).
 */
const viteUrlImports: Plugin = {
  name: 'vite-url-imports',
  setup(b) {
    b.onResolve({ filter: /\?url$/ }, (a) => ({ path: a.path, namespace: 'vite-url' }));
    b.onLoad({ filter: /.*/, namespace: 'vite-url' }, () => ({
      contents: 'export default "";',
      loader: 'js',
    }));
  },
};

/**
 * Bundles `entry` (source text, resolved from `resolveDir`) as an IIFE named
 * `sotto`, serves it at `/bundle.js` next to `pages` (path → HTML), and
 * starts Chromium. Throws when the bundle fails to build or Chromium fails to start.
 */
export async function startHarness(opts: {
  entry: string;
  resolveDir: string;
  pages: Record<string, string>;
  /** Entry is TSX (Preact's automatic JSX runtime). */
  tsx?: boolean;
  /** Extra static files (path → [content type, body]), e.g. a stylesheet. */
  files?: Record<string, [string, string]>;
}): Promise<Harness> {
  const bundle = await build({
    stdin: { contents: opts.entry, resolveDir: opts.resolveDir, loader: opts.tsx ? 'tsx' : 'ts' },
    ...(opts.tsx ? { jsx: 'automatic' as const, jsxImportSource: 'preact' } : {}),
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'sotto',
    write: false,
    logLevel: 'silent',
    plugins: [viteUrlImports],
  });
  const js = bundle.outputFiles[0]?.contents ?? new Uint8Array();
  const requests: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const path = req.url ?? '/';
    requests.push(path);
    if (path === '/bundle.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
      return;
    }
    const file = opts.files?.[path];
    if (file) {
      res.writeHead(200, { 'content-type': file[0] }).end(file[1]);
      return;
    }
    const page = opts.pages[path];
    if (page === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const dir = mkdtempSync(join(tmpdir(), 'sotto-ext-browser-'));
  const browser = await launchChromium({ userDataDir: join(dir, 'profile') });
  return {
    browser,
    url,
    requests,
    async close() {
      await browser.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

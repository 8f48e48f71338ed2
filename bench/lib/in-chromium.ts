/**
 * Runs one exported async function of a browser-safe module in a fresh headless Chromium
 * page (/usr/bin/chromium through puppeteer-core; the module bundled by esbuild and served
 * from 127.0.0.1), and returns its JSON result.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { BROWSER_ALIASES } from '../../protocol/browser-aliases.mjs';
import { launchChromium } from '../../e2e/support/chromium';

export async function runInChromium<T>(entry: string, fn: string, args: unknown[]): Promise<T> {
  const bundle = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    // @sigstore/*'s `crypto` and `util` -> the @noble shims, as the extension build does.
    alias: BROWSER_ALIASES,
    write: false,
    logLevel: 'silent',
  });
  const js = bundle.outputFiles[0]!.contents;
  const html = `<!doctype html><meta charset="utf-8"><script type="module">
    import * as m from './m.js';
    window.run = (args) => m[${JSON.stringify(fn)}](...args);
    window.ready = true;
  </script>`;
  const server = createServer((req, res) => {
    if (req.url === '/m.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    else if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const dir = mkdtempSync(join(tmpdir(), 'sotto-bench-chromium-'));
  const browser = await launchChromium({
    userDataDir: join(dir, 'profile'),
    protocolTimeout: 600_000,
  });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.waitForFunction('window.ready === true');
    return (await page.evaluate(
      (a) => (window as unknown as { run: (x: unknown[]) => Promise<unknown> }).run(a),
      args,
    )) as T;
  } finally {
    await browser.close();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  }
}

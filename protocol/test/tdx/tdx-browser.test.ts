/**
 * Browser runs of the TDX verifier: the same `attest/tdx` code, bundled by
 * esbuild for the browser (which also proves it needs no `node:` module),
 * runs in headless Debian Chromium (1) in a page and (2) as the service
 * worker of an MV3 extension (default extension CSP), against the real
 * go-tdx-guest quote, its collateral and tampered copies, and must give
 * exactly Node's verdicts and reason codes. The worker also reports whether
 * WebAssembly (what @phala/dcap-qvl-web needs) compiles under the default MV3
 * CSP, the measured fact behind the README's choice.
 * Skipped, with a message, only when /usr/bin/chromium is absent.
 */

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tdxReasonCodes, verifyTdxQuote } from '../../src/attest/tdx';
import { fromBase64, fromHex, toBase64, toHex } from '../../src/bytes';
import { VerificationError } from '../../src/errors';
import { CHROMIUM, hasChromium, launchChromium } from '../../../e2e/support/chromium';
import { AT, flip, TDX_NOW, tdxVectors } from './fixtures';

const TDX_DIR = fileURLToPath(new URL('../../src/attest/tdx/', import.meta.url));

/** A case as plain JSON, so the same data reaches Node, the page and the worker. */
interface Case {
  name: string;
  quote: string; // hex
  collateral: 'none' | 'crls' | 'full';
  mrTd: string | 'any';
  reportData: string | 'any';
  now: string;
}
interface Verdict {
  ok: boolean;
  codes: string[];
  mrTd: string | null;
  fmspc: string | null;
}

const quote = tdxVectors.quote();
const MRTD = toHex(quote.slice(AT.MR_TD, AT.MR_TD + 48));
const REPORT_DATA = toHex(quote.slice(AT.REPORT_DATA, AT.REPORT_DATA + 64));
const COLLATERAL = {
  tcbInfo: tdxVectors.tcbInfo(),
  qeIdentity: tdxVectors.qeIdentity(),
  tcbSigningChain: tdxVectors.tcbSigningChain(),
  pckCrl: toBase64(tdxVectors.pckCrl()),
  rootCrl: toBase64(tdxVectors.rootCrl()),
};
const base = { mrTd: MRTD, reportData: REPORT_DATA, now: TDX_NOW.toISOString() };
const CASES: Case[] = [
  { name: 'genuine', quote: toHex(quote), collateral: 'none', ...base },
  { name: 'genuine with CRLs', quote: toHex(quote), collateral: 'crls', ...base },
  { name: 'genuine with full collateral', quote: toHex(quote), collateral: 'full', ...base },
  { name: 'MRTD flipped', quote: toHex(flip(quote, AT.MR_TD)), collateral: 'none', ...base },
  { name: 'debug TD', quote: toHex(flip(quote, AT.TD_ATTRIBUTES)), collateral: 'none', ...base },
  {
    name: 'QE report flipped',
    quote: toHex(flip(quote, AT.QE_REPORT + 5)),
    collateral: 'none',
    ...base,
  },
  { name: 'truncated', quote: toHex(quote.slice(0, 900)), collateral: 'none', ...base },
  {
    name: 'CRLs expired',
    quote: toHex(quote),
    collateral: 'crls',
    ...base,
    now: '2023-08-01T00:00:00.000Z',
  },
  {
    name: 'report data elsewhere',
    quote: toHex(quote),
    collateral: 'none',
    ...base,
    reportData: '00'.repeat(64),
  },
];

/** The verdict logic, shared verbatim by Node, the page and the worker. */
const VERDICT_SOURCE = `
async function verdict(api, c, coll) {
  const collateral = c.collateral === 'none' ? {} : c.collateral === 'crls'
    ? { pckCrl: api.fromBase64(coll.pckCrl), rootCrl: api.fromBase64(coll.rootCrl) }
    : { ...coll, pckCrl: api.fromBase64(coll.pckCrl), rootCrl: api.fromBase64(coll.rootCrl) };
  const policy = {
    measurements: c.mrTd === 'any' ? 'any' : [{ mrTd: c.mrTd }],
    reportData: c.reportData === 'any' ? 'any' : api.fromHex(c.reportData),
  };
  try {
    const v = await api.verifyTdxQuote(api.fromHex(c.quote), collateral, policy, { now: new Date(c.now) });
    return { ok: true, codes: [], mrTd: v.mrTd, fmspc: v.fmspc };
  } catch (e) {
    if (!(e instanceof api.VerificationError)) return { ok: false, codes: ['THREW:' + e.name], mrTd: null, fmspc: null };
    return { ok: false, codes: [...new Set(api.tdxReasonCodes(e))].sort(), mrTd: null, fmspc: null };
  }
}`;

const indirectEval: (src: string) => unknown = eval;
const nodeVerdict = indirectEval(`(${VERDICT_SOURCE})`) as (
  api: unknown,
  c: Case,
  coll: typeof COLLATERAL,
) => Promise<Verdict>;
const nodeApi = { verifyTdxQuote, tdxReasonCodes, VerificationError, fromHex, fromBase64 };

const EXPECTED: Record<string, Verdict> = {
  genuine: { ok: true, codes: [], mrTd: MRTD, fmspc: '50806f000000' },
  'genuine with CRLs': { ok: true, codes: [], mrTd: MRTD, fmspc: '50806f000000' },
  'genuine with full collateral': {
    ok: false,
    codes: ['cert-validity', 'tcb-level-none'],
    mrTd: null,
    fmspc: null,
  },
  'MRTD flipped': {
    ok: false,
    codes: ['measurement-not-allowed', 'quote-signature'],
    mrTd: null,
    fmspc: null,
  },
  'debug TD': { ok: false, codes: ['quote-signature', 'td-debug'], mrTd: null, fmspc: null },
  'QE report flipped': { ok: false, codes: ['qe-report-signature'], mrTd: null, fmspc: null },
  truncated: { ok: false, codes: ['quote-malformed'], mrTd: null, fmspc: null },
  'CRLs expired': { ok: false, codes: ['crl-validity'], mrTd: null, fmspc: null },
  'report data elsewhere': { ok: false, codes: ['report-data-mismatch'], mrTd: null, fmspc: null },
};

describe('TDX verifier core is browser-safe', () => {
  it('no file in attest/tdx imports a node: module', () => {
    for (const f of readdirSync(TDX_DIR)) {
      expect(readFileSync(join(TDX_DIR, f), 'utf8'), f).not.toMatch(/from ['"]node:/);
    }
  });

  it("Node's verdicts are the expected ones", async () => {
    for (const c of CASES)
      expect(await nodeVerdict(nodeApi, c, COLLATERAL), c.name).toEqual(EXPECTED[c.name]);
  });
});

if (!hasChromium) console.warn(`tdx-browser: ${CHROMIUM} not found; skipping the Chromium runs`);

describe.skipIf(!hasChromium)('TDX verifier in headless Chromium', () => {
  let dir = '';
  let server: Server | undefined;
  let browser: Browser | undefined;
  let url = '';
  let js = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sotto-tdx-browser-'));
    const bundle = await build({
      stdin: {
        contents: `export { verifyTdxQuote, tdxReasonCodes } from './index';
          export { VerificationError } from '../../errors';
          export { fromHex, fromBase64 } from '../../bytes';`,
        resolveDir: TDX_DIR,
        loader: 'ts',
      },
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
    });
    js = bundle.outputFiles[0]!.text;
    const html = `<!doctype html><meta charset="utf-8"><script type="module">
      import * as api from './tdx.js';
      ${VERDICT_SOURCE}
      window.runCases = (cases, coll) => Promise.all(cases.map((c) => verdict(api, c, coll)));
      window.ready = true;
    </script>`;
    server = createServer((req, res) => {
      if (req.url === '/tdx.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
      else if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(html);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

    // An MV3 extension whose service worker is the verifier bundle, with the default CSP.
    const ext = join(dir, 'ext');
    mkdirSync(ext);
    writeFileSync(
      join(ext, 'manifest.json'),
      JSON.stringify({
        manifest_version: 3,
        name: 'sotto-tdx-verifier-test',
        version: '0.0.1',
        background: { service_worker: 'sw.js', type: 'module' },
      }),
    );
    writeFileSync(join(ext, 'tdx.js'), js);
    // The smallest valid WebAssembly module: magic + version.
    writeFileSync(join(ext, 'empty.wasm'), new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    writeFileSync(
      join(ext, 'sw.js'),
      `import * as api from './tdx.js';
      ${VERDICT_SOURCE}
      globalThis.runCases = (cases, coll) => Promise.all(cases.map((c) => verdict(api, c, coll)));
      globalThis.wasmCheck = async () => {
        try {
          const bytes = await (await fetch(chrome.runtime.getURL('empty.wasm'))).arrayBuffer();
          await WebAssembly.compile(bytes);
          return 'compiles';
        } catch (e) { return 'blocked: ' + e.name; }
      };`,
    );
    browser = await launchChromium({ userDataDir: join(dir, 'profile'), extensionDir: ext });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("gives Node's verdicts in a page", async () => {
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(url);
    await page.waitForFunction('window.ready === true');
    const got = (await page.evaluate(
      (cases, coll) =>
        (window as unknown as { runCases: (a: unknown, b: unknown) => Promise<unknown> }).runCases(
          cases,
          coll,
        ),
      CASES,
      COLLATERAL,
    )) as Verdict[];
    expect(errors).toEqual([]);
    expect(Object.fromEntries(CASES.map((c, i) => [c.name, got[i]]))).toEqual(EXPECTED);
    // The same 8-byte module compiles in an ordinary page: what blocks it in the worker is the CSP.
    const compiles = await page.evaluate(async () => {
      await WebAssembly.compile(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
      return true;
    });
    expect(compiles).toBe(true);
    await page.close();
  });

  it("gives Node's verdicts in an MV3 extension service worker; WebAssembly under the default CSP is measured", async () => {
    const target = await browser!.waitForTarget((t) => t.type() === 'service_worker');
    const worker = (await target.worker())!;
    const got = (await worker.evaluate(
      (cases, coll) =>
        (
          globalThis as unknown as { runCases: (a: unknown, b: unknown) => Promise<unknown> }
        ).runCases(cases, coll),
      CASES,
      COLLATERAL,
    )) as Verdict[];
    expect(Object.fromEntries(CASES.map((c, i) => [c.name, got[i]]))).toEqual(EXPECTED);
    const wasm = await worker.evaluate(() =>
      (globalThis as unknown as { wasmCheck: () => Promise<string> }).wasmCheck(),
    );
    console.info(`tdx-browser: WebAssembly in an MV3 worker with the default CSP: ${wasm}`);
    // MV3's default extension CSP has no 'wasm-unsafe-eval': dcap-qvl-web would need the manifest to add it.
    expect(wasm).toBe('blocked: CompileError');
  });
});

/**
 * Browser run of the SEV-SNP verifier: the same `attest/sev` code, bundled by
 * esbuild for the browser (which also proves it needs no `node:` module),
 * runs in headless Debian Chromium against the genuine Milan evidence and
 * tampered copies, and must give exactly Node's verdicts and reason codes.
 * Skipped, with a message, only when /usr/bin/chromium is absent.
 */

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SnpTcb, snpReasonCodes, verifySnpEvidence } from '../src/attest/sev';
import { fromBase64, fromHex, toBase64, toHex } from '../src/bytes';
import { VerificationError } from '../src/errors';
import { flip, MILAN_VECTOR_TCB, NOW, vectors } from './sev-fixtures';
import { CHROMIUM, hasChromium, launchChromium } from '../../e2e/support/chromium';

const SEV_DIR = fileURLToPath(new URL('../src/attest/sev/', import.meta.url));

/** A case as plain JSON, so the same data reaches Node and the page. */
interface Case {
  name: string;
  report: string; // hex
  vcek: string; // base64 DER
  chain?: string; // PEM
  measurements: string[] | 'any';
  reportData: string | 'any';
  allowDebug: boolean;
  /** Per-product TCB floors; absent: the built-in (AMD bulletin) floors. */
  minimumTcb?: Record<string, SnpTcb>;
  now: string;
}

interface Verdict {
  ok: boolean;
  codes: string[];
  product: string | null;
  measurement: string | null;
}

const report = vectors.milanReport();
const milanVcek = toBase64(vectors.milanVcek());
const measurement = toHex(report.slice(0x90, 0xc0));
const reportData = toHex(report.slice(0x50, 0x90));
const base = {
  vcek: milanVcek,
  measurements: [measurement],
  reportData,
  allowDebug: false,
  // The vector's own TCB, below AMD's bulletins: each case then shows only its own refusal.
  minimumTcb: { Milan: MILAN_VECTOR_TCB },
  now: NOW.toISOString(),
};
const CASES: Case[] = [
  { name: 'genuine', report: toHex(report), ...base },
  { name: 'genuine, built-in floor', report: toHex(report), ...base, minimumTcb: undefined },
  { name: 'genuine, explicit chain', report: toHex(report), ...base, chain: vectors.milanChain() },
  { name: 'debug bit', report: toHex(flip(report, 0x0a, 0x08)), ...base },
  {
    name: 'debug bit, allowed',
    report: toHex(flip(report, 0x0a, 0x08)),
    ...base,
    allowDebug: true,
  },
  { name: 'measurement flipped', report: toHex(flip(report, 0xbf)), ...base },
  { name: 'chip id flipped', report: toHex(flip(report, 0x1a0)), ...base },
  { name: 'R high byte', report: toHex(flip(report, 0x2a0 + 50)), ...base },
  { name: 'truncated', report: toHex(report.slice(0, 1000)), ...base },
  { name: 'version 4', report: toHex(flip(report, 0x00, 0x06)), ...base },
  { name: 'version 6', report: toHex(flip(report, 0x00, 0x04)), ...base },
  { name: 'Turin VCEK', report: toHex(report), ...base, vcek: toBase64(vectors.turinVcek()) },
  { name: 'Turin chain', report: toHex(report), ...base, chain: vectors.turinChain() },
  { name: 'expired', report: toHex(report), ...base, now: '2031-01-01T00:00:00.000Z' },
  {
    name: 'report data pinned elsewhere',
    report: toHex(report),
    ...base,
    reportData: '00'.repeat(64),
  },
];

/** The verdict logic, shared verbatim by Node and the page (it only uses the module's API). */
const VERDICT_SOURCE = `
async function verdict(api, c) {
  const hex = (s) => api.fromHex(s);
  const policy = {
    measurements: c.measurements === 'any' ? 'any' : c.measurements.map(hex),
    reportData: c.reportData === 'any' ? 'any' : hex(c.reportData),
    allowDebug: c.allowDebug,
    minimumTcb: c.minimumTcb,
  };
  const input = { report: hex(c.report), vcek: api.fromBase64(c.vcek), chain: c.chain };
  try {
    const v = await api.verifySnpEvidence(input, policy, { now: new Date(c.now) });
    return { ok: true, codes: [], product: v.product, measurement: v.measurement };
  } catch (e) {
    if (!(e instanceof api.VerificationError)) return { ok: false, codes: ['THREW:' + e.name], product: null, measurement: null };
    return { ok: false, codes: [...new Set(api.snpReasonCodes(e))].sort(), product: null, measurement: null };
  }
}`;

// The one verdict function must be byte-identical in Node and the page, hence eval.
const indirectEval: (src: string) => unknown = eval;
const nodeVerdict = indirectEval(`(${VERDICT_SOURCE})`) as (
  api: unknown,
  c: Case,
) => Promise<Verdict>;
const nodeApi = { verifySnpEvidence, snpReasonCodes, VerificationError, fromHex, fromBase64 };

describe('SEV-SNP verifier core is browser-safe', () => {
  it('no file in attest/sev imports a node: module', () => {
    for (const f of readdirSync(SEV_DIR)) {
      const src = readFileSync(join(SEV_DIR, f), 'utf8');
      expect(src, f).not.toMatch(/from ['"]node:/);
    }
  });
});

if (!hasChromium) console.warn(`sev-browser: ${CHROMIUM} not found; skipping the Chromium run`);

describe.skipIf(!hasChromium)('SEV-SNP verifier in headless Chromium', () => {
  let dir = '';
  let server: Server | undefined;
  let browser: Browser | undefined;
  let url = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sotto-sev-browser-'));
    const bundle = await build({
      stdin: {
        contents: `export { verifySnpEvidence, snpReasonCodes } from './index';
          export { VerificationError } from '../../errors';
          export { fromHex, fromBase64 } from '../../bytes';`,
        resolveDir: SEV_DIR,
        loader: 'ts',
      },
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
    });
    const js = bundle.outputFiles[0]!.contents;
    const html = `<!doctype html><meta charset="utf-8"><script type="module">
      import * as api from './sev.js';
      ${VERDICT_SOURCE}
      window.runCases = (cases) => Promise.all(cases.map((c) => verdict(api, c)));
      window.ready = true;
    </script>`;
    server = createServer((req, res) => {
      if (req.url === '/sev.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
      } else if (req.url === '/') {
        res.writeHead(200, { 'content-type': 'text/html' }).end(html);
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    browser = await launchChromium({ userDataDir: join(dir, 'profile') });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("gives Node's verdicts and reason codes for the genuine and tampered evidence", async () => {
    const page = await browser!.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(url);
    await page.waitForFunction('window.ready === true');
    const inBrowser = (await page.evaluate(
      (cases) =>
        (window as unknown as { runCases: (c: unknown) => Promise<unknown> }).runCases(cases),
      CASES,
    )) as Verdict[];
    const inNode: Verdict[] = [];
    for (const c of CASES) inNode.push(await nodeVerdict(nodeApi, c));
    expect(pageErrors).toEqual([]);
    expect(inBrowser).toEqual(inNode);
    // And the verdicts are the expected ones, not merely equal.
    const byName = Object.fromEntries(CASES.map((c, i) => [c.name, inBrowser[i]!]));
    expect(byName.genuine).toEqual({ ok: true, codes: [], product: 'Milan', measurement });
    expect(byName['genuine, explicit chain']?.ok).toBe(true);
    expect(byName['genuine, built-in floor']?.codes).toEqual(['tcb-below-minimum']);
    expect(byName['debug bit']?.codes).toEqual(['policy-debug', 'report-signature']);
    expect(byName['debug bit, allowed']?.codes).toEqual(['report-signature']);
    expect(byName['measurement flipped']?.codes).toEqual([
      'measurement-not-allowed',
      'report-signature',
    ]);
    expect(byName['chip id flipped']?.codes).toEqual(['report-signature', 'vcek-hwid-mismatch']);
    expect(byName['R high byte']?.codes).toEqual(['report-signature-encoding']);
    expect(byName.truncated?.codes).toEqual(['report-malformed']);
    expect(byName['version 4']?.codes).toEqual(['product-unknown', 'report-signature']);
    expect(byName['version 6']?.codes).toEqual(['report-version-unsupported']);
    expect(byName['Turin VCEK']?.codes).toEqual([
      'report-signature',
      'tcb-below-minimum',
      'vcek-hwid-mismatch',
      'vcek-tcb-mismatch',
    ]);
    expect(byName['Turin chain']?.codes).toEqual([
      'ark-not-pinned',
      'cert-issuer-mismatch',
      'vcek-signature',
    ]);
    expect(byName.expired?.codes).toEqual(['cert-validity']);
    expect(byName['report data pinned elsewhere']?.codes).toEqual(['report-data-mismatch']);
    await page.close();
  });
});

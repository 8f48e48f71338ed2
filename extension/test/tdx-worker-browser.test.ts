/**
 * Browser-run: Intel TDX evidence judged inside the BUILT extension's MV3 service worker
 * (WXT's own build, headless Debian Chromium), so the TDX verifier (protocol attest/tdx,
 * reached through evidence v2: evidence/verify-v2.ts) is proven to run from the shipped
 * worker bundle, not only from an esbuild bundle of attest/tdx (protocol/test/tdx/
 * tdx-browser.test.ts). A test HTTP server on 127.0.0.1 (port 0) plays the relay's
 * `/v1/evidence`: `sotto-evidence/2` with the real go-tdx-guest v4 quote, its full Intel
 * PCS collateral (TCB Info, QE Identity, TCB Signing chain, PCK and root CRLs) and a
 * keyless release (test Sigstore, its root set as the custom trusted root in settings)
 * whose `platforms.tdx` lists the quote's MRTD and RTMR0-2.
 *
 * The vectors are from 2023, so the worker's clock is fixed from DevTools (its `Date.now`,
 * which the evidence service reads for the policy's `now`) to TDX_NOW, inside every
 * collateral window: the product carries no clock hook. At that clock the worker must
 * refuse with exactly the reasons the vector set forces (cert-validity, tcb-level-none,
 * report-data-mismatch: as evidence-v2-tdx.test.ts finds in Node), word for word Node's
 * reasons for the same bytes, and each tampered quote must add its own reason.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Page, WebWorker } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTdxQuote } from '../../protocol/src/attest/tdx';
import { toHex } from '../../protocol/src/bytes';
import { VerificationError } from '../../protocol/src/errors';
import { type EvidenceBundleV2, evidenceV2ToJson } from '../../protocol/src/evidence/bundle-v2';
import { verifyAnyEvidence } from '../../protocol/src/client/relay';
import { encodeKeyConfigList, generateKeyConfig } from '../../protocol/src/ohttp';
import { SOTTO_RELEASE_IDENTITY } from '../../protocol/src/release/policy';
import type { ReleaseStatement } from '../../protocol/src/release/statement';
import { MODEL_SHA, payload, statement } from '../../protocol/test/release/fixtures';
import { createTestSigstore, workflowIdentity } from '../../protocol/test/release/test-sigstore';
import { AT, flip, fullCollateral, TDX_NOW, tdxVectors } from '../../protocol/test/tdx/fixtures';
import {
  buildExtension,
  type ExtensionBrowser,
  hasChromium,
  startExtensionBrowser,
} from './support/extension-browser';

const ENTRY = `
import { sendMessage } from './src/messaging';
globalThis.sottoTest = { sendMessage };
`;

/** What the vector set forces at TDX_NOW, in the verifier's order (evidence-v2-tdx.test.ts). */
const FORCED = ['cert-validity', 'tcb-level-none', 'report-data-mismatch'];
/** FORCED, and a TD the release does not list (named before REPORTDATA). */
const NOT_LISTED = [
  'cert-validity',
  'tcb-level-none',
  'measurement-not-allowed',
  'report-data-mismatch',
];

type Reply = { error?: { code: string; reasons?: string[] } };

function send(page: Page, name: string, request: unknown): Promise<Reply> {
  return page.evaluate(
    (n, r) =>
      (
        globalThis as unknown as {
          sottoTest: { sendMessage(n: string, r: unknown): Promise<Reply> };
        }
      ).sottoTest.sendMessage(n, r),
    name,
    request,
  );
}

const codes = (reasons: readonly string[]) =>
  reasons.map((r) => (r.indexOf(':') < 0 ? r : r.slice(0, r.indexOf(':'))));

const quote = tdxVectors.quote();
const q = parseTdxQuote(quote);
const TD = {
  mrtd: toHex(q.td.mrTd),
  rtmr0: toHex(q.td.rtmr[0]),
  rtmr1: toHex(q.td.rtmr[1]),
  rtmr2: toHex(q.td.rtmr[2]),
};

let built: Awaited<ReturnType<typeof buildExtension>> | undefined;
let server: Server | undefined;
let relayUrl = '';
let trustedRoot: unknown;
let releaseBundle: unknown;
let otherRelease: unknown;
/** What the stand-in relay serves at `/v1/evidence` next, and how often it was asked. */
let served = '';
let evidenceRequests = 0;

/** Evidence v2 JSON text as the enclave serves it. */
function evidenceText(over: Partial<Omit<EvidenceBundleV2, 'version'>> = {}): string {
  const c = fullCollateral();
  return JSON.stringify(
    evidenceV2ToJson({
      platform: 'tdx',
      report: quote,
      certificates: {},
      keyConfigs: encodeKeyConfigList([generateKeyConfig(1).config]),
      model: { name: 'stories260K', sha256: MODEL_SHA, contextSize: 512 },
      release: { bundle: releaseBundle },
      keyCreatedAt: new Date(TDX_NOW.getTime() - 60_000),
      collateral: {
        tcbInfo: c.tcbInfo!,
        qeIdentity: c.qeIdentity!,
        tcbSigningChain: c.tcbSigningChain!,
        pckCrl: c.pckCrl as Uint8Array,
        rootCrl: c.rootCrl as Uint8Array,
      },
      ...over,
    }),
  );
}

/** Node's reasons for the same evidence text, at the same clock and trusted root. */
async function nodeReasons(text: string): Promise<string[]> {
  const e = await verifyAnyEvidence(text, { now: TDX_NOW, release: { trustedRoot } }).then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(VerificationError);
  return [...(e as VerificationError).reasons];
}

beforeAll(async () => {
  if (!hasChromium) return;
  const [b, sigstore] = await Promise.all([buildExtension(), createTestSigstore(TDX_NOW)]);
  built = b;
  const path = join(built.dir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as { host_permissions: string[] };
  manifest.host_permissions.push('http://127.0.0.1/*');
  writeFileSync(path, JSON.stringify(manifest));
  trustedRoot = sigstore.trustedRoot;
  const sign = (tdx: ReleaseStatement['predicate']['platforms']['tdx']) => {
    const s = statement({ version: '0.1.1' });
    s.predicate.platforms.tdx = tdx;
    return sigstore.sign(payload(s), {
      identity: workflowIdentity(SOTTO_RELEASE_IDENTITY.repository, 'refs/tags/v0.1.1'),
      signedAt: TDX_NOW,
    });
  };
  releaseBundle = await sign({ measurements: [TD], allowedTcbStatuses: ['UpToDate'] });
  otherRelease = await sign({
    measurements: [{ ...TD, rtmr2: '00'.repeat(48) }],
    allowedTcbStatuses: ['UpToDate'],
  });
  server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/v1/evidence') {
      evidenceRequests++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(served);
    } else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  relayUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 240_000);

afterAll(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  built?.remove();
});

describe.skipIf(!hasChromium)('TDX evidence in the built extension (headless Chromium)', () => {
  let ext: ExtensionBrowser;
  let page: Page;
  let worker: WebWorker;

  /** The worker's verdict on `text`, fetched fresh over HTTP, beside Node's on the same bytes. */
  async function judge(text: string): Promise<{ worker: string[]; node: string[] }> {
    served = text;
    const before = evidenceRequests;
    const r = await send(page, 'evidence/get', { fresh: true });
    expect(evidenceRequests).toBe(before + 1);
    expect(r.error?.code).toBe('evidence-refused');
    return { worker: r.error?.reasons ?? [], node: await nodeReasons(text) };
  }

  beforeAll(async () => {
    ext = await startExtensionBrowser(built!.dir, ENTRY);
    page = await ext.openPage('options.html');
    const target = await ext.browser.waitForTarget(
      (t) => t.type() === 'service_worker' && t.url().startsWith(ext.origin),
    );
    worker = (await target.worker())!;
    // The worker's clock, fixed at TDX_NOW from DevTools; the worker reads it back.
    const now = await worker.evaluate((ms: number) => {
      Date.now = () => ms;
      return Date.now();
    }, TDX_NOW.getTime());
    expect(now).toBe(TDX_NOW.getTime());
    const settings = (await send(page, 'settings/get', {})) as unknown as {
      release: Record<string, unknown>;
    };
    const set = await send(page, 'settings/set', {
      relayUrl,
      release: { ...settings.release, trustedRoot: JSON.stringify(trustedRoot) },
    });
    expect(set.error).toBeUndefined();
  }, 120_000);
  afterAll(async () => {
    await ext?.close();
  });

  it("is verified as TDX by the worker, refused for exactly what the vectors force, in Node's words", async () => {
    const { worker: w, node } = await judge(evidenceText());
    expect(codes(w)).toEqual(FORCED);
    expect(w).toEqual(node);
    expect(w.join('\n')).not.toContain('not supported');
    // The shipped worker bundle is what carries the verifier (the options page only asks it).
    expect(readFileSync(join(built!.dir, 'background.js'), 'utf8')).toContain('tcb-level-none');
  });

  it('adds the reason of each tampering to the quote, as Node does', async () => {
    const cases: [string, Uint8Array, string[]][] = [
      ['MRTD', flip(quote, AT.MR_TD), ['quote-signature', ...NOT_LISTED]],
      ['REPORTDATA', flip(quote, AT.REPORT_DATA), ['quote-signature', ...FORCED]],
      [
        'TD_ATTRIBUTES debug bit',
        flip(quote, AT.TD_ATTRIBUTES),
        ['quote-signature', ...FORCED.slice(0, 2), 'td-debug', 'report-data-mismatch'],
      ],
      [
        'QE report signature',
        flip(quote, AT.QE_REPORT_SIGNATURE),
        ['qe-report-signature', ...FORCED],
      ],
      ['truncated', quote.subarray(0, 1000), ['quote-malformed']],
    ];
    for (const [what, report, expected] of cases) {
      const { worker: w, node } = await judge(evidenceText({ report }));
      expect({ what, codes: codes(w) }).toEqual({ what, codes: expected });
      expect({ what, reasons: w }).toEqual({ what, reasons: node });
    }
  });

  it('refuses a TD its release does not list, and evidence without the TCB collateral', async () => {
    const listed = await judge(evidenceText({ release: { bundle: otherRelease } }));
    expect(codes(listed.worker)).toEqual(NOT_LISTED);
    expect(listed.worker).toEqual(listed.node);
    const bare = await judge(evidenceText({ collateral: undefined }));
    expect(codes(bare.worker)).toContain('collateral-malformed');
    expect(bare.worker).toEqual(bare.node);
  });
});

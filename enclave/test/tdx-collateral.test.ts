/**
 * TDX collateral from a PCCS / Intel PCS: fetched for the quote's FMSPC and
 * PCK CA, cached, refreshed before the earliest nextUpdate, kept while a
 * refresh fails and it is still valid, and bounded against a hostile server.
 * Real network is unavailable here, so a local HTTP server (127.0.0.1, port
 * 0) serves the go-tdx-guest vector collateral the way PCS does (JSON bodies,
 * DER CRLs, URL-encoded issuer chains in headers).
 */
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  parseEvidence,
  parseTdxQuote,
  ServiceError,
  toHex,
  UnreachableError,
  VerificationError,
  verifyEvidence,
} from '@sotto/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTdxCollateralSource, platformOfQuote } from '../src/attestation/tdx-collateral';
import { createTsmProvider } from '../src/attestation/tsm';
import { createEvidenceMaker } from '../src/evidence';

const VEC = resolve(__dirname, '../../../shared/vectors/tdx/go-tdx-guest');
const TDX_NOW = Date.parse('2023-06-20T00:00:00Z');
/** The earliest nextUpdate of the vector collateral (QE Identity). */
const EARLIEST_NEXT_UPDATE = Date.parse('2023-07-08T07:24:59Z');

let quote: Uint8Array;
let files: Record<string, Uint8Array>;
let server: Server;
let base: string;
const requests: string[] = [];
let mode: 'ok' | 'fail' | 'huge' | 'garbage' | 'no-header' = 'ok';

beforeAll(async () => {
  const f = async (n: string) => new Uint8Array(await readFile(join(VEC, n)));
  quote = await f('tdx_prod_quote_SPR_E4.dat');
  files = {
    tcb: await f('sample_tcbInfo_response'),
    qe: await f('sample_qeIdentity_response'),
    chain: await f('tcb_signing_chain.txt'),
    pckcrl: await f('pckcrl'),
    rootcrl: await f('rootcrl.der'),
  };
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (mode === 'fail') return void res.writeHead(503).end();
    const url = new URL(req.url ?? '/', 'http://x');
    const chain = new TextDecoder().decode(files.chain).trim();
    const send = (body: Uint8Array | string, header?: string) => {
      if (header && mode !== 'no-header') res.setHeader(header, chain);
      res.writeHead(200).end(body);
    };
    if (mode === 'huge') return void res.writeHead(200).end(new Uint8Array(300 * 1024));
    if (
      url.pathname === '/tdx/certification/v4/tcb' &&
      url.searchParams.get('fmspc') === '50806f000000'
    ) {
      return send(mode === 'garbage' ? '{"tcbInfo":' : files.tcb!, 'TCB-Info-Issuer-Chain');
    }
    if (url.pathname === '/tdx/certification/v4/qe/identity') {
      return send(files.qe!, 'SGX-Enclave-Identity-Issuer-Chain');
    }
    if (
      url.pathname === '/sgx/certification/v4/pckcrl' &&
      url.searchParams.get('ca') === 'platform'
    ) {
      return send(files.pckcrl!, 'SGX-PCK-CRL-Issuer-Chain');
    }
    // A PCCS serves the root CRL hex-encoded.
    if (url.pathname === '/sgx/certification/v4/rootcacrl') return send(toHex(files.rootcrl!));
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function source(now: { t: number }) {
  return createTdxCollateralSource({ baseUrl: base, now: () => now.t });
}

describe('TDX collateral source (local PCCS stand-in)', () => {
  it("names the quote's platform from its own PCK certificate", () => {
    expect(platformOfQuote(quote)).toEqual({ fmspc: '50806f000000', ca: 'platform' });
  });

  it('fetches the four documents once, as delivered, then serves them from cache', async () => {
    mode = 'ok';
    requests.length = 0;
    const now = { t: TDX_NOW };
    const src = source(now);
    const c = await src.forQuote(quote);
    expect(requests.sort()).toEqual([
      '/sgx/certification/v4/pckcrl?ca=platform&encoding=der',
      '/sgx/certification/v4/rootcacrl',
      '/tdx/certification/v4/qe/identity',
      '/tdx/certification/v4/tcb?fmspc=50806f000000',
    ]);
    expect(c.tcbInfo).toBe(new TextDecoder().decode(files.tcb));
    expect(toHex(c.pckCrl!)).toBe(toHex(files.pckcrl!));
    expect(toHex(c.rootCrl!)).toBe(toHex(files.rootcrl!));
    expect(c.tcbSigningChain).toContain('-----BEGIN%20CERTIFICATE');
    requests.length = 0;
    await src.forQuote(quote);
    expect(requests).toEqual([]);
  });

  it('refreshes within an hour of the earliest nextUpdate; keeps valid collateral when the refresh fails', async () => {
    mode = 'ok';
    const now = { t: TDX_NOW };
    const src = source(now);
    await src.forQuote(quote);
    requests.length = 0;
    now.t = EARLIEST_NEXT_UPDATE - 30 * 60 * 1000;
    await src.forQuote(quote);
    expect(requests).toHaveLength(4);
    mode = 'fail';
    const kept = await src.forQuote(quote);
    expect(kept.qeIdentity).toBe(new TextDecoder().decode(files.qe));
    now.t = EARLIEST_NEXT_UPDATE + 1000;
    await expect(src.forQuote(quote)).rejects.toThrow(ServiceError);
  });

  it('refuses oversized, malformed or incomplete answers, and says when the service is down', async () => {
    const now = { t: TDX_NOW };
    for (const m of ['huge', 'garbage', 'no-header'] as const) {
      mode = m;
      await expect(source(now).forQuote(quote)).rejects.toThrow(ServiceError);
    }
    mode = 'ok';
    const down = createTdxCollateralSource({ baseUrl: 'http://127.0.0.1:1', now: () => now.t });
    await expect(down.forQuote(quote)).rejects.toThrow(UnreachableError);
  });
});

describe('tsm provider on TDX (configfs stand-in with the real quote in a padded buffer)', () => {
  it('puts the collateral in the evidence bundle, and the client verifies it', async () => {
    mode = 'ok';
    const tsm = await mkdtemp(join(tmpdir(), 'sotto-tsm-tdx-'));
    const entry = join(tsm, 'entry');
    await mkdir(entry);
    const padded = new Uint8Array(quote.length + 1024);
    padded.set(quote);
    await writeFile(join(entry, 'outblob'), padded);
    await writeFile(join(entry, 'provider'), 'tdx_guest\n');
    await writeFile(join(entry, 'generation'), '1\n');
    const provider = await createTsmProvider({
      tsmPath: tsm,
      entryName: 'entry',
      tdxCollateral: source({ t: TDX_NOW }),
    });
    const make = createEvidenceMaker(provider, { name: 'm', sha256: '11'.repeat(32) }, 'rel');
    const bundle = parseEvidence(await make(new Uint8Array([1, 0, 0x20]), new Date(TDX_NOW)));
    expect(bundle.platform).toBe('tdx');
    expect(bundle.collateral?.tcbSigningChain).toBeDefined();
    const q = parseTdxQuote(bundle.report);
    const err = await verifyEvidence(bundle, {
      now: new Date(TDX_NOW),
      tdx: { measurements: [{ mrTd: toHex(q.td.mrTd) }] },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VerificationError);
    // The stand-in cannot bind REPORTDATA; the 2023 vector collateral cannot pass (see protocol tests).
    expect((err as VerificationError).reasons.map((r) => r.split(':')[0])).toEqual([
      'cert-validity',
      'tcb-level-none',
      'report-data-mismatch',
    ]);
  });
});

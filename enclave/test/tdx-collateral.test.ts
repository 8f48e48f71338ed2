/**
 * TDX collateral from a PCCS / Intel PCS: fetched for the quote's FMSPC and
 * PCK CA, cached, refreshed before the earliest nextUpdate, kept while a
 * refresh fails and it is still valid, and bounded against a hostile server.
 * Real network is unavailable here, so a local HTTP server (127.0.0.1, port
 * 0) serves the go-tdx-guest vector collateral the way PCS does (JSON bodies,
 * DER CRLs, URL-encoded issuer chains in headers). The configfs stand-in then serves
 * the real quote, and the enclave's v2 evidence (with a release listing that TD) reaches
 * the client's verifyEvidenceV2, which judges it by its TDX checks.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  encodeKeyConfigList,
  generateKeyConfig,
  parseEvidenceV2,
  parseTdxQuote,
  readEvidenceJson,
  RELEASE_PREDICATE_TYPE,
  ReleaseRefusedError,
  type ReleaseStatement,
  ServiceError,
  STATEMENT_TYPE,
  tdxReasonCodes,
  toHex,
  UnreachableError,
  VerificationError,
  verifyEvidenceV2,
} from '@sotto/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInEngineIdentity } from '../src/inference/engine-identity';
import { createTdxCollateralSource, platformOfQuote } from '../src/attestation/tdx-collateral';
import { createTsmProvider } from '../src/attestation/tsm';
import { signStatement } from '../../protocol/src/cli/release-sign';
import { createEvidenceMaker } from '../src/evidence';
import { loadRelease } from '../src/release';

const BUILT_IN_ENGINE = await builtInEngineIdentity();

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

/** A release (managed key) for the test model digest that lists the vector quote's TD. */
async function tdxRelease(dir: string, model: string) {
  const q = parseTdxQuote(quote);
  const s: ReleaseStatement = {
    _type: STATEMENT_TYPE,
    subject: [{ name: 'sotto-enclave-0.1.0.tar', digest: { sha256: '0'.repeat(64) } }],
    predicateType: RELEASE_PREDICATE_TYPE,
    predicate: {
      version: '0.1.0-tdx',
      sourceCommit: 'a'.repeat(40),
      enclaveCodeDigest: { sha384: '0'.repeat(96) },
      model: { name: 'm', sha256: model, contextSize: 512 },
      engine: BUILT_IN_ENGINE,
      platforms: {
        tdx: {
          measurements: [
            {
              mrtd: toHex(q.td.mrTd),
              rtmr0: toHex(q.td.rtmr[0]),
              rtmr1: toHex(q.td.rtmr[1]),
              rtmr2: toHex(q.td.rtmr[2]),
            },
          ],
          allowedTcbStatuses: ['UpToDate'],
        },
      },
    },
  };
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const path = join(dir, 'release.sigstore.json');
  const payload = new TextEncoder().encode(JSON.stringify(s));
  await writeFile(path, JSON.stringify(signStatement(payload, key.privateKey)));
  return {
    release: await loadRelease({ bundle: path }, { sha256: model }, BUILT_IN_ENGINE),
    pem: key.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

describe('tsm provider on TDX (configfs stand-in with the real quote in a padded buffer)', () => {
  it('puts the collateral in the v2 evidence bundle, and the client judges it by its TDX checks', async () => {
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
    const model = '11'.repeat(32);
    const { release, pem } = await tdxRelease(tsm, model);
    const make = createEvidenceMaker(
      provider,
      { name: 'm', sha256: model, contextSize: 512 },
      release,
    );
    const keyConfigs = encodeKeyConfigList([generateKeyConfig(1).config]);
    const bundle = parseEvidenceV2(readEvidenceJson(await make(keyConfigs, new Date(TDX_NOW))));
    expect(bundle.platform).toBe('tdx');
    // The collateral as the PCCS stand-in delivered it, byte for byte, inside v2 evidence.
    expect(bundle.collateral?.tcbInfo).toBe(new TextDecoder().decode(files.tcb));
    expect(bundle.collateral?.qeIdentity).toBe(new TextDecoder().decode(files.qe));
    expect(toHex(bundle.collateral!.pckCrl!)).toBe(toHex(files.pckcrl!));
    expect(toHex(bundle.collateral!.rootCrl!)).toBe(toHex(files.rootcrl!));
    expect(bundle.collateral?.tcbSigningChain).toContain('-----BEGIN%20CERTIFICATE');
    const verify = (managedKeys: string[]) =>
      verifyEvidenceV2(bundle, { now: new Date(TDX_NOW), release: { managedKeys } }).catch(
        (e: unknown) => e,
      );
    const err = await verify([pem]);
    expect(err).toBeInstanceOf(VerificationError);
    expect(err).not.toBeInstanceOf(ReleaseRefusedError);
    // The release verified and lists this TD; the stand-in cannot bind REPORTDATA, and the
    // 2023 vector collateral cannot pass (see protocol/test/evidence/evidence-v2-tdx.test.ts).
    expect(tdxReasonCodes(err as VerificationError)).toEqual([
      'cert-validity',
      'tcb-level-none',
      'report-data-mismatch',
    ]);
    // Without the release's key configured, the release check refuses first.
    expect((await verify([])) as ReleaseRefusedError).toHaveProperty('check', 'signing-key');
  });
});

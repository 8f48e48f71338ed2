/**
 * The worker's evidence service with real AMD SEV-SNP evidence (the virtee Milan
 * report, VCEK and chain from ../shared/vectors) served over HTTP on 127.0.0.1.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { evidenceToJson, fromHex, VerificationError } from '@sotto/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Settings } from '../src/messaging';
import { EvidenceService } from '../src/services/evidence';
import { DEFAULT_SETTINGS } from '../src/services/settings';

const VECTORS = new URL('../../../shared/vectors/sev-snp/virtee-sev/', import.meta.url);
const report = fromHex(readFileSync(new URL('report_milan.hex', VECTORS), 'utf8'));
const MEASUREMENT = Buffer.from(report.subarray(0x90, 0xc0)).toString('hex');
/** Inside the Milan VCEK's validity; the clock is passed in, never read. */
const NOW = Date.parse('2025-01-01T00:00:00Z');

let server: Server;
let relayUrl: string;

beforeAll(async () => {
  const bundle = evidenceToJson({
    platform: 'sev-snp',
    report,
    certificates: {
      vcek: new Uint8Array(readFileSync(new URL('vcek_milan.der', VECTORS))),
      chain: readFileSync(new URL('cert_chain_milan', VECTORS), 'utf8'),
    },
    keyConfigs: new Uint8Array([
      0,
      43,
      1,
      0,
      0x20,
      ...new Uint8Array(32).fill(5),
      0,
      4,
      0,
      1,
      0,
      1,
    ]),
    model: { name: 'm', sha256: new Uint8Array(32) },
    release: { id: 'sotto-enclave/0.1.0' },
    keyCreatedAt: new Date(NOW),
  });
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(bundle));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  relayUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function service(allowedMeasurements: string[]) {
  const settings: Settings = { ...DEFAULT_SETTINGS, relayUrl, allowedMeasurements };
  return new EvidenceService({ settings: async () => settings, now: () => NOW });
}

async function reasons(p: Promise<unknown>): Promise<readonly string[]> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(VerificationError);
  return (e as VerificationError).reasons;
}

describe('extension evidence service with real SEV-SNP evidence', () => {
  it('refuses real-hardware evidence when no release is trusted yet', async () => {
    expect(await reasons(service([]).current())).toEqual([
      'no allowed release measurements are configured',
    ]);
  });

  it("with the release trusted, checks chain, signature and policy, and refuses the 2023 report's TCB (below AMD's bulletins) and its REPORT_DATA binding", async () => {
    // The worker applies the built-in floors (the extension offers no way to lower them), and
    // the real report was taken for someone else's key: those fail, and nothing else.
    const r = await reasons(service([MEASUREMENT]).current());
    expect(r).toEqual([
      'tcb-below-minimum: reported snp SPL 8 is below 29',
      'tcb-below-minimum: reported microcode SPL 115 is below 219',
      'report-data-mismatch: REPORT_DATA is not the expected binding',
    ]);
  });

  it('refuses a measurement that is not the trusted one', async () => {
    const r = await reasons(service(['00'.repeat(48)]).current());
    expect(r.some((x) => /measurement/i.test(x))).toBe(true);
  });
});

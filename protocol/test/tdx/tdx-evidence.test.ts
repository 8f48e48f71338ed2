/**
 * `platform: tdx` through the one `verifyEvidence` entry point: the bundle
 * carries the quote and the Intel PCS collateral (JSON round trip), the TD
 * policy comes in as a plain object, and the refusal names every reason.
 */

import { describe, expect, it } from 'vitest';
import { parseTdxQuote } from '../../src/attest/tdx';
import { toHex } from '../../src/bytes';
import { LimitExceededError, VerificationError } from '../../src/errors';
import {
  type EvidenceBundle,
  evidenceToJson,
  parseEvidence,
  verifyEvidence,
} from '../../src/evidence';
import { fullCollateral, TDX_NOW, tdxVectors } from './fixtures';

function bundle(over: Partial<EvidenceBundle> = {}): EvidenceBundle {
  const c = fullCollateral();
  return {
    platform: 'tdx',
    report: tdxVectors.quote(),
    certificates: {},
    keyConfigs: new Uint8Array([1, 0, 0x20, ...new Uint8Array(32).fill(7), 0, 4, 0, 1, 0, 1]),
    model: { name: 'stories260K', sha256: new Uint8Array(32).fill(1) },
    release: { id: 'sotto-enclave/0.1.0' },
    keyCreatedAt: TDX_NOW,
    collateral: {
      tcbInfo: c.tcbInfo!,
      qeIdentity: c.qeIdentity!,
      tcbSigningChain: c.tcbSigningChain!,
      pckCrl: c.pckCrl as Uint8Array,
      rootCrl: c.rootCrl as Uint8Array,
    },
    ...over,
  };
}

const q = parseTdxQuote(tdxVectors.quote());
const release = {
  mrTd: toHex(q.td.mrTd),
  rtmr0: toHex(q.td.rtmr[0]),
  rtmr1: toHex(q.td.rtmr[1]),
  rtmr2: toHex(q.td.rtmr[2]),
};

async function reasons(p: Promise<unknown>): Promise<string[]> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(VerificationError);
  return [...(e as VerificationError).reasons];
}

describe('verifyEvidence with platform tdx', () => {
  it('the collateral survives the JSON round trip byte for byte', () => {
    const b = bundle();
    const back = parseEvidence(JSON.stringify(evidenceToJson(b)));
    expect(back.platform).toBe('tdx');
    expect(back.collateral?.tcbInfo).toBe(b.collateral?.tcbInfo);
    expect(toHex(back.collateral!.pckCrl!)).toBe(toHex(b.collateral!.pckCrl!));
    expect(toHex(back.report)).toBe(toHex(b.report));
  });

  it('is verified, not refused as unsupported; the refusal names each failed check', async () => {
    const r = await reasons(
      verifyEvidence(bundle(), { now: TDX_NOW, tdx: { measurements: [release] } }),
    );
    const codes = r.map((x) => x.slice(0, x.indexOf(':')));
    // REPORTDATA of the vector quote does not bind this bundle's key config;
    // the 2023 vector collateral cannot pass (see tdx-quote.test.ts).
    expect(codes).toEqual(['cert-validity', 'tcb-level-none', 'report-data-mismatch']);
    expect(r.join('\n')).not.toContain('not supported');
  });

  it('refuses without a TDX release policy, and without collateral', async () => {
    expect(await reasons(verifyEvidence(bundle(), { now: TDX_NOW }))).toEqual([
      'no allowed TDX release measurements are configured',
    ]);
    const r = await reasons(
      verifyEvidence(bundle({ collateral: undefined }), {
        now: TDX_NOW,
        tdx: { measurements: [release] },
      }),
    );
    expect(r.some((x) => x.startsWith('collateral-malformed'))).toBe(true);
  });

  it('refuses a measurement that is not the release', async () => {
    const r = await reasons(
      verifyEvidence(bundle(), {
        now: TDX_NOW,
        tdx: { measurements: [{ ...release, rtmr2: '00'.repeat(48) }] },
      }),
    );
    expect(r.some((x) => x.startsWith('measurement-not-allowed'))).toBe(true);
  });

  it('bounds hostile collateral fields', () => {
    const json = evidenceToJson(bundle());
    const big = { ...json, collateral: { ...json.collateral, tcbInfo: 'x'.repeat(40 * 1024) } };
    expect(() => parseEvidence(big)).toThrow(LimitExceededError);
  });
});

/**
 * Cross-check against an independent DCAP verifier: Phala's `dcap-qvl`
 * (Rust, used in production) as WebAssembly, `@phala/dcap-qvl-web`
 * `js_verify(quote, collateral, now)`, offline. Sotto's TypeScript verifier
 * must reach the same decision on every case, and a refusal must name the
 * same kind of reason dcap-qvl stops at.
 *
 * Limit of the vector set: no clock accepts the full collateral (the only
 * TCB Signing certificate available is a 2025 re-issue, the collateral is
 * from 2023, and the 2022 platform is below every 2023 TCB level), so every
 * case here is a refusal. Agreement on the accepting path is covered by the
 * same library's own test suite, not here.
 */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { initSync, js_verify } from '@phala/dcap-qvl-web';
import { describe, expect, it } from 'vitest';
import {
  splitSignedBody,
  tdxReasonCodes,
  type TdxReasonCode,
  verifyTdxQuote,
} from '../../src/attest/tdx';
import { toHex } from '../../src/bytes';
import { VerificationError } from '../../src/errors';
import { AT, flip, fullCollateral, OPEN_TDX, TDX_NOW, tdxVectors } from './fixtures';

const require = createRequire(import.meta.url);
initSync({ module: readFileSync(require.resolve('@phala/dcap-qvl-web/dcap-qvl-web_bg.wasm')) });

/** dcap-qvl's QuoteCollateralV3, from the PCS bodies as delivered. */
function qvlCollateral(tcbInfoBody = tdxVectors.tcbInfo(), qeBody = tdxVectors.qeIdentity()) {
  const chain = decodeURIComponent(tdxVectors.tcbSigningChain());
  const tcb = splitSignedBody(tcbInfoBody, 'tcbInfo');
  const qe = splitSignedBody(qeBody, 'enclaveIdentity');
  const dec = new TextDecoder();
  return {
    pck_crl_issuer_chain: chain,
    root_ca_crl: toHex(tdxVectors.rootCrl()),
    pck_crl: toHex(tdxVectors.pckCrl()),
    tcb_info_issuer_chain: chain,
    tcb_info: dec.decode(tcb.signedBytes),
    tcb_info_signature: toHex(tcb.signature),
    qe_identity_issuer_chain: chain,
    qe_identity: dec.decode(qe.signedBytes),
    qe_identity_signature: toHex(qe.signature),
  };
}

function qvl(quote: Uint8Array, now: Date, coll = qvlCollateral()): string {
  try {
    js_verify(quote, coll, BigInt(Math.floor(now.getTime() / 1000)));
    return 'accepted';
  } catch (e) {
    return String(e);
  }
}

async function sotto(quote: Uint8Array, now: Date, tcbInfo?: string): Promise<TdxReasonCode[]> {
  const c = fullCollateral();
  try {
    await verifyTdxQuote(quote, { ...c, tcbInfo: tcbInfo ?? c.tcbInfo }, OPEN_TDX, { now });
    return [];
  } catch (e) {
    if (!(e instanceof VerificationError)) throw e;
    return tdxReasonCodes(e);
  }
}

const LATER = new Date('2025-06-01T00:00:00Z');
const q = tdxVectors.quote();

/** [case, quote, clock, dcap-qvl's message must match, Sotto's reasons must include]. */
const CASES: [string, Uint8Array, Date, RegExp, TdxReasonCode][] = [
  [
    'genuine, 2023 clock (TCB Signing certificate not yet valid)',
    q,
    TDX_NOW,
    /certificate chain/i,
    'cert-validity',
  ],
  ['genuine, 2025 clock (collateral expired)', q, LATER, /expired/i, 'collateral-validity'],
  ['MRTD flipped, 2025 clock', flip(q, AT.MR_TD), LATER, /expired/i, 'collateral-validity'],
  ['truncated to 600 bytes', q.subarray(0, 600), TDX_NOW, /./, 'quote-malformed'],
  ['version 7', flip(q, 0, 0x03), TDX_NOW, /./, 'quote-version-unsupported'],
];

describe('Sotto and dcap-qvl decide alike', () => {
  for (const [what, quote, now, qvlReason, ours] of CASES) {
    it(what, async () => {
      const theirs = qvl(quote, now);
      const mine = await sotto(quote, now);
      expect(theirs).not.toBe('accepted');
      expect(theirs).toMatch(qvlReason);
      expect(mine).toContain(ours);
    });
  }

  it('a tampered TCB Info is refused by both', async () => {
    const body = tdxVectors.tcbInfo().replace('"pcesvn":11', '"pcesvn":10');
    expect(qvl(q, TDX_NOW, qvlCollateral(body))).not.toBe('accepted');
    expect(await sotto(q, TDX_NOW, body)).toContain('collateral-signature');
  });
});

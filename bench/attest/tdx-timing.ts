/**
 * TDX verification timings, run the same way in Node and in Chromium (bundled for the page by
 * esbuild; it imports only the browser-safe protocol core). The case is the real go-tdx-guest
 * v4 quote with its full Intel PCS collateral (both CRLs, TCB Info, QE Identity, TCB Signing
 * chain) at a clock inside the collateral's window: every signature is checked (quote, QE
 * report, PCK chain, two CRLs, TCB Signing certificate, two collateral documents), and the
 * verification ends in the refusal this vector set always gives (the 2025 re-issued TCB
 * Signing certificate, the 2022 platform TCB); any other outcome is an error. "First": the
 * very first verification in a fresh process or page; "cold": each later one right after the
 * key-import cache is cleared; "warm": repeated with the keys imported.
 */
import { clearTdxKeyCache } from '../../protocol/src/attest/tdx/certificate';
import { tdxReasonCodes } from '../../protocol/src/attest/tdx/reasons';
import { type TdxCollateral, verifyTdxQuote } from '../../protocol/src/attest/tdx/verify';
import { fromBase64, fromHex } from '../../protocol/src/bytes';
import { VerificationError } from '../../protocol/src/errors';

export interface TdxTimings {
  firstMs: number;
  coldMs: number[];
  warmMs: number[];
}

export interface TdxBenchInput {
  quoteHex: string;
  tcbInfo: string;
  qeIdentity: string;
  tcbSigningChain: string;
  pckCrlBase64: string;
  rootCrlBase64: string;
}

const NOW = new Date('2023-06-20T00:00:00Z');
const EXPECTED = 'cert-validity,tcb-level-none';

async function once(quote: Uint8Array, collateral: TdxCollateral): Promise<number> {
  const t = performance.now();
  try {
    await verifyTdxQuote(
      quote,
      collateral,
      { measurements: 'any', reportData: 'any' },
      { now: NOW },
    );
  } catch (e) {
    if (!(e instanceof VerificationError) || tdxReasonCodes(e).join(',') !== EXPECTED) throw e;
  }
  return performance.now() - t;
}

export async function runTdxTimings(
  input: TdxBenchInput,
  rounds: number,
  warmRuns: number,
): Promise<TdxTimings> {
  const quote = fromHex(input.quoteHex);
  const collateral: TdxCollateral = {
    tcbInfo: input.tcbInfo,
    qeIdentity: input.qeIdentity,
    tcbSigningChain: input.tcbSigningChain,
    pckCrl: fromBase64(input.pckCrlBase64),
    rootCrl: fromBase64(input.rootCrlBase64),
  };
  const firstMs = await once(quote, collateral);
  const coldMs: number[] = [];
  const warmMs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    clearTdxKeyCache();
    coldMs.push(await once(quote, collateral));
    for (let j = 0; j < warmRuns; j++) warmMs.push(await once(quote, collateral));
  }
  return { firstMs, coldMs, warmMs };
}

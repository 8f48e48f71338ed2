/**
 * Cold and warm timings of TDX quote verification, for the benchmarks (no
 * assertions on time are made anywhere in tests). Cold: the first
 * verification after the WebCrypto key-import cache is cleared; warm: the
 * same verification repeated. Uses `performance.now()` (Node and browsers).
 */

import { clearTdxKeyCache } from './certificate';
import type { TdxAcceptancePolicy } from './policy';
import { type TdxCollateral, type TdxVerifyOptions, verifyTdxQuote } from './verify';

export interface TdxVerificationTiming {
  readonly coldMs: number;
  readonly warmMs: readonly number[];
}

/**
 * Times one cold and `warmRuns` warm verifications of the same quote.
 * @throws VerificationError when the quote is refused.
 */
export async function timeTdxVerification(
  quote: Uint8Array,
  collateral: TdxCollateral,
  policy: TdxAcceptancePolicy,
  opts: TdxVerifyOptions & { readonly warmRuns?: number } = {},
): Promise<TdxVerificationTiming> {
  clearTdxKeyCache();
  let t = performance.now();
  await verifyTdxQuote(quote, collateral, policy, opts);
  const coldMs = performance.now() - t;
  const warmMs: number[] = [];
  for (let i = 0; i < (opts.warmRuns ?? 10); i++) {
    t = performance.now();
    await verifyTdxQuote(quote, collateral, policy, opts);
    warmMs.push(performance.now() - t);
  }
  return { coldMs, warmMs };
}

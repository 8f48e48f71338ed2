/**
 * Cold and warm timings of SEV-SNP verification, for the benchmarks (no
 * assertions on time are made anywhere in tests). Cold: the first
 * verification after the WebCrypto key-import cache is cleared; warm: the
 * same verification repeated with keys already imported. Uses
 * `performance.now()`, available in Node and browsers.
 */

import { clearSnpKeyCache } from './certificate';
import type { SnpAcceptancePolicy } from './policy';
import { type SnpEvidenceInput, type SnpVerifyOptions, verifySnpEvidence } from './verify';

export interface SnpVerificationTiming {
  /** Milliseconds of the first verification after clearing the key cache. */
  readonly coldMs: number;
  /** Milliseconds of each warm verification, in order. */
  readonly warmMs: readonly number[];
}

/**
 * Times one cold and `warmRuns` warm verifications of the same evidence.
 * @throws VerificationError when the evidence is refused (timings of refusals are not recorded).
 */
export async function timeSnpVerification(
  input: SnpEvidenceInput,
  policy: SnpAcceptancePolicy,
  opts: SnpVerifyOptions & { readonly warmRuns?: number } = {},
): Promise<SnpVerificationTiming> {
  clearSnpKeyCache();
  let t = performance.now();
  await verifySnpEvidence(input, policy, opts);
  const coldMs = performance.now() - t;
  const warmMs: number[] = [];
  for (let i = 0; i < (opts.warmRuns ?? 10); i++) {
    t = performance.now();
    await verifySnpEvidence(input, policy, opts);
    warmMs.push(performance.now() - t);
  }
  return { coldMs, warmMs };
}

/**
 * Sotto's acceptance policy for a TD ("Intel TDX Module Base Architecture
 * Specification" §"TD Attributes": bit 0 TUD.DEBUG; the TD measurement
 * registers MRTD, RTMR0–3, MRCONFIGID, MROWNER): what a verified quote must
 * show before the client sends anything to it. A plain object, so a release
 * manifest (MRTD + RTMR0–2) or the CLI can fill it.
 */

import { equalBytes, fromHex, toHex } from '../../bytes';
import type { TdxTcbStatus } from './constants';
import type { TdxQuote } from './quote';
import { failure, type TdxFailure } from './reasons';

/**
 * One accepted set of TD measurements, hex. `mrTd` is required; each other
 * field, when set, must match too (MRCONFIGID and MROWNER only when set).
 */
export interface TdxExpectedMeasurements {
  readonly mrTd: string;
  readonly rtmr0?: string;
  readonly rtmr1?: string;
  readonly rtmr2?: string;
  readonly rtmr3?: string;
  readonly mrConfigId?: string;
  readonly mrOwner?: string;
}

export interface TdxAcceptancePolicy {
  /** Accepted measurement sets (any one must match in full), or `'any'` to skip. */
  readonly measurements: readonly TdxExpectedMeasurements[] | 'any';
  /** The REPORTDATA the evidence binding demands (64 bytes), or `'any'`. */
  readonly reportData: Uint8Array | 'any';
  /** TCB statuses accepted besides none; default `['UpToDate']`. `Revoked` is never accepted. */
  readonly allowedTcbStatuses?: readonly TdxTcbStatus[];
  /** Refuse unless TCB Info, QE Identity and both CRLs are given and check out. Default false. */
  readonly requireCollateral?: boolean;
}

export const DEFAULT_TDX_TCB_STATUSES: readonly TdxTcbStatus[] = ['UpToDate'];

const FIELDS = [
  ['mrTd', 'MRTD', (q: TdxQuote) => q.td.mrTd],
  ['rtmr0', 'RTMR0', (q: TdxQuote) => q.td.rtmr[0]],
  ['rtmr1', 'RTMR1', (q: TdxQuote) => q.td.rtmr[1]],
  ['rtmr2', 'RTMR2', (q: TdxQuote) => q.td.rtmr[2]],
  ['rtmr3', 'RTMR3', (q: TdxQuote) => q.td.rtmr[3]],
  ['mrConfigId', 'MRCONFIGID', (q: TdxQuote) => q.td.mrConfigId],
  ['mrOwner', 'MROWNER', (q: TdxQuote) => q.td.mrOwner],
] as const;

/** The fields of `want` the quote does not match (names only; empty when it matches). */
function mismatches(quote: TdxQuote, want: TdxExpectedMeasurements): string[] {
  const out: string[] = [];
  for (const [key, name, get] of FIELDS) {
    const hex = want[key];
    if (hex === undefined) continue;
    let expected: Uint8Array;
    try {
      expected = fromHex(hex);
    } catch {
      out.push(`${name} (policy value is not hex)`);
      continue;
    }
    if (!equalBytes(expected, get(quote))) out.push(name);
  }
  return out;
}

/** The TD attribute and measurement checks (TCB status is checked in verify.ts). */
export function evaluateTdxPolicy(quote: TdxQuote, policy: TdxAcceptancePolicy): TdxFailure[] {
  const out: TdxFailure[] = [];
  if ((quote.td.tdAttributes[0]! & 0x01) !== 0) {
    out.push(failure('td-debug', `TD_ATTRIBUTES ${toHex(quote.td.tdAttributes)} has DEBUG set`));
  }
  if (policy.measurements !== 'any') {
    const misses = policy.measurements.map((m) => mismatches(quote, m));
    if (misses.length === 0 || misses.every((m) => m.length > 0)) {
      const detail =
        misses.length === 0
          ? 'no measurements are allowed'
          : `${misses[0]!.join(', ')} not as allowed`;
      out.push(failure('measurement-not-allowed', detail));
    }
  }
  if (policy.reportData !== 'any' && !equalBytes(policy.reportData, quote.td.reportData)) {
    out.push(failure('report-data-mismatch', 'REPORTDATA is not the expected binding'));
  }
  return out;
}

/** Whether `status` is accepted under the policy (`Revoked` never is). */
export function tdxStatusAllowed(status: TdxTcbStatus, policy: TdxAcceptancePolicy): boolean {
  if (status === 'Revoked') return false;
  return (policy.allowedTcbStatuses ?? DEFAULT_TDX_TCB_STATUSES).includes(status);
}

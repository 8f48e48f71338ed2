/**
 * The Intel TDX acceptance policy of v2 evidence (`verify-v2.ts`): which TDs the client
 * sends to. It comes from the verified release (the predicate's `platforms.tdx`,
 * `release/statement.ts`: MRTD and RTMR0–2 of each genuine launch, and the TCB statuses
 * the release accepts) or, under the expert override, from the user's own lists:
 * `policy.tdx` (full measurement sets, as v1 takes them) and `allowedMeasurements`
 * (hex, each an MRTD; RTMRs are then not compared).
 *
 * A release names no MRCONFIGID or MROWNER, so a TD launched with either set is not
 * that release's launch: release-derived sets require both to be zero. `Revoked` is
 * never accepted, whatever a release or the user says; an unknown status string in a
 * release is ignored (so a release listing only unknown statuses accepts none).
 */
import {
  DEFAULT_TDX_TCB_STATUSES,
  TDX_TCB_STATUSES,
  type TdxExpectedMeasurements,
  type TdxTcbStatus,
} from '../attest/tdx';
import type { VerifiedRelease } from '../release/verify-release';
import type { EvidencePolicy } from './verify';

const ZERO_48 = '00'.repeat(48);

export interface TdxReleasePolicy {
  /** Accepted TD measurement sets; any one must match in full. Empty: none is accepted. */
  measurements: TdxExpectedMeasurements[];
  /** TCB statuses accepted (never `Revoked`). */
  allowedTcbStatuses: TdxTcbStatus[];
}

function known(statuses: readonly string[]): TdxTcbStatus[] {
  return TDX_TCB_STATUSES.filter((s) => s !== 'Revoked' && statuses.includes(s));
}

/**
 * The TD policy for v2 evidence: the release's, or under the override the user's.
 * @param release the verified release (absent under the override).
 */
export function tdxReleasePolicy(
  release: VerifiedRelease | undefined,
  policy: Pick<EvidencePolicy, 'allowedMeasurements' | 'tdx'>,
  override: boolean,
): TdxReleasePolicy {
  if (override) {
    return {
      measurements: [
        ...(policy.tdx?.measurements ?? []),
        ...(policy.allowedMeasurements ?? []).map((m) => ({ mrTd: m.toLowerCase() })),
      ],
      allowedTcbStatuses: known(policy.tdx?.allowedTcbStatuses ?? DEFAULT_TDX_TCB_STATUSES),
    };
  }
  const tdx = release?.statement.predicate.platforms.tdx;
  if (!tdx) return { measurements: [], allowedTcbStatuses: [...DEFAULT_TDX_TCB_STATUSES] };
  return {
    measurements: tdx.measurements.map((m) => ({
      mrTd: m.mrtd,
      rtmr0: m.rtmr0,
      rtmr1: m.rtmr1,
      rtmr2: m.rtmr2,
      mrConfigId: ZERO_48,
      mrOwner: ZERO_48,
    })),
    allowedTcbStatuses: known(tdx.allowedTcbStatuses),
  };
}

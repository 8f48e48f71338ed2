/**
 * A JSON-friendly view of a parsed SEV-SNP report (AMD SEV-SNP ABI pub. 56860
 * Table 23): hex strings for byte fields, decoded policy, platform info and
 * TCBs. Used by the verifier's result and by the CLI, also for refused
 * evidence (the summary is information, never a verdict).
 */

import { toHex } from '../../bytes';
import type { SnpProduct } from './constants';
import {
  decodeSnpGuestPolicy,
  decodeSnpPlatformInfo,
  type SnpGuestPolicy,
  type SnpPlatformInfo,
} from './policy';
import { decodeSnpTcb, type SnpFirmwareVersion, type SnpReport, type SnpTcb } from './report';

export interface SnpReportSummary {
  readonly version: number;
  readonly guestSvn: number;
  readonly vmpl: number;
  readonly measurement: string;
  readonly reportData: string;
  readonly hostData: string;
  readonly chipId: string;
  readonly familyId: string;
  readonly imageId: string;
  readonly idKeyDigest: string;
  readonly authorKeyDigest: string;
  readonly reportId: string;
  readonly policyRaw: string;
  readonly policy: SnpGuestPolicy;
  readonly platformInfo: SnpPlatformInfo;
  readonly signingKey: 'vcek' | 'vlek' | 'none' | 'reserved';
  readonly cpuid: { family: number; model: number; stepping: number } | undefined;
  /** Decoded TCBs; `undefined` when the product (and so the layout) is unknown. */
  readonly tcb:
    { reported: SnpTcb; current: SnpTcb; committed: SnpTcb; launch: SnpTcb } | undefined;
  readonly tcbRaw: { reported: string; current: string; committed: string; launch: string };
  readonly firmware: { current: SnpFirmwareVersion; committed: SnpFirmwareVersion };
  /** Version 5+: LAUNCH_MIT_VECTOR and CURRENT_MIT_VECTOR (hex); `null` before. */
  readonly mitigationVectors: { launch: string; current: string } | null;
}

const hex64 = (v: bigint) => `0x${v.toString(16).padStart(16, '0')}`;

export function summarizeSnpReport(
  report: SnpReport,
  product: SnpProduct | undefined,
): SnpReportSummary {
  const keys = ['vcek', 'vlek'] as const;
  return {
    version: report.version,
    guestSvn: report.guestSvn,
    vmpl: report.vmpl,
    measurement: toHex(report.measurement),
    reportData: toHex(report.reportData),
    hostData: toHex(report.hostData),
    chipId: toHex(report.chipId),
    familyId: toHex(report.familyId),
    imageId: toHex(report.imageId),
    idKeyDigest: toHex(report.idKeyDigest),
    authorKeyDigest: toHex(report.authorKeyDigest),
    reportId: toHex(report.reportId),
    policyRaw: hex64(report.policy),
    policy: decodeSnpGuestPolicy(report.policy),
    platformInfo: decodeSnpPlatformInfo(report.platformInfo),
    signingKey: keys[report.signingKey] ?? (report.signingKey === 7 ? 'none' : 'reserved'),
    cpuid: report.cpuid,
    tcb: product
      ? {
          reported: decodeSnpTcb(report.reportedTcb, product),
          current: decodeSnpTcb(report.currentTcb, product),
          committed: decodeSnpTcb(report.committedTcb, product),
          launch: decodeSnpTcb(report.launchTcb, product),
        }
      : undefined,
    tcbRaw: {
      reported: hex64(report.reportedTcb),
      current: hex64(report.currentTcb),
      committed: hex64(report.committedTcb),
      launch: hex64(report.launchTcb),
    },
    firmware: { current: report.currentVersion, committed: report.committedVersion },
    mitigationVectors:
      report.launchMitVector === undefined || report.currentMitVector === undefined
        ? null
        : { launch: hex64(report.launchMitVector), current: hex64(report.currentMitVector) },
  };
}

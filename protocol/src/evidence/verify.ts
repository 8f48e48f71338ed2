/**
 * Evidence verification: one entry point for every platform. It returns what the
 * client may rely on, or throws `VerificationError` naming every failed check.
 * Nothing is ever sent to a key this function did not return.
 */
import { type SnpAcceptancePolicy, verifySnpEvidence } from '../attest/sev';
import {
  type TdxAcceptancePolicy,
  type TdxExpectedMeasurements,
  verifyTdxQuote,
} from '../attest/tdx';
import { equalBytes, fromHex, toHex } from '../bytes';
import { type SottoError, VerificationError } from '../errors';
import type { EvidenceBundle, Platform } from './bundle';
import { checkDevReportSignature, parseDevReport } from './dev-report';
import { computeReportData } from './report-data';

export interface EvidencePolicy {
  /** Accept the `dev` platform (development mode, switched on by the user). Off by default. */
  allowDevelopment?: boolean;
  /** Hex MEASUREMENTs of logged releases. Required for real platforms; optional for `dev`. */
  allowedMeasurements?: readonly string[];
  /** Clock for freshness checks; tests pass a fixed one. */
  now?: Date;
  /** Oldest acceptable dev report. Keys rotate hourly, so a day is generous. */
  maxDevReportAgeMs?: number;
  /** SEV-SNP policy knobs beyond measurement and REPORT_DATA (debug, migration agent, TCB floors). */
  snp?: Omit<SnpAcceptancePolicy, 'measurements' | 'reportData'>;
  /**
   * Intel TDX: the release's TD measurements (MRTD, RTMR0–2; MRCONFIGID and
   * MROWNER when set) and the TCB statuses accepted besides `UpToDate`.
   * Required for v1 `tdx` evidence. v2 evidence takes them from its verified release;
   * there a `tdx` given here is an expert override (`tdx-release-policy.ts`).
   */
  tdx?: {
    measurements: readonly TdxExpectedMeasurements[];
    allowedTcbStatuses?: TdxAcceptancePolicy['allowedTcbStatuses'];
  };
}

export interface VerifiedEvidence {
  platform: Platform;
  /** True when the evidence proves no hardware (the UI must say so on every answer). */
  development: boolean;
  measurement: string;
  model: { name: string; sha256: string };
  releaseId: string;
  /** The RFC 9458 §3.2 key configuration list the report binds (`application/ohttp-keys`). */
  keyConfigs: Uint8Array;
  keyCreatedAt: Date;
  reportTimestamp?: Date;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const CLOCK_SKEW_MS = 5 * 60 * 1000;

/**
 * Verifies a parsed bundle against the policy.
 * @throws VerificationError listing every reason the evidence was refused.
 */
export async function verifyEvidence(
  bundle: EvidenceBundle,
  policy: EvidencePolicy = {},
): Promise<VerifiedEvidence> {
  const expected = computeReportData(bundle.keyConfigs, bundle.model.sha256, bundle.release.id);
  switch (bundle.platform) {
    case 'dev':
      return verifyDev(bundle, expected, policy);
    case 'sev-snp':
      return verifySevSnp(bundle, expected, policy);
    case 'tdx':
      return verifyTdx(bundle, expected, policy);
  }
}

async function verifyDev(
  bundle: EvidenceBundle,
  expectedReportData: Uint8Array,
  policy: EvidencePolicy,
): Promise<VerifiedEvidence> {
  if (!policy.allowDevelopment) {
    throw new VerificationError(['development evidence refused: development mode is off']);
  }
  let report: ReturnType<typeof parseDevReport>;
  try {
    report = parseDevReport(bundle.report);
  } catch (e) {
    throw new VerificationError([`dev report unreadable: ${(e as SottoError).message}`], {
      cause: e,
    });
  }
  const reasons: string[] = [];
  if (!bundle.certificates.devKey) reasons.push('dev evidence carries no signing key');
  else reasons.push(...(await checkDevReportSignature(report, bundle.certificates.devKey)));
  if (!equalBytes(report.reportData, expectedReportData)) {
    reasons.push('REPORT_DATA does not bind this key config list, model and release');
  }
  const measurement = toHex(report.measurement);
  if (policy.allowedMeasurements && !policy.allowedMeasurements.includes(measurement)) {
    reasons.push('measurement is not an allowed release');
  }
  const now = (policy.now ?? new Date()).getTime();
  const age = now - report.timestamp.getTime();
  if (age < -CLOCK_SKEW_MS) reasons.push('dev report is dated in the future');
  if (age > (policy.maxDevReportAgeMs ?? DAY_MS)) reasons.push('dev report is too old');
  if (reasons.length > 0) throw new VerificationError(reasons);
  return {
    platform: 'dev',
    development: true,
    measurement,
    model: { name: bundle.model.name, sha256: toHex(bundle.model.sha256) },
    releaseId: bundle.release.id,
    keyConfigs: bundle.keyConfigs,
    keyCreatedAt: bundle.keyCreatedAt,
    reportTimestamp: report.timestamp,
  };
}

async function verifySevSnp(
  bundle: EvidenceBundle,
  expectedReportData: Uint8Array,
  policy: EvidencePolicy,
): Promise<VerifiedEvidence> {
  // A real platform proves a measurement; with no release list there is nothing to compare it to.
  if (!policy.allowedMeasurements || policy.allowedMeasurements.length === 0) {
    throw new VerificationError(['no allowed release measurements are configured']);
  }
  const verified = await verifySnpEvidence(
    {
      report: bundle.report,
      vcek: bundle.certificates.vcek,
      chain: bundle.certificates.chain,
      crl: bundle.collateral?.arkCrl,
    },
    {
      ...policy.snp,
      measurements: policy.allowedMeasurements.map((m) => fromHex(m)),
      reportData: expectedReportData,
    },
    policy.now ? { now: policy.now } : {},
  );
  return {
    platform: 'sev-snp',
    development: false,
    measurement: verified.measurement,
    model: { name: bundle.model.name, sha256: toHex(bundle.model.sha256) },
    releaseId: bundle.release.id,
    keyConfigs: bundle.keyConfigs,
    keyCreatedAt: bundle.keyCreatedAt,
  };
}

async function verifyTdx(
  bundle: EvidenceBundle,
  expectedReportData: Uint8Array,
  policy: EvidencePolicy,
): Promise<VerifiedEvidence> {
  if (!policy.tdx || policy.tdx.measurements.length === 0) {
    throw new VerificationError(['no allowed TDX release measurements are configured']);
  }
  // Evidence for sending must carry the full collateral: TCB status and revocation are checked.
  const verified = await verifyTdxQuote(
    bundle.report,
    bundle.collateral ?? {},
    {
      measurements: policy.tdx.measurements,
      reportData: expectedReportData,
      requireCollateral: true,
      ...(policy.tdx.allowedTcbStatuses
        ? { allowedTcbStatuses: policy.tdx.allowedTcbStatuses }
        : {}),
    },
    policy.now ? { now: policy.now } : {},
  );
  return {
    platform: 'tdx',
    development: false,
    measurement: verified.mrTd,
    model: { name: bundle.model.name, sha256: toHex(bundle.model.sha256) },
    releaseId: bundle.release.id,
    keyConfigs: bundle.keyConfigs,
    keyCreatedAt: bundle.keyCreatedAt,
  };
}

/**
 * The client's acceptance rules for v2 evidence (issue 12, DESIGN.md "Releases"). The
 * evidence is accepted only if, in this order:
 *
 *   1. the release bundle verifies under the release policy (`release/verify-release.ts`):
 *      Sigstore signature, log inclusion, identity (issuer, repository, tag) or a
 *      configured managed key;
 *   2. the platform report is genuine (dev: its P-384 signature; SEV-SNP: VCEK -> ASK ->
 *      ARK and the report signature, the ARK-signed CRL when the bundle's collateral
 *      carries one, the release's minimum TCB; TDX: `verifyTdxQuote` with the bundle's
 *      collateral, all of it required: PCK chain and CRLs, TCB Info and QE Identity, a
 *      TCB status the release allows, no debug TD);
 *   3. the report's REPORT_DATA is `computeReportDataV2` of this evidence: key
 *      configuration list, model name/SHA-256/context size, the release statement's
 *      digest and the key's creation time;
 *   4. the report's measurement is one the verified release lists for this platform
 *      (TDX: MRTD and RTMR0-2 of one listed launch, MRCONFIGID and MROWNER zero);
 *   5. the model SHA-256 is the release's;
 *   6. the key is not older than `maxKeyAgeMs` (rotation + grace; 2 h by default) and
 *      not dated in the future.
 *
 * Each refusal is a `ReleaseRefusedError` naming its check, except that a TDX quote is
 * judged on 2-4 at once by its verifier, whose one `VerificationError` lists every failed
 * TDX check (codes of `attest/tdx/reasons.ts`: `report-data-mismatch`,
 * `measurement-not-allowed`, `tcb-level-none` …). A user-typed measurement list
 * (`allowedMeasurements`; for TDX also `policy.tdx`, see `tdx-release-policy.ts`) is an
 * expert override of 1, 4 and 5: the result then says `override: true` and the UI says
 * so on every answer. The `dev` platform may name no release (development proves
 * nothing); if it names one, every rule applies.
 */
import { parseSnpReport, SNP_PRODUCTS, type SnpTcb, verifySnpEvidence } from '../attest/sev';
import { verifyTdxQuote } from '../attest/tdx';
import { sha256 } from '@noble/hashes/sha2.js';
import { equalBytes, fromBase64, toHex } from '../bytes';
import { type SottoError, VerificationError } from '../errors';
import { decodeKeyConfigList } from '../ohttp';
import { ReleaseRefusedError } from '../release/errors';
import { describeEngine } from '../release/statement';
import { type ReleasePolicy, type VerifiedRelease, verifyRelease } from '../release/verify-release';
import type { EvidenceBundleV2 } from './bundle-v2';
import { checkDevReportSignature, parseDevReport } from './dev-report';
import { computeReportDataV2, NO_RELEASE } from './report-data-v2';
import { tdxReleasePolicy } from './tdx-release-policy';
import type { EvidencePolicy, VerifiedEvidence } from './verify';

/** Rotation (1 h) + grace, rounded up: the default bound on a key's age. */
export const DEFAULT_MAX_KEY_AGE_MS = 2 * 60 * 60 * 1000;
const CLOCK_SKEW_MS = 5 * 60 * 1000;

export interface EvidencePolicyV2 extends EvidencePolicy {
  /** Release policy: identity, trusted root, managed keys. Defaults to the project's release. */
  release?: ReleasePolicy;
  /** Oldest acceptable key (rotation period + grace). Default 2 h. */
  maxKeyAgeMs?: number;
}

/** What the evidence dialog shows about the release. */
export interface ReleaseSummary {
  version: string;
  commit: string;
  repository?: string;
  tag?: string;
  signer: 'keyless' | 'managed-key';
  /** Rekor log index and integration time, for keyless (logged) releases. */
  logIndex?: string;
  integratedTime?: string;
  /** The model as the release names it. */
  modelName: string;
  /** The inference engine as the release names it (`describeEngine`). */
  engine: string;
  statementSha256: string;
}

export interface VerifiedEvidenceV2 extends VerifiedEvidence {
  model: { name: string; sha256: string; contextSize: number };
  /** The verified release; absent under an override or for a dev enclave that names none. */
  release?: ReleaseSummary;
  /** True when the user's typed measurement list, not a release, decided. */
  override: boolean;
  /** The whole key configuration list the report binds. */
  keyConfigs: Uint8Array;
}

function summarize(r: VerifiedRelease): ReleaseSummary {
  const p = r.statement.predicate;
  const s: ReleaseSummary = {
    version: p.version,
    commit: p.sourceCommit,
    signer: r.signer.kind,
    modelName: p.model.name,
    engine: p.engine ? describeEngine(p.engine) : 'unnamed',
    statementSha256: toHex(r.statementSha256),
  };
  if (r.signer.kind === 'keyless') {
    s.repository = r.signer.repository;
    s.tag = r.signer.tag;
  } else if (p.sourceRepository) s.repository = p.sourceRepository;
  if (r.log) {
    s.logIndex = r.log.logIndex;
    if (r.log.integratedTime) s.integratedTime = r.log.integratedTime.toISOString();
  }
  return s;
}

interface PlatformReport {
  measurement: string;
  reportData: Uint8Array;
  timestamp?: Date;
}

async function platformReport(
  b: EvidenceBundleV2,
  policy: EvidencePolicyV2,
  release: VerifiedRelease | undefined,
  override: boolean,
  expectedReportData: Uint8Array,
): Promise<PlatformReport> {
  if (b.platform === 'dev') {
    let report: ReturnType<typeof parseDevReport>;
    try {
      report = parseDevReport(b.report);
    } catch (e) {
      throw new VerificationError([`dev report unreadable: ${(e as SottoError).message}`], {
        cause: e,
      });
    }
    const failures = b.certificates.devKey
      ? await checkDevReportSignature(report, b.certificates.devKey)
      : ['dev evidence carries no signing key'];
    if (failures.length > 0) throw new VerificationError(failures);
    return {
      measurement: toHex(report.measurement),
      reportData: report.reportData,
      timestamp: report.timestamp,
    };
  }
  if (b.platform === 'sev-snp') {
    const floor = release?.statement.predicate.platforms['sev-snp']?.minimumTcb;
    const minimumTcb: Partial<Record<(typeof SNP_PRODUCTS)[number], SnpTcb>> = {};
    if (floor) for (const p of SNP_PRODUCTS) minimumTcb[p] = floor;
    // Measurement and REPORT_DATA are judged below, so each refusal names its own check.
    const verified = await verifySnpEvidence(
      {
        report: b.report,
        vcek: b.certificates.vcek,
        chain: b.certificates.chain,
        crl: b.collateral?.arkCrl,
      },
      { ...policy.snp, ...(floor && { minimumTcb }), measurements: 'any', reportData: 'any' },
      policy.now ? { now: policy.now } : {},
    );
    return { measurement: verified.measurement, reportData: parseSnpReport(b.report).reportData };
  }
  // TDX: the quote, its collateral, the TD policy and the REPORT_DATA v2 binding in one
  // call, so the refusal lists every failed check. Collateral is required: evidence a
  // client sends to must have had its TCB status and revocation checked.
  const td = tdxReleasePolicy(release, policy, override);
  const verified = await verifyTdxQuote(
    b.report,
    b.collateral ?? {},
    {
      measurements: td.measurements,
      reportData: expectedReportData,
      allowedTcbStatuses: td.allowedTcbStatuses,
      requireCollateral: true,
    },
    policy.now ? { now: policy.now } : {},
  );
  return { measurement: verified.mrTd, reportData: verified.quote.td.reportData };
}

/** SEV-SNP and dev measurements the release lists (TDX sets: `tdx-release-policy.ts`). */
function releaseMeasurements(r: VerifiedRelease, platform: 'sev-snp' | 'dev'): readonly string[] {
  const p = r.statement.predicate.platforms;
  return (platform === 'sev-snp' ? p['sev-snp']?.measurements : p.dev?.measurements) ?? [];
}

/**
 * Verifies v2 evidence under the acceptance rules above.
 * @throws ReleaseRefusedError naming the failed check; VerificationError when the
 *   platform report itself is not genuine or development mode is off.
 */
export async function verifyEvidenceV2(
  b: EvidenceBundleV2,
  policy: EvidencePolicyV2 = {},
): Promise<VerifiedEvidenceV2> {
  if (b.platform === 'dev' && !policy.allowDevelopment) {
    throw new VerificationError(['development evidence refused: development mode is off']);
  }
  const override =
    (policy.allowedMeasurements?.length ?? 0) > 0 ||
    (b.platform === 'tdx' && (policy.tdx?.measurements.length ?? 0) > 0);
  let release: VerifiedRelease | undefined;
  if (!override) {
    if (b.release.bundle !== undefined) {
      release = verifyRelease(
        b.release.bundle,
        { ...policy.release, allowDevelopment: policy.allowDevelopment === true },
        b.release.publicKey,
      );
    } else if (b.platform !== 'dev') {
      throw new ReleaseRefusedError('statement', 'the evidence names no release');
    }
  }
  const expected = computeReportDataV2({
    keyConfigs: b.keyConfigs,
    model: b.model,
    releaseStatementSha256: release?.statementSha256 ?? unverifiedStatementDigest(b),
    keyCreatedAt: b.keyCreatedAt,
  });
  const report = await platformReport(b, policy, release, override, expected);
  if (!equalBytes(report.reportData, expected)) {
    throw new ReleaseRefusedError(
      'report-data',
      'REPORT_DATA does not bind these keys, this model, this release and this key time',
    );
  }
  // A TDX quote's measurements were judged with the quote (platformReport).
  if (b.platform !== 'tdx') {
    if (override) {
      if (!policy.allowedMeasurements!.map((m) => m.toLowerCase()).includes(report.measurement)) {
        throw new ReleaseRefusedError('measurement', 'the measurement is not in the override list');
      }
    } else if (release && !releaseMeasurements(release, b.platform).includes(report.measurement)) {
      throw new ReleaseRefusedError(
        'measurement',
        `release ${release.statement.predicate.version} does not list this ${b.platform} measurement`,
      );
    }
  }
  if (release && toHex(b.model.sha256) !== release.statement.predicate.model.sha256) {
    throw new ReleaseRefusedError(
      'model',
      `the model is not release ${release.statement.predicate.version}'s`,
    );
  }
  // The statement (bound in REPORT_DATA) says which engine reads the prompts; the
  // measured enclave refuses to start under another (enclave/src/release.ts).
  if (release && !release.statement.predicate.engine) {
    throw new ReleaseRefusedError(
      'engine',
      `release ${release.statement.predicate.version} does not name its inference engine`,
    );
  }
  const now = (policy.now ?? new Date()).getTime();
  const age = now - b.keyCreatedAt.getTime();
  if (age < -CLOCK_SKEW_MS)
    throw new ReleaseRefusedError('key-age', 'the key is dated in the future');
  if (age > (policy.maxKeyAgeMs ?? DEFAULT_MAX_KEY_AGE_MS)) {
    throw new ReleaseRefusedError('key-age', 'the key is older than rotation plus grace');
  }
  try {
    // Every entry must parse (a truncated X-Wing key is refused, not skipped); the
    // client then picks from this list, X-Wing first (ohttp/key-config.ts).
    decodeKeyConfigList(b.keyConfigs);
  } catch (cause) {
    throw new ReleaseRefusedError('report-data', 'the bound key configuration list is unusable', {
      cause,
    });
  }
  const summary = release ? summarize(release) : undefined;
  return {
    platform: b.platform,
    development: b.platform === 'dev',
    measurement: report.measurement,
    model: {
      name: summary?.modelName ?? b.model.name,
      sha256: toHex(b.model.sha256),
      contextSize: b.model.contextSize,
    },
    releaseId: summary
      ? `${summary.version} (${summary.commit.slice(0, 12)})`
      : override
        ? 'expert override'
        : 'no release',
    keyConfigs: b.keyConfigs,
    keyCreatedAt: b.keyCreatedAt,
    ...(report.timestamp && { reportTimestamp: report.timestamp }),
    ...(summary && { release: summary }),
    override,
  };
}

/**
 * Under an override the release is not verified, but REPORT_DATA still binds the digest
 * of whatever statement the evidence carries (none: `NO_RELEASE`).
 */
function unverifiedStatementDigest(b: EvidenceBundleV2): Uint8Array {
  const env = (b.release.bundle as { dsseEnvelope?: { payload?: unknown } } | undefined)
    ?.dsseEnvelope;
  if (typeof env?.payload !== 'string') return NO_RELEASE;
  try {
    return sha256(fromBase64(env.payload));
  } catch {
    return NO_RELEASE;
  }
}

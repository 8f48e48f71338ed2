/**
 * SEV-SNP evidence verification, the way AMD's verifiers do it (AMD SEV-SNP
 * ABI pub. 56860 §2.1 and Table 23; VCEK spec pub. 57230 §3): parse the
 * report, verify VCEK → ASK → pinned ARK (or VLEK → ASVK → pinned ARK),
 * check the report signature with that key, check its hwID (VCEK only) and
 * TCB extensions against the report, the TCB consistency and, with AMD's
 * ARK-signed CRL, revocation, and apply the acceptance policy. Every failed check is collected; the result is
 * either a typed value or one `VerificationError` naming all of them.
 */

import { equalBytes } from '../../bytes';
import { MalformedError } from '../../errors';
import { checkSnpChain, pinnedSnpChain, type SnpChainInput } from './cert-chain';
import type { VcekExtensions } from './certificate';
import {
  OFFSET,
  SIG_ALGO_ECDSA_P384_SHA384,
  SIGNING_KEY,
  type SnpProduct,
  signedReservedRanges,
} from './constants';
import { checkSnpCrl } from './crl';
import { evaluateSnpPolicy, type SnpAcceptancePolicy } from './policy';
import { failure, type SnpFailure, snpVerificationError } from './reasons';
import { decodeSnpTcb, parseSnpReport, productFromCpuid, type SnpReport } from './report';
import { verifySnpReportSignature } from './signature';
import { type SnpReportSummary, summarizeSnpReport } from './summary';

export interface SnpEvidenceInput {
  /** The raw 1184-byte ATTESTATION_REPORT. */
  readonly report: Uint8Array;
  /** The VCEK (or, for a VLEK-signed report, the VLEK) certificate, DER bytes or PEM text. */
  readonly vcek: Uint8Array | string | undefined;
  /** ASK+ARK (VLEK: ASVK+ARK, required); defaults to the pinned ASK+ARK of the product. */
  readonly chain?: SnpChainInput | undefined;
  /** The ARK-signed CRL from AMD KDS (DER or PEM); without it revocation is not checked. */
  readonly crl?: Uint8Array | string | undefined;
}

export interface SnpVerifyOptions {
  /** The time certificates must be valid at. Default: the current time. */
  readonly now?: Date;
}

/** Verified SEV-SNP evidence. */
export interface SnpVerifiedEvidence extends SnpReportSummary {
  readonly product: SnpProduct;
  readonly report: SnpReport;
  readonly vcek: VcekExtensions;
  /** Which optional policy checks ran (false where the policy said `'any'`). */
  readonly checked: {
    readonly measurement: boolean;
    readonly reportData: boolean;
    readonly revocation: boolean;
  };
}

/** Checks the report's own encoding choices (Table 23 SIGNATURE_ALGO, KEY_INFO). */
function reportShapeFailures(report: SnpReport): SnpFailure[] {
  const out: SnpFailure[] = [];
  if (report.signatureAlgo !== SIG_ALGO_ECDSA_P384_SHA384) {
    out.push(
      failure(
        'report-signature-algo-unsupported',
        `SIGNATURE_ALGO ${report.signatureAlgo}, expected 1 (ECDSA P-384 SHA-384)`,
      ),
    );
  }
  if (report.signingKey !== SIGNING_KEY.VCEK && report.signingKey !== SIGNING_KEY.VLEK) {
    out.push(
      failure(
        'report-signing-key-unsupported',
        `SIGNING_KEY ${report.signingKey}; only VCEK- and VLEK-signed reports are supported`,
      ),
    );
  }
  // Reserved fields inside the signed area (Table 23, per version) must be zero.
  for (const [start, end] of signedReservedRanges(report.version)) {
    if (!report.raw.subarray(start, end).every((b) => b === 0)) {
      out.push(
        failure(
          'report-reserved-nonzero',
          `reserved bytes 0x${start.toString(16)}..0x${(end - 1).toString(16)} are not zero`,
        ),
      );
    }
  }
  if (report.keyInfo >>> 5 !== 0) {
    out.push(failure('report-reserved-nonzero', 'KEY_INFO reserved bits 31:5 are set'));
  }
  // Bytes 0x330..0x49F are outside the signed range: refuse anything but zero (no malleability).
  if (!report.raw.subarray(OFFSET.SIGNATURE_RESERVED).every((b) => b === 0)) {
    out.push(
      failure('report-reserved-nonzero', 'the reserved bytes after the signature are not zero'),
    );
  }
  if (report.maskChipKey) {
    out.push(failure('report-chip-key-masked', 'MASK_CHIP_KEY is set: the report is unsigned'));
  }
  return out;
}

/** hwID (64 bytes; Turin: 8 bytes, the rest of CHIP_ID zero) against CHIP_ID. */
function hwIdFailures(report: SnpReport, ext: VcekExtensions): SnpFailure[] {
  const hw = ext.hwId;
  if (!hw) return [failure('vcek-extension', 'the VCEK has no hwID extension')];
  const chip = report.chipId;
  const ok =
    hw.length === chip.length
      ? equalBytes(hw, chip)
      : hw.length === 8 &&
        equalBytes(hw, chip.subarray(0, 8)) &&
        chip.subarray(8).every((b) => b === 0);
  return ok ? [] : [failure('vcek-hwid-mismatch', 'the VCEK hwID is not the report CHIP_ID')];
}

/** The VCEK's SPL extensions must equal the report's REPORTED_TCB (pub. 57230 §3.1). */
function tcbExtensionFailures(
  report: SnpReport,
  product: SnpProduct,
  ext: VcekExtensions,
): SnpFailure[] {
  const tcb = decodeSnpTcb(report.reportedTcb, product);
  const parts =
    product === 'Turin'
      ? (['bootloader', 'tee', 'snp', 'microcode', 'fmc'] as const)
      : (['bootloader', 'tee', 'snp', 'microcode'] as const);
  const out: SnpFailure[] = [];
  for (const k of parts) {
    const cert = ext[k];
    if (cert === undefined) {
      out.push(failure('vcek-extension', `the VCEK has no ${k} SPL extension`));
    } else if (cert !== tcb[k]) {
      out.push(
        failure('vcek-tcb-mismatch', `VCEK ${k} SPL ${cert}, report REPORTED_TCB ${tcb[k]}`),
      );
    }
  }
  return out;
}

/**
 * Verifies SEV-SNP evidence against an acceptance policy.
 * @returns the verified, decoded evidence; only when every check passed.
 * @throws VerificationError naming every failed check (reason codes in
 *   `reasons.ts`); a malformed or unsupported report stops early with a
 *   single reason and the parse error as `cause`.
 */
export async function verifySnpEvidence(
  input: SnpEvidenceInput,
  policy: SnpAcceptancePolicy,
  opts: SnpVerifyOptions = {},
): Promise<SnpVerifiedEvidence> {
  let report: SnpReport;
  try {
    report = parseSnpReport(input.report);
  } catch (cause) {
    const code =
      cause instanceof MalformedError ? 'report-malformed' : 'report-version-unsupported';
    throw snpVerificationError([failure(code, (cause as Error).message)], cause);
  }
  const failures = reportShapeFailures(report);
  const cpuidProduct = productFromCpuid(report.cpuid);
  if (report.cpuid && !cpuidProduct) {
    const { family, model } = report.cpuid;
    failures.push(failure('product-unknown', `CPUID family ${family} model ${model} is unknown`));
  }
  const chain = await checkSnpChain({
    vcek: input.vcek,
    chain: input.chain,
    productHint: cpuidProduct,
    signingKey: report.signingKey === SIGNING_KEY.VLEK ? 'vlek' : 'vcek',
    now: opts.now ?? new Date(),
  });
  failures.push(...chain.failures);
  if (input.crl !== undefined && chain.product && chain.vcek) {
    const vlek = report.signingKey === SIGNING_KEY.VLEK;
    const subjects = [{ role: vlek ? 'VLEK' : 'VCEK', cert: chain.vcek }];
    if (chain.ask) subjects.unshift({ role: vlek ? 'ASVK' : 'ASK', cert: chain.ask });
    failures.push(
      ...(await checkSnpCrl({
        crl: input.crl,
        ark: pinnedSnpChain(chain.product).ark,
        subjects,
        now: opts.now ?? new Date(),
      })),
    );
  }

  if (chain.vcekKey && report.signatureAlgo === SIG_ALGO_ECDSA_P384_SHA384) {
    try {
      if (!(await verifySnpReportSignature(report, chain.vcekKey))) {
        failures.push(failure('report-signature', 'the report is not signed by this VCEK'));
      }
    } catch {
      failures.push(failure('report-signature-encoding', 'R or S is not a P-384 scalar'));
    }
  } else if (chain.vcekKey) {
    failures.push(failure('report-signature', 'the report signature cannot be checked'));
  }
  const ext = chain.vcekExtensions;
  if (ext) {
    // A VLEK is not chip-specific: it has no HWID to compare with CHIP_ID.
    if (report.signingKey !== SIGNING_KEY.VLEK) failures.push(...hwIdFailures(report, ext));
    if (chain.product) failures.push(...tcbExtensionFailures(report, chain.product, ext));
  }
  failures.push(...evaluateSnpPolicy(report, chain.product, policy));

  if (failures.length > 0 || !chain.product || !ext) {
    if (failures.length === 0) failures.push(failure('product-unknown', 'no product'));
    throw snpVerificationError(failures);
  }
  return {
    ...summarizeSnpReport(report, chain.product),
    product: chain.product,
    report,
    vcek: ext,
    checked: {
      measurement: policy.measurements !== 'any',
      reportData: policy.reportData !== 'any',
      revocation: input.crl !== undefined,
    },
  };
}

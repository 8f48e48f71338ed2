/**
 * SEV-SNP guest policy and platform info decoding (AMD SEV-SNP ABI pub. 56860
 * §4.3 Table 9 "Guest Policy Structure", §7.3 Table 24 "PLATFORM_INFO"), and
 * Sotto's acceptance policy: what a report must show before the client sends
 * anything to the guest.
 */

import { equalBytes } from '../../bytes';
import type { SnpProduct } from './constants';
import { failure, type SnpFailure } from './reasons';
import {
  decodeSnpTcb,
  type SnpCpuid,
  type SnpFirmwareVersion,
  type SnpReport,
  type SnpTcb,
} from './report';

/** GUEST_POLICY bits (Table 9). */
export interface SnpGuestPolicy {
  readonly abiMinor: number;
  readonly abiMajor: number;
  /** Bit 16: SMT allowed. */
  readonly smt: boolean;
  /** Bit 17: reserved, must be one. */
  readonly reservedMbo: boolean;
  /** Bit 18: association with a migration agent allowed. */
  readonly migrationAgent: boolean;
  /** Bit 19: debugging allowed (the hypervisor can read guest memory). */
  readonly debug: boolean;
  /** Bit 20: guest may run on a single socket only. */
  readonly singleSocket: boolean;
  /** Bit 21: CXL may be populated with guest memory. */
  readonly cxlAllow: boolean;
  /** Bit 22: AES-256-XTS memory encryption required. */
  readonly memAes256Xts: boolean;
  /** Bit 23: Running Average Power Limit must be disabled. */
  readonly raplDis: boolean;
  /** Bit 24: ciphertext hiding must be enabled. */
  readonly ciphertextHiding: boolean;
  /** Bit 25: page swap (SNP_PAGE_MOVE/SWAP) disabled. */
  readonly pageSwapDisable: boolean;
  /** True when any of bits 63:26 (reserved, must be zero) is set. */
  readonly reservedMbzSet: boolean;
}

const bit = (v: bigint, n: number) => ((v >> BigInt(n)) & 1n) === 1n;

export function decodeSnpGuestPolicy(policy: bigint): SnpGuestPolicy {
  return {
    abiMinor: Number(policy & 0xffn),
    abiMajor: Number((policy >> 8n) & 0xffn),
    smt: bit(policy, 16),
    reservedMbo: bit(policy, 17),
    migrationAgent: bit(policy, 18),
    debug: bit(policy, 19),
    singleSocket: bit(policy, 20),
    cxlAllow: bit(policy, 21),
    memAes256Xts: bit(policy, 22),
    raplDis: bit(policy, 23),
    ciphertextHiding: bit(policy, 24),
    pageSwapDisable: bit(policy, 25),
    reservedMbzSet: policy >> 26n !== 0n,
  };
}

/** PLATFORM_INFO bits (Table 24). */
export interface SnpPlatformInfo {
  readonly smtEnabled: boolean;
  readonly tsmeEnabled: boolean;
  readonly eccEnabled: boolean;
  readonly raplDisabled: boolean;
  readonly ciphertextHidingEnabled: boolean;
  readonly aliasCheckComplete: boolean;
}

export function decodeSnpPlatformInfo(info: bigint): SnpPlatformInfo {
  return {
    smtEnabled: bit(info, 0),
    tsmeEnabled: bit(info, 1),
    eccEnabled: bit(info, 2),
    raplDisabled: bit(info, 3),
    ciphertextHidingEnabled: bit(info, 4),
    aliasCheckComplete: bit(info, 5),
  };
}

/**
 * Default minimum REPORTED_TCB per product (`sotto verify snp --min-tcb` and
 * `SnpAcceptancePolicy.minimumTcb`, or a release's `minimumTcb`, replace
 * them). AMD publishes no "UpToDate" verdict for SEV-SNP, so these follow its
 * security bulletins and must be raised as AMD publishes fixes; each component
 * is the highest value any source below requires. The bulletins live at
 * https://www.amd.com/en/resources/product-security/bulletin/amd-sb-NNNN.html;
 * the numbers are as quoted by the repositories named (the bulletins
 * themselves are not in our sources). The microcode SPL is the low byte of the
 * patch revision (AMD-SB-3027's "TCB Value for Attestation"), so each stepping
 * runs its own numbering and gets its own floor.
 *
 * - Genoa (19h/11h B1) and Turin (1Ah/02h C1), SNP SPL: AMD-SB-3019
 *   (CVE-2024-56161, "EntrySign": Genoa 0x17), raised by AMD-SB-3020
 *   (CVE-2025-0033, RMP initialisation) to 0x1B on Genoa, 0x04 on Turin;
 *   AMD-SB-3016 also names 0x1B for Genoa and Milan (agentrust-io/trace-spec
 *   tests/test_snp_collateral.py). Microcode: AMD-SB-3027
 *   (CVE-2025-29943, "StackWarp"): 0x56 on Genoa B1, 0x51 on Genoa-X and
 *   Turin C1. (ariofrio/pi-tee
 *   docs/reviews/pi-tee-multimodel-snp-tls-opus-review.md,
 *   tools/tinfoil-cpu/README.md, tools/tinfoil-public-build/release.go.)
 *   Bootloader, TEE and FMC, and Turin's microcode 82 (0x52, above SB-3027's
 *   0x51): Tinfoil's verifier (tinfoilsh/tinfoil-go verifier/attestation/sev.go:
 *   Genoa BL 7, TEE 0; Turin FMC 1, BL 1, TEE 1, microcode 82). AMD-SB-3034
 *   (CVE-2025-54510, "Fabricked") once named Genoa SNP 0x1C but withdrew its
 *   TCB values on 2026-09-24 (pi-tee tools/tinfoil-cpu/README.md), so it sets
 *   no floor here.
 * - Genoa-X (19h/11h stepping 2): Genoa's floor with its own microcode line's
 *   minimum, 0x51 (AMD-SB-3027); picked from a v3+ report's CPUID.
 * - Milan (19h/01h B1), SNP SPL 0x1D: AMD-SB-3030 (CVE-2025-61971,
 *   "BreakFAST", May 2026), as Ayoshiss/sentinel-subnet
 *   sentinel/sevsnp/verifier.py quotes it; earlier bulletins asked less
 *   (AMD-SB-3019 0x18, as microsoft/CCF issue #6812 quotes it; AMD-SB-3016
 *   0x1B, as above). Microcode 0xDB: AMD-SB-3019/AMD-SB-7033's Milan B1 fix 0x0A0011DB
 *   (fwupd/fwupd plugins/cpu/fu-cpu-common.c). Later Milan B1 microcode
 *   (0x0A0011DE) exists, but no source ties it to a bulletin, so it is not a
 *   floor. No bulletin we found names a Milan bootloader or TEE floor; they
 *   stay at the lowest values we hold genuine evidence of (3, 0).
 *   The genuine Milan report in the test vectors (SNP firmware 1.52 build 4,
 *   2023: bootloader 3, TEE 0, SNP 8, microcode 115) is therefore REFUSED by
 *   default (`tcb-below-minimum`); a caller that must accept it passes that TCB
 *   as an explicit, visible floor, as the tests do.
 * - Milan-X (19h/01h stepping 2): Milan's floor with microcode 0x44, its
 *   AMD-SB-3019/7033 fix 0x0A001244 (fwupd, as above); picked from a v3+
 *   report's CPUID. A v2 report carries no CPUID and is held to Milan B1's.
 * - Bergamo/Siena (19h/A0h-AFh) are identified as Genoa (same ARK and VCEK
 *   product) but run their own SEV firmware (amd_sev_fam19h_modelaxh.sbin, as
 *   AMDESE/AMDSEV issue #271 lists it) and microcode line: their EntrySign fix
 *   is 0x0AA00219 (fwupd, as above), and no source gives their SB-3020/SB-3027
 *   values. They are held to Genoa's
 *   numbers, which their microcode does not reach, so they are refused unless
 *   the caller sets a floor; a weaker guess is not made for them. Likewise
 *   Turin Dense (1Ah/10h-1Fh) is held to Turin C1's numbers.
 */
export const DEFAULT_SNP_MINIMUM_TCB: Readonly<Record<SnpProduct, SnpTcb>> = {
  Milan: { bootloader: 3, tee: 0, snp: 0x1d, microcode: 0xdb },
  Genoa: { bootloader: 7, tee: 0, snp: 0x1b, microcode: 0x56 },
  Turin: { bootloader: 1, tee: 1, snp: 0x04, microcode: 0x52, fmc: 1 },
};

/** Genoa-X (Genoa stepping 2): Genoa's floor with its own microcode line's minimum (AMD-SB-3027). */
const GENOA_X_MINIMUM_TCB: SnpTcb = { ...DEFAULT_SNP_MINIMUM_TCB.Genoa, microcode: 0x51 };

/** Milan-X (Milan stepping 2): Milan's floor with its microcode line's EntrySign fix (AMD-SB-3019). */
const MILAN_X_MINIMUM_TCB: SnpTcb = { ...DEFAULT_SNP_MINIMUM_TCB.Milan, microcode: 0x44 };

/**
 * The built-in floor for a report: its product's, or Genoa-X's / Milan-X's
 * when the report's CPUID (version 3 and later) names Genoa (model 10h-1Fh) or
 * Milan (model 00h-0Fh) stepping 2.
 */
export function defaultSnpMinimumTcb(product: SnpProduct, cpuid: SnpCpuid | undefined): SnpTcb {
  if (cpuid?.family === 0x19 && cpuid.stepping === 2) {
    if (product === 'Genoa' && cpuid.model >= 0x10 && cpuid.model <= 0x1f) {
      return GENOA_X_MINIMUM_TCB;
    }
    if (product === 'Milan' && cpuid.model <= 0x0f) return MILAN_X_MINIMUM_TCB;
  }
  return DEFAULT_SNP_MINIMUM_TCB[product];
}

/**
 * What a report must show to be accepted. `measurements` and `reportData`
 * are required so that skipping them is a visible choice (`'any'`).
 */
export interface SnpAcceptancePolicy {
  /** Allowed MEASUREMENT values (48 bytes each): the release list. `'any'` skips the check. */
  readonly measurements: readonly Uint8Array[] | 'any';
  /** The expected REPORT_DATA (64 bytes). `'any'` skips the check. */
  readonly reportData: Uint8Array | 'any';
  /** Accept a guest whose policy allows debugging. Default false. */
  readonly allowDebug?: boolean;
  /** Accept a guest that may be associated with a migration agent. Default false. */
  readonly allowMigrationAgent?: boolean;
  /** Accept SMT-enabled guests. Default true. */
  readonly allowSmt?: boolean;
  /** Require the single-socket policy bit. Default false. */
  readonly requireSingleSocket?: boolean;
  /** Per-product minimum REPORTED_TCB; products left out use `DEFAULT_SNP_MINIMUM_TCB`. */
  readonly minimumTcb?: Partial<Record<SnpProduct, SnpTcb>>;
  /** Per-product minimum LAUNCH_TCB (the TCB the guest was launched on). Default: not checked. */
  readonly minimumLaunchTcb?: Partial<Record<SnpProduct, SnpTcb>>;
  /**
   * Minimum SEV-SNP firmware: API version major.minor and build, compared with
   * CURRENT_MAJOR/MINOR/BUILD (Table 23). Default: not checked.
   */
  readonly minimumFirmware?: SnpFirmwareVersion;
  /** Minimum GUEST_SVN. Default 0. */
  readonly minimumGuestSvn?: number;
  /** Required VMPL of the requesting layer. Default: not checked. */
  readonly vmpl?: number;
}

const TCB_PARTS = ['bootloader', 'tee', 'snp', 'microcode', 'fmc'] as const;

function tcbFailures(reported: SnpTcb, min: SnpTcb, which = 'reported'): SnpFailure[] {
  const out: SnpFailure[] = [];
  for (const k of TCB_PARTS) {
    const want = min[k];
    // Milan and Genoa TCBs have no FMC: a floor's `fmc` (one floor for every product, as
    // `--min-tcb` and a release give it) does not apply to them.
    if (want === undefined || reported[k] === undefined) continue;
    const have = reported[k];
    if (have < want) {
      out.push(failure('tcb-below-minimum', `${which} ${k} SPL ${have} is below ${want}`));
    }
  }
  return out;
}

/** True when every component of `a` is at most `b`'s. */
function tcbAtMost(a: SnpTcb, b: SnpTcb): boolean {
  return TCB_PARTS.every((k) => (a[k] ?? 0) <= (b[k] ?? 0));
}

const fwValue = (v: SnpFirmwareVersion) => v.major * 0x10000 + v.minor * 0x100 + v.build;
const fwText = (v: SnpFirmwareVersion) => `${v.major}.${v.minor} build ${v.build}`;

/**
 * The TCB values of one report must be consistent (pub. 56860 §2.2 "TCB
 * Versioning", Table 23): the firmware reports no TCB above the one it runs
 * (REPORTED ≤ CURRENT, LAUNCH ≤ CURRENT) and commits none above it
 * (COMMITTED ≤ CURRENT), and the committed firmware is no newer than the
 * running one. A report that breaks these was not made by AMD firmware.
 */
export function snpTcbConsistencyFailures(report: SnpReport, product: SnpProduct): SnpFailure[] {
  const out: SnpFailure[] = [];
  const t = (raw: bigint) => decodeSnpTcb(raw, product);
  const current = t(report.currentTcb);
  const pairs = [
    ['REPORTED_TCB', report.reportedTcb],
    ['COMMITTED_TCB', report.committedTcb],
    ['LAUNCH_TCB', report.launchTcb],
  ] as const;
  for (const [name, raw] of pairs) {
    if (!tcbAtMost(t(raw), current)) {
      out.push(failure('tcb-inconsistent', `${name} is above CURRENT_TCB`));
    }
  }
  if (fwValue(report.committedVersion) > fwValue(report.currentVersion)) {
    out.push(failure('tcb-inconsistent', 'the committed firmware is newer than the running one'));
  }
  return out;
}

/**
 * Evaluates a report against an acceptance policy and returns every failure
 * (empty when accepted). `product` decides the TCB layout; when it is
 * unknown the TCB floor cannot be checked (product identification fails
 * separately).
 */
export function evaluateSnpPolicy(
  report: SnpReport,
  product: SnpProduct | undefined,
  policy: SnpAcceptancePolicy,
): SnpFailure[] {
  const out: SnpFailure[] = [];
  const gp = decodeSnpGuestPolicy(report.policy);
  if (!gp.reservedMbo || gp.reservedMbzSet) {
    out.push(failure('policy-reserved-bits', 'guest policy reserved bits are not as required'));
  }
  if (gp.debug && policy.allowDebug !== true) {
    out.push(failure('policy-debug', 'the guest policy allows debugging'));
  }
  if (gp.migrationAgent && policy.allowMigrationAgent !== true) {
    out.push(failure('policy-migration-agent', 'the guest policy allows a migration agent'));
  }
  if (gp.smt && policy.allowSmt === false) {
    out.push(failure('policy-smt', 'the guest policy allows SMT'));
  }
  if (!gp.singleSocket && policy.requireSingleSocket === true) {
    out.push(failure('policy-single-socket', 'the guest policy does not require a single socket'));
  }
  if (policy.vmpl !== undefined && report.vmpl !== policy.vmpl) {
    out.push(failure('vmpl', `report VMPL ${report.vmpl}, required ${policy.vmpl}`));
  }
  if (report.guestSvn < (policy.minimumGuestSvn ?? 0)) {
    out.push(failure('guest-svn-below-minimum', `guest SVN ${report.guestSvn} is too old`));
  }
  if (product) {
    const min = policy.minimumTcb?.[product] ?? defaultSnpMinimumTcb(product, report.cpuid);
    out.push(...tcbFailures(decodeSnpTcb(report.reportedTcb, product), min));
    const launchMin = policy.minimumLaunchTcb?.[product];
    if (launchMin) {
      out.push(...tcbFailures(decodeSnpTcb(report.launchTcb, product), launchMin, 'launch'));
    }
    out.push(...snpTcbConsistencyFailures(report, product));
  }
  if (policy.minimumFirmware && fwValue(report.currentVersion) < fwValue(policy.minimumFirmware)) {
    out.push(
      failure(
        'firmware-below-minimum',
        `firmware ${fwText(report.currentVersion)} is below ${fwText(policy.minimumFirmware)}`,
      ),
    );
  }
  if (policy.measurements !== 'any') {
    if (!policy.measurements.some((m) => equalBytes(m, report.measurement))) {
      out.push(failure('measurement-not-allowed', 'MEASUREMENT is not in the allowed set'));
    }
  }
  if (policy.reportData !== 'any' && !equalBytes(policy.reportData, report.reportData)) {
    out.push(failure('report-data-mismatch', 'REPORT_DATA is not the expected binding'));
  }
  return out;
}

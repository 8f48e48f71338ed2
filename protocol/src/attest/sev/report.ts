/**
 * SEV-SNP ATTESTATION_REPORT parser, versions 2 to 5 (AMD SEV-SNP Firmware
 * ABI Specification, pub. 56860, §7.3 Table 23 "ATTESTATION_REPORT
 * Structure"). All integers are little-endian. Parsing checks the shape only;
 * trust decisions are made in verify.ts.
 */

import { MalformedError, UnsupportedError } from '../../errors';
import {
  CPUID_PRODUCTS,
  LENGTH,
  OFFSET,
  SNP_REPORT_SIZE_BYTES,
  type SnpProduct,
  SUPPORTED_REPORT_VERSIONS,
} from './constants';

/** Firmware version triple (Table 23, CURRENT_/COMMITTED_ MAJOR, MINOR, BUILD). */
export interface SnpFirmwareVersion {
  readonly major: number;
  readonly minor: number;
  readonly build: number;
}

/** CPUID family/model/stepping, present from report version 3. */
export interface SnpCpuid {
  readonly family: number;
  readonly model: number;
  readonly stepping: number;
}

/** A parsed attestation report. Byte fields are copies; `raw` is the whole report. */
export interface SnpReport {
  readonly raw: Uint8Array;
  readonly version: number;
  readonly guestSvn: number;
  /** GUEST_POLICY as a 64-bit value; decode with `decodeSnpGuestPolicy`. */
  readonly policy: bigint;
  readonly familyId: Uint8Array;
  readonly imageId: Uint8Array;
  readonly vmpl: number;
  readonly signatureAlgo: number;
  /** TCB_VERSION values as raw 64-bit values; decode with `decodeSnpTcb(raw, product)`. */
  readonly currentTcb: bigint;
  readonly reportedTcb: bigint;
  readonly committedTcb: bigint;
  readonly launchTcb: bigint;
  /** Version 5+: the verified mitigation vectors at launch and now; `undefined` before. */
  readonly launchMitVector: bigint | undefined;
  readonly currentMitVector: bigint | undefined;
  readonly platformInfo: bigint;
  /** KEY_INFO as a whole (bits 31:5 are reserved). */
  readonly keyInfo: number;
  /** KEY_INFO bit 0: AUTHOR_KEY_EN. */
  readonly authorKeyEn: boolean;
  /** KEY_INFO bit 1: MASK_CHIP_KEY (signature is zero when set). */
  readonly maskChipKey: boolean;
  /** KEY_INFO bits 4:2: 0 VCEK, 1 VLEK, 7 none. */
  readonly signingKey: number;
  readonly reportData: Uint8Array;
  readonly measurement: Uint8Array;
  readonly hostData: Uint8Array;
  readonly idKeyDigest: Uint8Array;
  readonly authorKeyDigest: Uint8Array;
  readonly reportId: Uint8Array;
  readonly reportIdMa: Uint8Array;
  /** Version 3+ only; `undefined` for version 2. */
  readonly cpuid: SnpCpuid | undefined;
  readonly chipId: Uint8Array;
  readonly currentVersion: SnpFirmwareVersion;
  readonly committedVersion: SnpFirmwareVersion;
  /** Signature R and S exactly as in the report: 72 bytes each, little-endian. */
  readonly signatureR: Uint8Array;
  readonly signatureS: Uint8Array;
}

function u32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

function u64(b: Uint8Array, o: number): bigint {
  return (BigInt(u32(b, o + 4)) << 32n) | BigInt(u32(b, o));
}

function bytes(b: Uint8Array, o: number, n: number): Uint8Array {
  return b.slice(o, o + n);
}

function fwVersion(b: Uint8Array, o: number): SnpFirmwareVersion {
  return { build: b[o]!, minor: b[o + 1]!, major: b[o + 2]! };
}

/**
 * Parses an attestation report.
 * @throws MalformedError when the input is not exactly 1184 (0x4A0) bytes.
 * @throws UnsupportedError when VERSION is not 2 to 5.
 */
export function parseSnpReport(input: Uint8Array): SnpReport {
  if (input.length !== SNP_REPORT_SIZE_BYTES) {
    throw new MalformedError(
      `SEV-SNP report is ${input.length} bytes, expected ${SNP_REPORT_SIZE_BYTES}`,
    );
  }
  const b = input.slice();
  const version = u32(b, OFFSET.VERSION);
  if (!SUPPORTED_REPORT_VERSIONS.includes(version)) {
    throw new UnsupportedError(`SEV-SNP report version ${version} is not supported (2 to 5)`);
  }
  const keyInfo = u32(b, OFFSET.KEY_INFO);
  const sig = OFFSET.SIGNATURE;
  return {
    raw: b,
    version,
    guestSvn: u32(b, OFFSET.GUEST_SVN),
    policy: u64(b, OFFSET.POLICY),
    familyId: bytes(b, OFFSET.FAMILY_ID, LENGTH.FAMILY_ID),
    imageId: bytes(b, OFFSET.IMAGE_ID, LENGTH.IMAGE_ID),
    vmpl: u32(b, OFFSET.VMPL),
    signatureAlgo: u32(b, OFFSET.SIGNATURE_ALGO),
    currentTcb: u64(b, OFFSET.CURRENT_TCB),
    reportedTcb: u64(b, OFFSET.REPORTED_TCB),
    committedTcb: u64(b, OFFSET.COMMITTED_TCB),
    launchTcb: u64(b, OFFSET.LAUNCH_TCB),
    launchMitVector: version >= 5 ? u64(b, OFFSET.LAUNCH_MIT_VECTOR) : undefined,
    currentMitVector: version >= 5 ? u64(b, OFFSET.CURRENT_MIT_VECTOR) : undefined,
    platformInfo: u64(b, OFFSET.PLATFORM_INFO),
    keyInfo,
    authorKeyEn: (keyInfo & 1) !== 0,
    maskChipKey: (keyInfo & 2) !== 0,
    signingKey: (keyInfo >> 2) & 7,
    reportData: bytes(b, OFFSET.REPORT_DATA, LENGTH.REPORT_DATA),
    measurement: bytes(b, OFFSET.MEASUREMENT, LENGTH.MEASUREMENT),
    hostData: bytes(b, OFFSET.HOST_DATA, LENGTH.HOST_DATA),
    idKeyDigest: bytes(b, OFFSET.ID_KEY_DIGEST, LENGTH.ID_KEY_DIGEST),
    authorKeyDigest: bytes(b, OFFSET.AUTHOR_KEY_DIGEST, LENGTH.AUTHOR_KEY_DIGEST),
    reportId: bytes(b, OFFSET.REPORT_ID, LENGTH.REPORT_ID),
    reportIdMa: bytes(b, OFFSET.REPORT_ID_MA, LENGTH.REPORT_ID),
    cpuid:
      version >= 3
        ? {
            family: b[OFFSET.CPUID_FAM_ID]!,
            model: b[OFFSET.CPUID_MOD_ID]!,
            stepping: b[OFFSET.CPUID_STEP]!,
          }
        : undefined,
    chipId: bytes(b, OFFSET.CHIP_ID, LENGTH.CHIP_ID),
    currentVersion: fwVersion(b, OFFSET.CURRENT_BUILD),
    committedVersion: fwVersion(b, OFFSET.COMMITTED_BUILD),
    signatureR: bytes(b, sig, LENGTH.SIG_COMPONENT),
    signatureS: bytes(b, sig + LENGTH.SIG_COMPONENT, LENGTH.SIG_COMPONENT),
  };
}

/**
 * The product a version 3+ report names through CPUID family/model, or
 * `undefined` for a version 2 report (it carries no CPUID; the product then
 * comes from the VCEK, see cert-chain.ts) or an unknown family/model.
 */
export function productFromCpuid(cpuid: SnpCpuid | undefined): SnpProduct | undefined {
  if (!cpuid) return undefined;
  for (const p of CPUID_PRODUCTS) {
    if (cpuid.family === p.family && cpuid.model >= p.modelMin && cpuid.model <= p.modelMax) {
      return p.product;
    }
  }
  return undefined;
}

/** TCB_VERSION components (Table 3 "TCB_VERSION Structure"; Turin adds FMC). */
export interface SnpTcb {
  readonly bootloader: number;
  readonly tee: number;
  readonly snp: number;
  readonly microcode: number;
  /** Turin only: the FMC SPL. */
  readonly fmc?: number;
}

/**
 * Decodes a TCB_VERSION. Milan and Genoa: byte 0 BOOT_LOADER, 1 TEE, 6 SNP,
 * 7 MICROCODE. Turin: byte 0 FMC, 1 BOOT_LOADER, 2 TEE, 3 SNP, 7 MICROCODE.
 */
export function decodeSnpTcb(raw: bigint, product: SnpProduct): SnpTcb {
  const byte = (i: number) => Number((raw >> BigInt(8 * i)) & 0xffn);
  if (product === 'Turin') {
    return { fmc: byte(0), bootloader: byte(1), tee: byte(2), snp: byte(3), microcode: byte(7) };
  }
  return { bootloader: byte(0), tee: byte(1), snp: byte(6), microcode: byte(7) };
}

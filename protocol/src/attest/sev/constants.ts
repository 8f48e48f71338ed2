/**
 * Constants of AMD SEV-SNP attestation: the ATTESTATION_REPORT layout (AMD
 * "SEV Secure Nested Paging Firmware ABI Specification", pub. 56860, Table 23
 * "ATTESTATION_REPORT Structure", report versions 2 to 5), the signature
 * algorithm encoding (Table 117 "Signature Algorithm Encodings"), and the
 * X.509 extensions AMD puts in VCEK certificates ("Versioned Chip Endorsement
 * Key (VCEK) Certificate and KDS Interface Specification", pub. 57230, §3.1).
 */

/** AMD EPYC product lines with pinned roots. */
export type SnpProduct = 'Milan' | 'Genoa' | 'Turin';
export const SNP_PRODUCTS: readonly SnpProduct[] = ['Milan', 'Genoa', 'Turin'];

/** Report versions this build parses; any other version is refused. */
export const SUPPORTED_REPORT_VERSIONS: readonly number[] = [2, 3, 4, 5];

/** Total report size, bytes (Table 23: 0x000..0x49F). */
export const SNP_REPORT_SIZE_BYTES = 0x4a0;
/** The signature covers bytes 0x000..0x29F (Table 23, SIGNATURE note). */
export const SNP_SIGNED_LENGTH_BYTES = 0x2a0;

/** Byte offsets in ATTESTATION_REPORT (Table 23). */
export const OFFSET = {
  VERSION: 0x00, // u32
  GUEST_SVN: 0x04, // u32
  POLICY: 0x08, // u64
  FAMILY_ID: 0x10, // 16 bytes
  IMAGE_ID: 0x20, // 16 bytes
  VMPL: 0x30, // u32
  SIGNATURE_ALGO: 0x34, // u32
  CURRENT_TCB: 0x38, // TCB_VERSION, u64
  PLATFORM_INFO: 0x40, // u64
  KEY_INFO: 0x48, // u32: bit 0 AUTHOR_KEY_EN, bit 1 MASK_CHIP_KEY, bits 4:2 SIGNING_KEY
  REPORT_DATA: 0x50, // 64 bytes
  MEASUREMENT: 0x90, // 48 bytes
  HOST_DATA: 0xc0, // 32 bytes
  ID_KEY_DIGEST: 0xe0, // 48 bytes
  AUTHOR_KEY_DIGEST: 0x110, // 48 bytes
  REPORT_ID: 0x140, // 32 bytes
  REPORT_ID_MA: 0x160, // 32 bytes
  REPORTED_TCB: 0x180, // u64
  CPUID_FAM_ID: 0x188, // u8, version 3+ (reserved in v2)
  CPUID_MOD_ID: 0x189, // u8, version 3+
  CPUID_STEP: 0x18a, // u8, version 3+
  CHIP_ID: 0x1a0, // 64 bytes
  COMMITTED_TCB: 0x1e0, // u64
  CURRENT_BUILD: 0x1e8, // u8, then CURRENT_MINOR, CURRENT_MAJOR
  COMMITTED_BUILD: 0x1ec, // u8, then COMMITTED_MINOR, COMMITTED_MAJOR
  LAUNCH_TCB: 0x1f0, // u64
  LAUNCH_MIT_VECTOR: 0x1f8, // u64, version 5+ (reserved before)
  CURRENT_MIT_VECTOR: 0x200, // u64, version 5+ (reserved before)
  SIGNATURE: 0x2a0, // 0x200 bytes: R (72, LE), S (72, LE), reserved
  SIGNATURE_RESERVED: 0x330, // ..0x49F: reserved, not covered by the signature
} as const;

export const LENGTH = {
  FAMILY_ID: 16,
  IMAGE_ID: 16,
  REPORT_DATA: 64,
  MEASUREMENT: 48,
  HOST_DATA: 32,
  ID_KEY_DIGEST: 48,
  AUTHOR_KEY_DIGEST: 48,
  REPORT_ID: 32,
  CHIP_ID: 64,
  /** Each of R and S in the report signature (Table 118 "ECDSA P-384 with SHA-384 Signature"). */
  SIG_COMPONENT: 72,
  /** A P-384 scalar as WebCrypto (IEEE P1363) wants it. */
  P384_SCALAR: 48,
} as const;

/**
 * Reserved bytes inside the signed area (Table 23), [start, end) per report
 * version; they must be zero. Version 3 defines CPUID_FAM_ID/MOD_ID/STEP at
 * 0x188–0x18A (reserved in version 2); version 4 has version 3's layout;
 * version 5 defines LAUNCH_MIT_VECTOR and CURRENT_MIT_VECTOR at 0x1F8–0x207.
 */
export function signedReservedRanges(version: number): readonly (readonly [number, number])[] {
  return [
    [0x04c, 0x050],
    [version >= 3 ? 0x18b : 0x188, 0x1a0],
    [0x1eb, 0x1ec],
    [0x1ef, 0x1f0],
    [version >= 5 ? 0x208 : 0x1f8, 0x2a0],
  ];
}

/** Table 117: SIGNATURE_ALGO 1 = ECDSA P-384 with SHA-384. */
export const SIG_ALGO_ECDSA_P384_SHA384 = 1;

/** KEY_INFO bits 4:2 (Table 23): which key signed the report. */
export const SIGNING_KEY = { VCEK: 0, VLEK: 1, NONE: 7 } as const;

/** OIDs of the AMD VCEK/VLEK certificate extensions (pub. 57230 Table 8). */
export const AMD_OID = {
  STRUCT_VERSION: '1.3.6.1.4.1.3704.1.1',
  PRODUCT_NAME: '1.3.6.1.4.1.3704.1.2',
  BL_SPL: '1.3.6.1.4.1.3704.1.3.1',
  TEE_SPL: '1.3.6.1.4.1.3704.1.3.2',
  SNP_SPL: '1.3.6.1.4.1.3704.1.3.3',
  UCODE_SPL: '1.3.6.1.4.1.3704.1.3.8',
  FMC_SPL: '1.3.6.1.4.1.3704.1.3.9',
  HW_ID: '1.3.6.1.4.1.3704.1.4',
  CSP_ID: '1.3.6.1.4.1.3704.1.5',
} as const;

/** RSASSA-PSS (RFC 4055 §3.1), the only signature algorithm AMD's ARK/ASK use. */
export const OID_RSASSA_PSS = '1.2.840.113549.1.1.10';
export const OID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
/** DER of the namedCurve OID secp384r1 (1.3.132.0.34), the EC key parameters of a VCEK. */
export const EC_P384_PARAMS_HEX = '06052b81040022';

/**
 * DER of RSASSA-PSS-params {SHA-384, MGF1(SHA-384), saltLength 48} as AMD
 * encodes them: with the (default) trailerField 1 spelled out, and without it.
 */
export const PSS_SHA384_PARAMS_HEX: readonly string[] = [
  '3039a00f300d06096086480165030402020500a11c301a06092a864886f70d010108300d06096086480165030402020500a203020130a303020101',
  '3034a00f300d06096086480165030402020500a11c301a06092a864886f70d010108300d06096086480165030402020500a203020130',
];
/** PSS salt length used by AMD's certificates, bytes (SHA-384 output size). */
export const PSS_SALT_LENGTH_BYTES = 48;

/**
 * CPUID family/model ranges per product (v3 reports carry them; AMD family
 * 19h = Zen 3/4, 1Ah = Zen 5). Genoa includes Bergamo/Siena (model A0h-AFh).
 */
export const CPUID_PRODUCTS: readonly {
  family: number;
  modelMin: number;
  modelMax: number;
  product: SnpProduct;
}[] = [
  { family: 0x19, modelMin: 0x00, modelMax: 0x0f, product: 'Milan' },
  { family: 0x19, modelMin: 0x10, modelMax: 0x1f, product: 'Genoa' },
  { family: 0x19, modelMin: 0xa0, modelMax: 0xaf, product: 'Genoa' },
  { family: 0x1a, modelMin: 0x00, modelMax: 0x1f, product: 'Turin' },
];

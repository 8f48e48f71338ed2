/**
 * Byte layouts and identifiers of Intel TDX DCAP quotes and their collateral:
 * "Intel TDX DCAP Quoting Library API" (rev. 2023), Appendix A "TD Quote
 * Format" (quote versions 4 and 5, TD Quote Body for TDX 1.0 and 1.5, ECDSA
 * Quote Signature Data, QE Certification Data), the SGX enclave REPORT body
 * (Intel SDM Vol. 3D §38.15 "REPORT"), and the "Intel SGX PCK Certificate
 * and CRL Profile" (SGX extension OIDs). Offsets are from the start of the
 * structure they name.
 */

/** Quote header (Appendix A.3, 48 bytes). */
export const HEADER = {
  VERSION: 0,
  ATTESTATION_KEY_TYPE: 2,
  TEE_TYPE: 4,
  RESERVED1: 8,
  RESERVED2: 10,
  QE_VENDOR_ID: 12,
  USER_DATA: 28,
  SIZE: 48,
} as const;

/** ATTESTATION_KEY_TYPE 2: ECDSA-256-with-P-256 curve (the only one TDX defines). */
export const ATTESTATION_KEY_ECDSA_P256 = 2;
/** TEE_TYPE 0x81: TDX (0x00 is SGX). */
export const TEE_TYPE_TDX = 0x81;
/** QE_VENDOR_ID of the Intel Quoting Enclave. */
export const INTEL_QE_VENDOR_ID_HEX = '939a7233f79c4ca9940a0db3957f0607';

/** TD Quote Body (Appendix A.3.2 "TD Quote Body" / v5 "TD Report body 1.5"). */
export const BODY = {
  TEE_TCB_SVN: 0,
  MR_SEAM: 16,
  MR_SIGNER_SEAM: 64,
  SEAM_ATTRIBUTES: 112,
  TD_ATTRIBUTES: 120,
  XFAM: 128,
  MR_TD: 136,
  MR_CONFIG_ID: 184,
  MR_OWNER: 232,
  MR_OWNER_CONFIG: 280,
  RTMR0: 328,
  REPORT_DATA: 520,
  /** TDX 1.0 body ends here (584 bytes). */
  SIZE_TDX10: 584,
  /** TDX 1.5 only: TEE_TCB_SVN_2 (16) and MRSERVICETD (48). */
  TEE_TCB_SVN_2: 584,
  MR_SERVICE_TD: 600,
  SIZE_TDX15: 648,
} as const;

/** v5 body descriptor (Appendix A.4): type (u16), size (u32), then the body. */
export const V5_BODY_TYPE = { SGX: 1, TDX10: 2, TDX15: 3 } as const;
export const V5_BODY_DESCRIPTOR_BYTES = 6;

/** TD_ATTRIBUTES bit 0 (TUD.DEBUG): the TD runs in debug mode, the host can read it. */
export const TD_ATTRIBUTES_DEBUG_BIT = 0n;

/** ECDSA 256-bit Quote Signature Data (Appendix A.3.8): signature, key, certification data. */
export const SIG_DATA = {
  SIGNATURE: 0,
  ATTESTATION_KEY: 64,
  CERT_DATA_TYPE: 128,
  CERT_DATA_SIZE: 130,
  CERT_DATA: 134,
} as const;

/** Certification data types (Appendix A.3.9). */
export const CERT_DATA_TYPE = {
  /** Concatenated PCK cert chain, PEM: leaf, PCK CA, root. */
  PCK_CHAIN: 5,
  /** QE Report Certification Data (holds a type-5 inner certification data). */
  QE_REPORT: 6,
} as const;

/** SGX REPORT body of the QE (SDM Vol. 3D Table 38-21), 384 bytes. */
export const QE_REPORT = {
  CPU_SVN: 0,
  MISC_SELECT: 16,
  ATTRIBUTES: 48,
  MR_ENCLAVE: 64,
  MR_SIGNER: 128,
  ISV_PROD_ID: 256,
  ISV_SVN: 258,
  REPORT_DATA: 320,
  SIZE: 384,
} as const;

export const LENGTH = {
  MEASUREMENT: 48,
  REPORT_DATA: 64,
  P256_SIGNATURE: 64,
  P256_RAW_KEY: 64,
  QE_REPORT_SIGNATURE: 64,
} as const;

/**
 * Real quotes are ~5 KiB (the PEM chain is most of it); 64 KiB bounds a
 * hostile one while leaving room for the padded buffers configfs-tsm returns.
 */
export const MAX_QUOTE_BYTES = 64 * 1024;

/** SGX extension OIDs in the PCK certificate (PCK Certificate Profile §1.3.5). */
export const SGX_OID = {
  EXTENSIONS: '1.2.840.113741.1.13.1',
  PPID: '1.2.840.113741.1.13.1.1',
  TCB: '1.2.840.113741.1.13.1.2',
  /** TCB component n (1..16) is `TCB.n`; PCESVN is `TCB.17`, CPUSVN `TCB.18`. */
  PCESVN: '1.2.840.113741.1.13.1.2.17',
  CPUSVN: '1.2.840.113741.1.13.1.2.18',
  PCE_ID: '1.2.840.113741.1.13.1.3',
  FMSPC: '1.2.840.113741.1.13.1.4',
  SGX_TYPE: '1.2.840.113741.1.13.1.5',
} as const;

export const OID_ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
export const OID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
export const OID_P256 = '1.2.840.10045.3.1.7';

/** Subject common names of the Intel hierarchy (PCK Certificate Profile §1.1). */
export const INTEL_CN = {
  ROOT: 'Intel SGX Root CA',
  PLATFORM_CA: 'Intel SGX PCK Platform CA',
  PROCESSOR_CA: 'Intel SGX PCK Processor CA',
  PCK: 'Intel SGX PCK Certificate',
  TCB_SIGNING: 'Intel SGX TCB Signing',
} as const;

/**
 * TCB statuses of Intel's TCB Info / QE Identity (Intel PCS API v4, "TCB
 * Info V3" `tcbStatus`), worst last. `Revoked` is never accepted.
 */
export const TDX_TCB_STATUSES = [
  'UpToDate',
  'SWHardeningNeeded',
  'ConfigurationNeeded',
  'ConfigurationAndSWHardeningNeeded',
  'OutOfDate',
  'OutOfDateConfigurationNeeded',
  'Revoked',
] as const;
export type TdxTcbStatus = (typeof TDX_TCB_STATUSES)[number];

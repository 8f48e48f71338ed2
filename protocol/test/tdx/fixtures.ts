/**
 * Fixtures for the TDX verifier tests: the google/go-tdx-guest vectors (a
 * real v4 Sapphire Rapids quote and its 2023 Intel PCS collateral) read by
 * path from ../shared/vectors, never copied, and helpers to tamper with them.
 */

import { readFileSync } from 'node:fs';
import type { TdxAcceptancePolicy, TdxCollateral } from '../../src/attest/tdx';

const DIR = new URL('../../../../shared/vectors/tdx/go-tdx-guest/', import.meta.url);
const file = (name: string) => new Uint8Array(readFileSync(new URL(name, DIR)));
const text = (name: string) => readFileSync(new URL(name, DIR), 'utf8');

export const tdxVectors = {
  quote: () => file('tdx_prod_quote_SPR_E4.dat'),
  tcbInfo: () => text('sample_tcbInfo_response'),
  qeIdentity: () => text('sample_qeIdentity_response'),
  /** URL-encoded PEM, as Intel PCS sends it in the issuer-chain header. */
  tcbSigningChain: () => text('tcb_signing_chain.txt'),
  pckCrl: () => file('pckcrl'),
  rootCrl: () => file('rootcrl.der'),
  rootPem: () => text('trusted_root.pem'),
};

/**
 * Inside every window of the quote's PCK chain (2022-09-20..2029-09-20), the
 * PCK CRL (2023-06-08..07-08), the root CRL (2023-04-03..2024-04-02), the TCB
 * Info (2023-06-18..07-18) and the QE Identity (2023-06-08..07-08).
 */
export const TDX_NOW = new Date('2023-06-20T00:00:00Z');

/** The vector's TCB Signing certificate is a 2025 re-issue (same key): valid 2025-05-06..2032-05-06. */
export const TCB_SIGNER_NOT_BEFORE = new Date('2025-05-06T09:25:00Z');

export const OPEN_TDX: TdxAcceptancePolicy = { measurements: 'any', reportData: 'any' };

export function crls(): TdxCollateral {
  return { pckCrl: tdxVectors.pckCrl(), rootCrl: tdxVectors.rootCrl() };
}

export function fullCollateral(): TdxCollateral {
  return {
    ...crls(),
    tcbInfo: tdxVectors.tcbInfo(),
    qeIdentity: tdxVectors.qeIdentity(),
    tcbSigningChain: tdxVectors.tcbSigningChain(),
  };
}

/** Offsets in the v4 vector quote. */
export const AT = {
  HEADER: 0,
  BODY: 48,
  TD_ATTRIBUTES: 48 + 120,
  MR_TD: 48 + 136,
  RTMR0: 48 + 328,
  REPORT_DATA: 48 + 520,
  SIG_LEN: 632,
  SIGNATURE: 636,
  ATTESTATION_KEY: 636 + 64,
  QE_REPORT: 636 + 134,
  QE_REPORT_SIGNATURE: 636 + 134 + 384,
  QE_AUTH_SIZE: 636 + 134 + 384 + 64,
} as const;

export function flip(bytes: Uint8Array, offset: number, mask = 0x01): Uint8Array {
  const b = bytes.slice();
  b[offset]! ^= mask;
  return b;
}

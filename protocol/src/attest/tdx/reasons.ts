/**
 * Reason codes for refused Intel TDX evidence. Every refusal names one; a
 * `VerificationError` from this folder carries reasons formatted
 * `"<code>: <detail>"`, one per failed check. Details never carry quote or
 * key bytes beyond short public identifiers (FMSPC, statuses, dates).
 */

import { VerificationError } from '../../errors';

export type TdxReasonCode =
  // quote shape
  | 'quote-malformed'
  | 'quote-version-unsupported'
  | 'quote-not-tdx'
  | 'quote-key-type-unsupported'
  | 'quote-vendor-unknown'
  | 'quote-cert-data-unsupported'
  | 'quote-signature'
  | 'qe-report-signature'
  | 'qe-report-data'
  // PCK chain and CRLs
  | 'pck-chain-malformed'
  | 'cert-algorithm'
  | 'cert-validity'
  | 'cert-issuer-mismatch'
  | 'cert-signature'
  | 'cert-not-ca'
  | 'root-not-pinned'
  | 'pck-extension'
  | 'crl-malformed'
  | 'crl-issuer'
  | 'crl-signature'
  | 'crl-validity'
  | 'cert-revoked'
  // collateral
  | 'collateral-malformed'
  | 'collateral-signature'
  | 'collateral-validity'
  | 'collateral-signing-chain'
  | 'tcb-info-mismatch'
  | 'tcb-level-none'
  | 'tdx-module-identity'
  | 'qe-identity-mismatch'
  // acceptance policy
  | 'tcb-status-not-allowed'
  | 'td-debug'
  | 'measurement-not-allowed'
  | 'report-data-mismatch';

export interface TdxFailure {
  readonly code: TdxReasonCode;
  readonly detail: string;
}

export function failure(code: TdxReasonCode, detail: string): TdxFailure {
  return { code, detail };
}

/** Builds the error for a non-empty list of failures. */
export function tdxVerificationError(failures: readonly TdxFailure[], cause?: unknown) {
  const reasons = failures.map((f) => `${f.code}: ${f.detail}`);
  return cause === undefined
    ? new VerificationError(reasons)
    : new VerificationError(reasons, { cause });
}

/** The reason codes of a `VerificationError` from this folder, in order. */
export function tdxReasonCodes(e: VerificationError): TdxReasonCode[] {
  return e.reasons.map(
    (r) => r.slice(0, r.indexOf(':') < 0 ? r.length : r.indexOf(':')) as TdxReasonCode,
  );
}

/**
 * Reason codes for refused SEV-SNP evidence. Every refusal names one; a
 * `VerificationError` from this folder carries reasons formatted
 * `"<code>: <detail>"`, one per failed check, so callers can match the code
 * and show the detail. Details never contain report or key bytes beyond
 * short public identifiers.
 */

import { VerificationError } from '../../errors';

export type SnpReasonCode =
  // report shape
  | 'report-malformed'
  | 'report-version-unsupported'
  | 'report-signature-algo-unsupported'
  | 'report-signing-key-unsupported'
  | 'report-chip-key-masked'
  | 'report-signature-encoding'
  | 'report-reserved-nonzero'
  | 'report-signature'
  // product identification
  | 'product-unknown'
  | 'product-mismatch'
  // certificate chain
  | 'vcek-missing'
  | 'vcek-malformed'
  | 'chain-malformed'
  | 'cert-algorithm'
  | 'cert-validity'
  | 'cert-issuer-mismatch'
  | 'ark-not-pinned'
  | 'ark-self-signature'
  | 'ask-signature'
  | 'vcek-signature'
  | 'vcek-key-algorithm'
  | 'vcek-extension'
  | 'vcek-hwid-mismatch'
  | 'signing-key-mismatch'
  | 'vcek-tcb-mismatch'
  // revocation (the ARK-signed CRL)
  | 'crl-malformed'
  | 'crl-signature'
  | 'crl-validity'
  | 'cert-revoked'
  // acceptance policy
  | 'policy-reserved-bits'
  | 'policy-debug'
  | 'policy-migration-agent'
  | 'policy-smt'
  | 'policy-single-socket'
  | 'vmpl'
  | 'guest-svn-below-minimum'
  | 'tcb-below-minimum'
  | 'tcb-inconsistent'
  | 'firmware-below-minimum'
  | 'measurement-not-allowed'
  | 'report-data-mismatch';

export interface SnpFailure {
  readonly code: SnpReasonCode;
  readonly detail: string;
}

export function failure(code: SnpReasonCode, detail: string): SnpFailure {
  return { code, detail };
}

/** Builds the error for a non-empty list of failures. */
export function snpVerificationError(failures: readonly SnpFailure[], cause?: unknown) {
  const reasons = failures.map((f) => `${f.code}: ${f.detail}`);
  return cause === undefined
    ? new VerificationError(reasons)
    : new VerificationError(reasons, { cause });
}

/** The reason codes of a `VerificationError` from this folder, in order. */
export function snpReasonCodes(e: VerificationError): SnpReasonCode[] {
  return e.reasons.map(
    (r) => r.slice(0, r.indexOf(':') < 0 ? r.length : r.indexOf(':')) as SnpReasonCode,
  );
}

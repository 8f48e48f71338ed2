/**
 * AMD SEV-SNP attestation: report parsing, AMD certificate chain, report
 * signature, acceptance policy and the one-call verifier. Browser-safe (no
 * `node:` imports): runs in the extension's service worker and in Node.
 */

export {
  checkSnpChain,
  pinnedChain,
  type SnpChainInput,
  type SnpChainOutcome,
  type SnpChainResult,
  verifySnpCertChain,
} from './cert-chain';
export {
  clearSnpKeyCache,
  parseSnpCertificate,
  pemCertificates,
  productFromVcekName,
  readVcekExtensions,
  type SnpCertificate,
  type VcekExtensions,
} from './certificate';
export { REPORT_SIZE_BYTES, SNP_PRODUCTS, type SnpProduct } from './constants';
export {
  DEFAULT_MINIMUM_TCB,
  decodeGuestPolicy,
  decodePlatformInfo,
  evaluateSnpPolicy,
  type SnpAcceptancePolicy,
  type SnpGuestPolicy,
  type SnpPlatformInfo,
} from './policy';
export { type SnpFailure, type SnpReasonCode, snpReasonCodes } from './reasons';
export {
  decodeTcb,
  parseSnpReport,
  productFromCpuid,
  type SnpCpuid,
  type SnpFirmwareVersion,
  type SnpReport,
  type SnpTcb,
} from './report';
export { PINNED_ROOTS } from './roots';
export { leComponentToP1363, reportSignatureP1363, verifyReportSignature } from './signature';
export { type SnpReportSummary, summarizeSnpReport } from './summary';
export { type SnpVerificationTiming, timeSnpVerification } from './timing';
export {
  type SnpEvidenceInput,
  type SnpVerifiedEvidence,
  type SnpVerifyOptions,
  verifySnpEvidence,
} from './verify';

/**
 * AMD SEV-SNP attestation: report parsing, AMD certificate chain, report
 * signature, acceptance policy and the one-call verifier. Browser-safe (no
 * `node:` imports): runs in the extension's service worker and in Node.
 */

export {
  checkSnpChain,
  pinnedSnpChain,
  type SnpChainInput,
  type SnpChainOutcome,
  type SnpChainResult,
  verifySnpCertChain,
} from './cert-chain';
export {
  clearSnpKeyCache,
  parseSnpCertificate,
  productFromVcekName,
  readVcekExtensions,
  type SnpCertificate,
  type VcekExtensions,
} from './certificate';
export { SNP_PRODUCTS, SNP_REPORT_SIZE_BYTES, type SnpProduct } from './constants';
export { checkSnpCrl, parseSnpCrl, type SnpCrl } from './crl';
export {
  DEFAULT_SNP_MINIMUM_TCB,
  decodeSnpGuestPolicy,
  defaultSnpMinimumTcb,
  decodeSnpPlatformInfo,
  evaluateSnpPolicy,
  type SnpAcceptancePolicy,
  type SnpGuestPolicy,
  type SnpPlatformInfo,
  snpTcbConsistencyFailures,
} from './policy';
export { type SnpFailure, type SnpReasonCode, snpReasonCodes } from './reasons';
export {
  decodeSnpTcb,
  parseSnpReport,
  productFromCpuid,
  type SnpCpuid,
  type SnpFirmwareVersion,
  type SnpReport,
  type SnpTcb,
} from './report';
export { SNP_PINNED_ROOTS } from './roots';
export { leComponentToP1363, snpReportSignatureP1363, verifySnpReportSignature } from './signature';
export { type SnpReportSummary, summarizeSnpReport } from './summary';
export { type SnpVerificationTiming, timeSnpVerification } from './timing';
export {
  type SnpEvidenceInput,
  type SnpVerifiedEvidence,
  type SnpVerifyOptions,
  verifySnpEvidence,
} from './verify';

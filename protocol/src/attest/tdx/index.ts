/**
 * Intel TDX attestation: DCAP quote parsing (v4, v5), the Intel PCK chain
 * and CRLs, Intel PCS collateral (TCB Info V3, TD_QE Identity), TCB status,
 * the TD acceptance policy and the one-call verifier. Browser-safe (no
 * `node:` imports): runs in the extension's service worker and in Node.
 */

export {
  checkPckChain,
  checkTcbSigningChain,
  type PckChainOutcome,
  pinnedIntelRoot,
  type TdxCrls,
} from './cert-chain';
export {
  clearTdxKeyCache,
  parseCertificateChain,
  parseCrl,
  type PckExtensions,
  readPckExtensions,
  type X509Crl,
} from './certificate';
export {
  parseTdxQeIdentity,
  parseTdxTcbInfo,
  type SignedCollateral,
  splitSignedBody,
  type TdxQeIdentity,
  type TdxTcbInfo,
  type TdxTcbLevel,
} from './collateral';
export { MAX_QUOTE_BYTES, TDX_TCB_STATUSES, type TdxTcbStatus } from './constants';
export {
  DEFAULT_TDX_TCB_STATUSES,
  evaluateTdxPolicy,
  type TdxAcceptancePolicy,
  type TdxExpectedMeasurements,
  tdxStatusAllowed,
} from './policy';
export {
  parseTdxQuote,
  type TdxQeReport,
  type TdxQuote,
  type TdxTdReport,
  tdxQuoteHex,
} from './quote';
export { type TdxFailure, type TdxReasonCode, tdxReasonCodes } from './reasons';
export { INTEL_SGX_ROOT_CA_PEM } from './roots';
export { evaluateTdxTcb, type TdxTcbEvaluation } from './tcb';
export { type TdxVerificationTiming, timeTdxVerification } from './timing';
export {
  type TdxCollateral,
  type TdxVerifiedEvidence,
  type TdxVerifyOptions,
  verifyTdxQuote,
} from './verify';

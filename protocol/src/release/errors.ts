/**
 * Why a release (or evidence that leans on one) was refused. Each refusal names the
 * one check that failed, so the UI and the tests can tell a wrong repository from a
 * tampered predicate. Messages carry identities, digests and counts: public data.
 */
import { VerificationError } from '../errors';

export type ReleaseCheck =
  /** The bundle is not a Sigstore bundle this build reads. */
  | 'bundle'
  /** The trusted root is unreadable, or the certificate does not chain to it. */
  | 'trusted-root'
  /** The certificate was not valid when the log says the bundle was signed. */
  | 'certificate'
  /** No verified transparency-log entry (or timestamp) for the signature. */
  | 'log'
  /** The signature does not verify over the envelope or artefact. */
  | 'signature'
  /** The managed key is not the configured one, or none is configured. */
  | 'signing-key'
  /** OIDC issuer of the signing certificate. */
  | 'issuer'
  /** Workflow identity (the certificate's SAN) other than the policy's. */
  | 'identity'
  /** The workflow ran in another repository. */
  | 'repository'
  /** The workflow ran for a branch or another ref, not a release tag. */
  | 'tag'
  /** The signed subject is not this artefact. */
  | 'artifact'
  /** The DSSE payload is not an in-toto Statement v1 with our predicate. */
  | 'statement'
  /** The evidence's measurement is not one the release lists for its platform. */
  | 'measurement'
  /** The evidence's model is not the release's. */
  | 'model'
  /** The release does not name the inference engine it runs. */
  | 'engine'
  /** REPORT_DATA does not bind this evidence (keys, model, release, key time). */
  | 'report-data'
  /** The key is older than rotation + grace, or dated in the future. */
  | 'key-age';

/** A release or evidence check failed. `check` says which; send nothing. */
export class ReleaseRefusedError extends VerificationError {
  readonly check: ReleaseCheck;
  constructor(check: ReleaseCheck, detail: string, options?: { cause?: unknown }) {
    super([`${check}: ${detail}`], options);
    this.message = `refused by the ${check} check: ${detail}`;
    this.check = check;
  }
}

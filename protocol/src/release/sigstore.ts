/**
 * Sigstore bundle verification (https://docs.sigstore.dev/about/bundle/, bundle v0.1-v0.3),
 * behind one small function. The work is done by @sigstore/verify (certificate chain to
 * the trusted root, SCTs, transparency-log inclusion proofs, checkpoints and SETs, RFC
 * 3161 timestamps, the signature over the artefact or the DSSE PAE) and @sigstore/bundle
 * (parsing and shape checks); this file only feeds them and maps their failures to a
 * `ReleaseCheck`. What the caller then trusts (which identity, which subject) is decided
 * by the caller from the returned signer: see `policy.ts` and the conformance CLI.
 *
 * Runs in Node and, through the small `crypto`/`buffer` shims the extension build
 * aliases in (extension/src/sigstore-shim/), in the MV3 service worker.
 */
import './shim/buffer-global';
import { type Bundle, bundleFromJSON } from '@sigstore/bundle';
import { crypto as sigCrypto } from '@sigstore/core';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import {
  type SignedEntity,
  type Signer,
  VerificationError as SigstoreVerificationError,
  Verifier,
  toSignedEntity,
  toTrustMaterial,
} from '@sigstore/verify';
import { p256 } from '@noble/curves/nist.js';
import { equalBytes, fromBase64, toHex } from '../bytes';
import { type ReleaseCheck, ReleaseRefusedError } from './errors';
import { createPublicKey as createShimKey } from './shim/node-crypto';
import { PUBLIC_GOOD_TRUSTED_ROOT } from './trusted-root';

const P256_OID = '1.2.840.10045.3.1.7';

/** Largest bundle accepted: real ones are 5-10 KiB. */
export const MAX_BUNDLE_BYTES = 256 * 1024;
const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/**
 * What was signed: the artefact's bytes, or only its SHA-256 (`sha256:DIGEST` on the CLI),
 * or `{ envelope: true }`: any in-toto envelope, whose statement the caller judges itself
 * (a client checking a release manifest has the statement, not the artefact).
 */
export type SignedSubject = { bytes: Uint8Array } | { sha256: Uint8Array } | { envelope: true };

export interface SigstoreOptions {
  /** A `trusted_root.json` value; Sigstore's public-good root when absent. */
  trustedRoot?: unknown;
  /**
   * Verify with this managed key (SPKI, PEM or DER) instead of a Fulcio certificate. The
   * caller accepts such a bundle only when the key is one the user configured.
   */
  publicKey?: string | Uint8Array;
  /**
   * Require a verified transparency-log entry (default true). Only a managed-key bundle
   * made offline (`sotto release sign --key`) has none.
   */
  requireLog?: boolean;
}

export interface SigstoreVerified {
  /** The DSSE payload when the bundle carries an envelope. */
  dsse?: { payloadType: string; payload: Uint8Array };
  /** The certificate's identity (absent for a managed key). */
  signer: { subjectAlternativeName?: string; issuer?: string };
  /** First verified log entry: where a reader finds it in Rekor. */
  log?: { logIndex: string; integratedTime?: Date; logId: string };
}

function refuse(check: ReleaseCheck, detail: string, cause?: unknown): never {
  throw new ReleaseRefusedError(check, detail, cause === undefined ? undefined : { cause });
}

/** Maps @sigstore/verify's error codes to the check that failed. */
function checkOf(e: SigstoreVerificationError): ReleaseCheck {
  const code = String(e.code);
  if (code.startsWith('TLOG') || code === 'TIMESTAMP_ERROR') return 'log';
  if (code === 'SIGNATURE_ERROR') return 'signature';
  if (code === 'PUBLIC_KEY_ERROR') return 'signing-key';
  if (code === 'CERTIFICATE_ERROR') {
    // The chain check wraps the reason of the last CA it tried.
    const inner = e.cause instanceof Error ? e.cause.message : '';
    return /expired|not valid/.test(`${e.message} ${inner}`) ? 'certificate' : 'trusted-root';
  }
  return 'signature';
}

function parseBundle(json: unknown): Bundle {
  let value = json;
  if (typeof json === 'string') {
    if (json.length > MAX_BUNDLE_BYTES) refuse('bundle', 'Sigstore bundle is too large');
    try {
      value = JSON.parse(json);
    } catch (cause) {
      refuse('bundle', 'Sigstore bundle is not JSON', cause);
    }
  }
  try {
    return bundleFromJSON(value);
  } catch (cause) {
    refuse('bundle', `not a Sigstore bundle: ${(cause as Error).message}`, cause);
  }
}

function trustMaterial(options: SigstoreOptions) {
  let root: TrustedRoot;
  try {
    root = TrustedRoot.fromJSON(options.trustedRoot ?? PUBLIC_GOOD_TRUSTED_ROOT);
  } catch (cause) {
    refuse('trusted-root', 'trusted root is unreadable', cause);
  }
  if (options.publicKey === undefined) return toTrustMaterial(root);
  const key = options.publicKey;
  let publicKey: ReturnType<typeof sigCrypto.createPublicKey>;
  try {
    publicKey = sigCrypto.createPublicKey(typeof key === 'string' ? key : Buffer.from(key));
  } catch (cause) {
    refuse('signing-key', 'the configured public key is unreadable', cause);
  }
  // One managed key, whatever the bundle's hint says: the hint is not authenticated.
  return toTrustMaterial(root, () => ({ publicKey, validFor: () => true }));
}

/** For an in-toto envelope, the artefact must be one of the statement's subjects (in-toto v1). */
function checkDsseSubject(payload: Uint8Array, subject: SignedSubject): void {
  if ('envelope' in subject) return;
  let statement: unknown;
  try {
    statement = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch (cause) {
    refuse('statement', 'the DSSE payload is not JSON', cause);
  }
  const subjects = (statement as { subject?: unknown }).subject;
  if (!Array.isArray(subjects)) refuse('statement', 'the statement has no subject list');
  const want = toHex(
    'bytes' in subject ? sigCrypto.digest('sha256', subject.bytes) : subject.sha256,
  );
  const found = subjects.some((s: unknown) => {
    const d = (s as { digest?: { sha256?: unknown } } | null)?.digest?.sha256;
    return typeof d === 'string' && d.toLowerCase() === want;
  });
  if (!found) refuse('artifact', 'the statement does not name this artefact');
}

function entityFor(bundle: Bundle, subject: SignedSubject): SignedEntity {
  if (bundle.content.$case === 'messageSignature') {
    const signed = bundle.content.messageSignature;
    if ('envelope' in subject) refuse('statement', 'the bundle signs a message, not a statement');
    if ('bytes' in subject) return toSignedEntity(bundle, Buffer.from(subject.bytes));
    // Only the digest: it must be the signed one, and the signature is checked over it.
    if (!equalBytes(signed.messageDigest?.digest ?? new Uint8Array(), subject.sha256)) {
      refuse('artifact', 'the bundle signs another artefact');
    }
    const entity = toSignedEntity(bundle, Buffer.alloc(0));
    const digest = subject.sha256;
    const signature = new Uint8Array(signed.signature);
    entity.signature.verifySignature = (key) => verifyPrehashed(key, digest, signature);
    return entity;
  }
  return toSignedEntity(bundle);
}

/**
 * ECDSA verification over a SHA-256 digest the caller already has (a `sha256:DIGEST`
 * subject), by @noble/curves with the key read as SPKI. The message signatures Sigstore
 * makes are ECDSA over SHA-256 of the artefact; other keys do not verify this way.
 */
function verifyPrehashed(key: unknown, digest: Uint8Array, signature: Uint8Array): boolean {
  const k = key as { spki?: Uint8Array; export?: (o: object) => Uint8Array };
  const spki = k.spki ?? k.export?.({ format: 'der', type: 'spki' });
  if (!spki || digest.length !== 32) return false;
  const parsed = createShimKey(new Uint8Array(spki));
  if (parsed.asymmetricKeyType !== 'ec' || parsed.curveOid !== P256_OID) return false;
  try {
    return p256.verify(signature, digest, parsed.point, {
      prehash: false,
      lowS: false,
      format: 'der',
    });
  } catch {
    return false;
  }
}

/**
 * Verifies a Sigstore bundle over `subject`: signature, certificate chain (or managed key),
 * transparency-log inclusion and timestamps, and for an in-toto envelope that the
 * statement names the subject. Identity is *not* judged here; the caller compares
 * `signer` with its policy.
 * @throws ReleaseRefusedError naming the failed check.
 */
export function verifySigstoreBundle(
  json: unknown,
  subject: SignedSubject,
  options: SigstoreOptions = {},
): SigstoreVerified {
  const bundle = parseBundle(json);
  const material = trustMaterial(options);
  const requireLog = options.requireLog ?? true;
  if (
    bundle.verificationMaterial.content.$case === 'publicKey' &&
    options.publicKey === undefined
  ) {
    refuse('signing-key', 'the bundle is signed by a managed key and no key is configured');
  }
  if (
    bundle.verificationMaterial.content.$case !== 'publicKey' &&
    options.publicKey !== undefined
  ) {
    refuse('signing-key', 'a managed key is configured but the bundle carries a certificate');
  }
  const entity = entityFor(bundle, subject);
  const verifier = new Verifier(material, {
    // SCTs are required whenever the trusted root lists CT logs (the public-good one does).
    ctlogThreshold: material.ctlogs.length > 0 ? 1 : 0,
    tlogThreshold: requireLog ? 1 : 0,
    timestampThreshold:
      requireLog || bundle.verificationMaterial.content.$case !== 'publicKey' ? 1 : 0,
  });
  let signer: Signer;
  try {
    signer = verifier.verify(entity);
  } catch (cause) {
    if (cause instanceof SigstoreVerificationError) {
      const inner = cause.cause instanceof Error ? ` (${cause.cause.message})` : '';
      refuse(checkOf(cause), `${cause.message}${inner}`, cause);
    }
    refuse('bundle', `bundle could not be verified: ${(cause as Error).message}`, cause);
  }
  const result: SigstoreVerified = {
    signer: {
      ...(signer.identity?.subjectAlternativeName !== undefined && {
        subjectAlternativeName: signer.identity.subjectAlternativeName,
      }),
      ...(signer.identity?.extensions?.issuer !== undefined && {
        issuer: signer.identity.extensions.issuer,
      }),
    },
  };
  if (bundle.content.$case === 'dsseEnvelope') {
    const env = bundle.content.dsseEnvelope;
    const payload = new Uint8Array(env.payload);
    if (env.payloadType === IN_TOTO_PAYLOAD_TYPE) checkDsseSubject(payload, subject);
    else refuse('statement', 'the envelope does not carry an in-toto statement');
    result.dsse = { payloadType: env.payloadType, payload };
  }
  const entry = bundle.verificationMaterial.tlogEntries[0];
  if (entry) {
    const seconds = Number(entry.integratedTime);
    result.log = {
      logIndex: String(entry.logIndex),
      logId: toHex(new Uint8Array(entry.logId.keyId)),
      ...(seconds > 0 && { integratedTime: new Date(seconds * 1000) }),
    };
  }
  return result;
}

/** Largest custom trusted root accepted (the public-good one is about 6 KiB). */
export const MAX_TRUSTED_ROOT_BYTES = 256 * 1024;

/**
 * Reads a custom `trusted_root.json` (settings, `--trusted-root`): JSON of the Sigstore
 * TrustedRoot message naming at least one certificate authority and one log.
 * @throws ReleaseRefusedError (`trusted-root`).
 */
export function parseTrustedRootJson(text: string): unknown {
  if (text.length > MAX_TRUSTED_ROOT_BYTES) refuse('trusted-root', 'the trusted root is too large');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    refuse('trusted-root', 'the trusted root is not JSON', cause);
  }
  let root: TrustedRoot;
  try {
    root = TrustedRoot.fromJSON(value);
  } catch (cause) {
    refuse('trusted-root', 'the trusted root is unreadable', cause);
  }
  if (root.certificateAuthorities.length === 0 || root.tlogs.length === 0) {
    refuse('trusted-root', 'the trusted root names no certificate authority or no log');
  }
  return value;
}

/** Reads a PEM or base64 SPKI public key into DER bytes (for settings and `--key`). */
export function publicKeyDer(text: string): Uint8Array {
  const body = text.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, '').replace(/\s+/g, '');
  return fromBase64(body);
}

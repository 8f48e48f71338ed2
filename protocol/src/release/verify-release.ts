/**
 * Verifies a release bundle: a Sigstore bundle (DSSE, in-toto) carrying the release
 * statement (`statement.ts`). Keyless bundles must come from the release identity
 * (`policy.ts`) and be logged; managed-key bundles (`sotto release sign --key`) are
 * accepted only for a configured key, or, in development mode, for the key the
 * enclave names (development proves nothing anyway).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '../bytes';
import { ReleaseRefusedError } from './errors';
import {
  type ReleaseIdentityPolicy,
  type ReleaseSigner,
  SOTTO_RELEASE_IDENTITY,
  checkReleaseSigner,
} from './policy';
import { verifySigstoreBundle } from './sigstore';
import { type ReleaseStatement, parseReleaseStatement } from './statement';

export interface ReleasePolicy {
  /** Who may sign keyless releases; the project's own release identity by default. */
  identity?: ReleaseIdentityPolicy;
  /** A custom `trusted_root.json`; the pinned public-good root by default. */
  trustedRoot?: unknown;
  /** Managed public keys (PEM) whose local releases the user accepts. */
  managedKeys?: readonly string[];
  /** Development mode: also accept a managed key the enclave names itself. */
  allowDevelopment?: boolean;
}

export interface VerifiedRelease {
  statement: ReleaseStatement;
  /** SHA-256 of the DSSE payload: what REPORT_DATA v2 binds. */
  statementSha256: Uint8Array;
  signer:
    | ({ kind: 'keyless' } & ReleaseSigner)
    | { kind: 'managed-key'; keyId: string; development: boolean };
  /** Where the bundle is logged (keyless bundles always are). */
  log?: { logIndex: string; integratedTime?: Date };
}

function keyId(pem: string): string {
  return toHex(sha256(new TextEncoder().encode(pem.replace(/\s+/g, '')))).slice(0, 16);
}

function isManagedKeyBundle(json: unknown): boolean {
  const v = typeof json === 'string' ? safeParse(json) : json;
  const vm = (v as { verificationMaterial?: Record<string, unknown> } | null)?.verificationMaterial;
  return typeof vm === 'object' && vm !== null && 'publicKey' in vm;
}

function safeParse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/**
 * @param enclaveKey the managed public key the evidence names (used only in development mode).
 * @throws ReleaseRefusedError naming the failed check.
 */
export function verifyRelease(
  bundle: unknown,
  policy: ReleasePolicy = {},
  enclaveKey?: string,
): VerifiedRelease {
  const common = policy.trustedRoot !== undefined ? { trustedRoot: policy.trustedRoot } : {};
  if (isManagedKeyBundle(bundle)) {
    const candidates = [...(policy.managedKeys ?? [])];
    const dev = policy.allowDevelopment === true && enclaveKey !== undefined;
    if (dev) candidates.push(enclaveKey);
    if (candidates.length === 0) {
      throw new ReleaseRefusedError(
        'signing-key',
        'a locally signed release needs its public key configured (or development mode)',
      );
    }
    let last: unknown;
    for (const key of candidates) {
      try {
        const v = verifySigstoreBundle(
          bundle,
          { envelope: true },
          { ...common, publicKey: key, requireLog: false },
        );
        const configured = (policy.managedKeys ?? []).includes(key);
        return finish(v, { kind: 'managed-key', keyId: keyId(key), development: !configured });
      } catch (e) {
        last = e;
        if (!(e instanceof ReleaseRefusedError) || e.check !== 'signature') throw e;
      }
    }
    throw new ReleaseRefusedError('signing-key', 'signed by a key that is not configured', {
      cause: last,
    });
  }
  const v = verifySigstoreBundle(bundle, { envelope: true }, common);
  if (!v.log) throw new ReleaseRefusedError('log', 'a keyless release must be logged');
  const signer = checkReleaseSigner(v.signer, policy.identity ?? SOTTO_RELEASE_IDENTITY);
  return finish(v, { kind: 'keyless', ...signer });
}

function finish(
  v: ReturnType<typeof verifySigstoreBundle>,
  signer: VerifiedRelease['signer'],
): VerifiedRelease {
  if (!v.dsse) throw new ReleaseRefusedError('statement', 'the bundle carries no statement');
  const out: VerifiedRelease = {
    statement: parseReleaseStatement(v.dsse.payload),
    statementSha256: sha256(v.dsse.payload),
    signer,
  };
  if (v.log) {
    out.log = {
      logIndex: v.log.logIndex,
      ...(v.log.integratedTime && { integratedTime: v.log.integratedTime }),
    };
  }
  return out;
}

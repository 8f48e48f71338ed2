/**
 * The evidence bundle: what the enclave serves at `GET /v1/evidence` and the relay
 * passes on unchanged (DESIGN.md, "Evidence bundle"). JSON with base64 fields, so a
 * browser can fetch it with `fetch().json()`; every field is checked on parse.
 */
import { fromBase64, fromHex, toBase64, toHex } from '../bytes';
import { LimitExceededError, MalformedError, UnsupportedError } from '../errors';
import {
  collateralToJson,
  type EvidenceCollateral,
  type EvidenceCollateralJson,
  parseCollateral,
} from './collateral';
import { field, object } from './json-fields';

export const EVIDENCE_FORMAT = 'sotto-evidence/1';
export const EVIDENCE_MEDIA_TYPE = 'application/json';
/** Bundles are a few KiB (a report and a certificate chain); anything far larger is hostile. */
export const MAX_EVIDENCE_BYTES = 64 * 1024;

export type Platform = 'dev' | 'sev-snp' | 'tdx';
const PLATFORMS: readonly Platform[] = ['dev', 'sev-snp', 'tdx'];

export interface EvidenceBundle {
  platform: Platform;
  /** Raw report (SEV-SNP ATTESTATION_REPORT, TDX quote, or the dev report). */
  report: Uint8Array;
  /** SEV-SNP: VCEK (DER) and optionally the ASK+ARK chain (PEM). Dev: the P-384 key (SPKI DER). */
  certificates: { vcek?: Uint8Array; chain?: string; devKey?: Uint8Array };
  /**
   * The RFC 9458 §3.2 `application/ohttp-keys` list of the enclave's current
   * keys (one per KEM: X-Wing and X25519); the client encrypts to one of them.
   */
  keyConfigs: Uint8Array;
  model: { name: string; sha256: Uint8Array };
  release: { id: string };
  /** When the keys were made: informational, the report binds the keys themselves. */
  keyCreatedAt: Date;
  /** Platform collateral the enclave fetched (TDX: Intel PCS / PCCS, as delivered). */
  collateral?: EvidenceCollateral;
}

interface EvidenceJson {
  format: typeof EVIDENCE_FORMAT;
  platform: Platform;
  report: string;
  certificates: { vcek?: string; chain?: string; devKey?: string };
  /** base64 of the `application/ohttp-keys` bytes. */
  keyConfigs: string;
  model: { name: string; sha256: string };
  release: { id: string };
  keyCreatedAt: string;
  collateral?: EvidenceCollateralJson;
}

export function evidenceToJson(b: EvidenceBundle): EvidenceJson {
  const certificates: EvidenceJson['certificates'] = {};
  if (b.certificates.vcek) certificates.vcek = toBase64(b.certificates.vcek);
  if (b.certificates.chain) certificates.chain = b.certificates.chain;
  if (b.certificates.devKey) certificates.devKey = toBase64(b.certificates.devKey);
  return {
    format: EVIDENCE_FORMAT,
    platform: b.platform,
    report: toBase64(b.report),
    certificates,
    keyConfigs: toBase64(b.keyConfigs),
    model: { name: b.model.name, sha256: toHex(b.model.sha256) },
    release: { id: b.release.id },
    keyCreatedAt: b.keyCreatedAt.toISOString(),
    ...(b.collateral ? { collateral: collateralToJson(b.collateral) } : {}),
  };
}

/**
 * Parses a bundle from its JSON text or an already-parsed value.
 * @throws MalformedError, LimitExceededError, UnsupportedError (unknown format or platform).
 */
export function parseEvidence(input: string | unknown): EvidenceBundle {
  let value: unknown = input;
  if (typeof input === 'string') {
    if (input.length > MAX_EVIDENCE_BYTES) throw new LimitExceededError('evidence is too large');
    try {
      value = JSON.parse(input);
    } catch (cause) {
      throw new MalformedError('evidence is not JSON', { cause });
    }
  }
  const o = object(value, 'bundle');
  if (o.format !== EVIDENCE_FORMAT) throw new UnsupportedError('unknown evidence format');
  const platform = field(o, 'platform') as Platform;
  if (!PLATFORMS.includes(platform)) throw new UnsupportedError('unknown evidence platform');
  const certsIn = object(o.certificates ?? {}, 'certificates');
  const certificates: EvidenceBundle['certificates'] = {};
  if (certsIn.vcek !== undefined) certificates.vcek = fromBase64(field(certsIn, 'vcek'));
  if (certsIn.chain !== undefined) certificates.chain = field(certsIn, 'chain');
  if (certsIn.devKey !== undefined) certificates.devKey = fromBase64(field(certsIn, 'devKey'));
  const model = object(o.model, 'model');
  const sha256 = fromHex(field(model, 'sha256', 64));
  if (sha256.length !== 32) throw new MalformedError('evidence model digest is not 32 bytes');
  const release = object(o.release, 'release');
  const keyCreatedAt = new Date(field(o, 'keyCreatedAt', 64));
  if (Number.isNaN(keyCreatedAt.getTime()))
    throw new MalformedError('evidence key time is invalid');
  return {
    platform,
    report: fromBase64(field(o, 'report')),
    certificates,
    keyConfigs: fromBase64(field(o, 'keyConfigs', 8192)),
    model: { name: field(model, 'name', 512), sha256 },
    release: { id: field(release, 'id', 512) },
    keyCreatedAt,
    ...(o.collateral === undefined ? {} : { collateral: parseCollateral(o.collateral) }),
  };
}

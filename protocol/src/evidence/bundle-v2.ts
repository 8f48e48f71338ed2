/**
 * The evidence bundle, version 2 (`sotto-evidence/2`; DESIGN.md, "Evidence bundle"):
 * what the enclave serves at `GET /v1/evidence`. Beside the report and its certificates
 * it carries everything REPORT_DATA v2 binds (`report-data-v2.ts`): the key
 * configuration list, the model (name, SHA-256, context size), the release's Sigstore
 * bundle (whose statement digest is bound) and the key's creation time.
 *
 *   {
 *     "format": "sotto-evidence/2",
 *     "platform": "dev" | "sev-snp" | "tdx",
 *     "report": "<base64>",
 *     "certificates": { "vcek"?: "<base64 DER>", "chain"?: "<PEM>", "devKey"?: "<base64 SPKI>" },
 *     "keyConfigs": "<base64 application/ohttp-keys>",
 *     "model": { "name": "...", "sha256": "<64 hex>", "contextSize": 4096 },
 *     "release": { "bundle"?: { Sigstore bundle v0.3 }, "publicKey"?: "<PEM>" },
 *     "keyCreatedAt": "<ISO 8601>",
 *     "collateral"?: { TDX: tcbInfo, qeIdentity, tcbSigningChain, pckCrl, rootCrl; SEV-SNP: arkCrl }
 *   }
 *
 * `release.publicKey` names the managed key of a locally signed release; a client uses it
 * only in development mode. `collateral` is the platform collateral the enclave fetched,
 * in the same form and bounds as in v1 (`collateral.ts`). Every field is checked on parse.
 */
import { fromBase64, fromHex, toBase64, toHex } from '../bytes';
import { LimitExceededError, MalformedError, UnsupportedError } from '../errors';
import { type Platform, MAX_EVIDENCE_BYTES } from './bundle';
import { collateralToJson, type EvidenceCollateral, parseCollateral } from './collateral';
import { field, object } from './json-fields';
import { MAX_KEY_CONFIGS_BYTES, MAX_MODEL_NAME_BYTES } from './report-data-v2';

export const EVIDENCE_FORMAT_V2 = 'sotto-evidence/2';
const PLATFORMS: readonly Platform[] = ['dev', 'sev-snp', 'tdx'];

export interface EvidenceBundleV2 {
  version: 2;
  platform: Platform;
  report: Uint8Array;
  certificates: { vcek?: Uint8Array; chain?: string; devKey?: Uint8Array };
  /** RFC 9458 §3.2 `application/ohttp-keys`: the key configurations on offer. */
  keyConfigs: Uint8Array;
  model: { name: string; sha256: Uint8Array; contextSize: number };
  /** The release's Sigstore bundle (parsed JSON), and a managed key for dev releases. */
  release: { bundle?: unknown; publicKey?: string };
  keyCreatedAt: Date;
  /** Platform collateral the enclave fetched (TDX: Intel PCS / PCCS; SEV-SNP: the ARK CRL). */
  collateral?: EvidenceCollateral;
}

export function evidenceV2ToJson(b: Omit<EvidenceBundleV2, 'version'>): Record<string, unknown> {
  const certificates: Record<string, string> = {};
  if (b.certificates.vcek) certificates.vcek = toBase64(b.certificates.vcek);
  if (b.certificates.chain) certificates.chain = b.certificates.chain;
  if (b.certificates.devKey) certificates.devKey = toBase64(b.certificates.devKey);
  const release: Record<string, unknown> = {};
  if (b.release.bundle !== undefined) release.bundle = b.release.bundle;
  if (b.release.publicKey !== undefined) release.publicKey = b.release.publicKey;
  return {
    format: EVIDENCE_FORMAT_V2,
    platform: b.platform,
    report: toBase64(b.report),
    certificates,
    keyConfigs: toBase64(b.keyConfigs),
    model: { name: b.model.name, sha256: toHex(b.model.sha256), contextSize: b.model.contextSize },
    release,
    keyCreatedAt: b.keyCreatedAt.toISOString(),
    ...(b.collateral && { collateral: collateralToJson(b.collateral) }),
  };
}

/**
 * Parses a v2 bundle from an already-parsed JSON value (see `parseAnyEvidence`).
 * @throws MalformedError, LimitExceededError, UnsupportedError.
 */
export function parseEvidenceV2(value: unknown): EvidenceBundleV2 {
  const o = object(value, 'bundle');
  if (o.format !== EVIDENCE_FORMAT_V2) throw new UnsupportedError('unknown evidence format');
  const platform = field(o, 'platform', 16) as Platform;
  if (!PLATFORMS.includes(platform)) throw new UnsupportedError('unknown evidence platform');
  const c = object(o.certificates ?? {}, 'certificates');
  const certificates: EvidenceBundleV2['certificates'] = {};
  if (c.vcek !== undefined) certificates.vcek = fromBase64(field(c, 'vcek', 16 * 1024));
  if (c.chain !== undefined) certificates.chain = field(c, 'chain', 16 * 1024);
  if (c.devKey !== undefined) certificates.devKey = fromBase64(field(c, 'devKey', 1024));
  const m = object(o.model, 'model');
  const sha256 = fromHex(field(m, 'sha256', 64));
  if (sha256.length !== 32) throw new MalformedError('evidence model digest is not 32 bytes');
  const contextSize = m.contextSize;
  if (typeof contextSize !== 'number' || !Number.isInteger(contextSize) || contextSize <= 0) {
    throw new MalformedError('evidence model context size is not a positive integer');
  }
  const keyConfigs = fromBase64(field(o, 'keyConfigs', Math.ceil(MAX_KEY_CONFIGS_BYTES / 3) * 4));
  if (keyConfigs.length === 0) throw new MalformedError('evidence key configuration list is empty');
  const r = object(o.release ?? {}, 'release');
  const release: EvidenceBundleV2['release'] = {};
  if (r.bundle !== undefined) release.bundle = object(r.bundle, 'release bundle');
  if (r.publicKey !== undefined) release.publicKey = field(r, 'publicKey', 4096);
  const keyCreatedAt = new Date(field(o, 'keyCreatedAt', 64));
  if (Number.isNaN(keyCreatedAt.getTime()))
    throw new MalformedError('evidence key time is invalid');
  return {
    version: 2,
    platform,
    report: fromBase64(field(o, 'report', 32 * 1024)),
    certificates,
    keyConfigs,
    model: { name: field(m, 'name', MAX_MODEL_NAME_BYTES), sha256, contextSize },
    release,
    keyCreatedAt,
    ...(o.collateral !== undefined && { collateral: parseCollateral(o.collateral) }),
  };
}

/** Reads evidence JSON text within the size bound. @throws MalformedError, LimitExceededError. */
export function readEvidenceJson(input: string): unknown {
  if (input.length > MAX_EVIDENCE_BYTES) throw new LimitExceededError('evidence is too large');
  try {
    return JSON.parse(input);
  } catch (cause) {
    throw new MalformedError('evidence is not JSON', { cause });
  }
}

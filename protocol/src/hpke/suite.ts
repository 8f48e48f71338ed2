/**
 * HPKE algorithm identifiers and sizes, RFC 9180 §7 (tables 2, 3 and 5), and
 * X-Wing's entry (draft-connolly-cfrg-xwing-kem §"Use in HPKE", KEM 0x647a).
 * Sotto speaks two KEMs, one KDF and two AEADs; any other id is refused.
 * Key and encapsulation sizes are per KEM: nothing else may assume 32 bytes.
 */

import { concat, u16be, utf8 } from '../bytes';
import { UnsupportedError } from '../errors';

/** DHKEM(X25519, HKDF-SHA256), RFC 9180 §7.1. */
export const KEM_X25519_HKDF_SHA256 = 0x0020;
/**
 * X-Wing (ML-KEM-768 + X25519, SHA3-256 combiner), draft-connolly-cfrg-xwing-kem;
 * the same code point in draft-ietf-hpke-pq.
 */
export const KEM_XWING = 0x647a;
/** HKDF-SHA256, RFC 9180 §7.2. */
export const KDF_HKDF_SHA256 = 0x0001;
/** AES-128-GCM, RFC 9180 §7.3. */
export const AEAD_AES_128_GCM = 0x0001;
/** ChaCha20-Poly1305, RFC 9180 §7.3. */
export const AEAD_CHACHA20_POLY1305 = 0x0003;

export type KemId = typeof KEM_X25519_HKDF_SHA256 | typeof KEM_XWING;
export type KdfId = typeof KDF_HKDF_SHA256;
export type AeadId = typeof AEAD_AES_128_GCM | typeof AEAD_CHACHA20_POLY1305;

/** A KEM's sizes in bytes, RFC 9180 §7.1 table 2 (Nsecret, Nenc, Npk, Nsk). */
export interface KemSizes {
  readonly secretBytes: 32;
  readonly encBytes: number;
  readonly publicKeyBytes: number;
  readonly privateKeyBytes: 32;
}

const KEM_SIZES: Readonly<Record<KemId, KemSizes>> = {
  // RFC 9180 §7.1: DHKEM(X25519, HKDF-SHA256).
  [KEM_X25519_HKDF_SHA256]: {
    secretBytes: 32,
    encBytes: 32,
    publicKeyBytes: 32,
    privateKeyBytes: 32,
  },
  // draft-connolly-cfrg-xwing-kem §"Use in HPKE": Nsecret 32, Nenc 1120, Npk 1216, Nsk 32.
  [KEM_XWING]: { secretBytes: 32, encBytes: 1120, publicKeyBytes: 1216, privateKeyBytes: 32 },
};

/** A short human name for a KEM id, for UIs and CLI output. */
export function kemName(kemId: KemId): 'X-Wing' | 'X25519' {
  return kemId === KEM_XWING ? 'X-Wing' : 'X25519';
}

/** True when the KEM is post-quantum (a hybrid with ML-KEM). */
export function isPostQuantumKem(kemId: number): boolean {
  return kemId === KEM_XWING;
}

/**
 * Sizes for a supported KEM.
 * @throws {UnsupportedError} if `kemId` is not one this build speaks.
 */
export function kemSizes(kemId: number): KemSizes {
  if (!isSupportedKem(kemId))
    throw new UnsupportedError(`HPKE KEM 0x${hex4(kemId)} is not supported`);
  return KEM_SIZES[kemId];
}

/** A fully resolved HPKE suite with the sizes its wire formats need (bytes). */
export interface HpkeSuite {
  readonly kemId: KemId;
  readonly kdfId: KdfId;
  readonly aeadId: AeadId;
  /** Nsecret: KEM shared secret length. */
  readonly secretBytes: 32;
  /** Nenc: encapsulated key length (32 for X25519, 1120 for X-Wing). */
  readonly encBytes: number;
  /** Npk: serialized public key length (32 for X25519, 1216 for X-Wing). */
  readonly publicKeyBytes: number;
  /** Nsk: serialized private key length. */
  readonly privateKeyBytes: 32;
  /** Nh: KDF output length. */
  readonly hashBytes: 32;
  /** Nk: AEAD key length. */
  readonly keyBytes: 16 | 32;
  /** Nn: AEAD nonce length. */
  readonly nonceBytes: 12;
  /** Nt: AEAD tag length. */
  readonly tagBytes: 16;
  /** suite_id for the key schedule, RFC 9180 §5.1: "HPKE" || kem || kdf || aead. */
  readonly suiteId: Uint8Array;
  /** suite_id for the KEM, RFC 9180 §4.1: "KEM" || kem (DHKEM's labelled KDF; X-Wing has none). */
  readonly kemSuiteId: Uint8Array;
}

/** True when `id` is a KEM id this build speaks. */
export function isSupportedKem(id: number): id is KemId {
  return id === KEM_X25519_HKDF_SHA256 || id === KEM_XWING;
}

/** True when `id` is a KDF id this build speaks. */
export function isSupportedKdf(id: number): id is KdfId {
  return id === KDF_HKDF_SHA256;
}

/** True when `id` is an AEAD id this build speaks. */
export function isSupportedAead(id: number): id is AeadId {
  return id === AEAD_AES_128_GCM || id === AEAD_CHACHA20_POLY1305;
}

/** Nk for a supported AEAD. */
export function aeadKeyBytes(aeadId: AeadId): 16 | 32 {
  return aeadId === AEAD_AES_128_GCM ? 16 : 32;
}

/**
 * Resolves a suite from its three ids.
 * @throws {UnsupportedError} if any id is not one this build speaks.
 */
export function hpkeSuite(kemId: number, kdfId: number, aeadId: number): HpkeSuite {
  if (!isSupportedKem(kemId))
    throw new UnsupportedError(`HPKE KEM 0x${hex4(kemId)} is not supported`);
  if (!isSupportedKdf(kdfId))
    throw new UnsupportedError(`HPKE KDF 0x${hex4(kdfId)} is not supported`);
  if (!isSupportedAead(aeadId))
    throw new UnsupportedError(`HPKE AEAD 0x${hex4(aeadId)} is not supported`);
  return {
    kemId,
    kdfId,
    aeadId,
    ...KEM_SIZES[kemId],
    hashBytes: 32,
    keyBytes: aeadKeyBytes(aeadId),
    nonceBytes: 12,
    tagBytes: 16,
    suiteId: concat(utf8('HPKE'), u16be(kemId), u16be(kdfId), u16be(aeadId)),
    kemSuiteId: concat(utf8('KEM'), u16be(kemId)),
  };
}

function hex4(n: number): string {
  return (n >>> 0).toString(16).padStart(4, '0');
}

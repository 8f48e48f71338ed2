/**
 * HPKE algorithm identifiers and sizes, RFC 9180 §7 (tables 2, 3 and 5).
 * Sotto speaks one KEM, one KDF and two AEADs; any other id is refused.
 */

import { concat, u16be, utf8 } from '../bytes';
import { UnsupportedError } from '../errors';

/** DHKEM(X25519, HKDF-SHA256), RFC 9180 §7.1. */
export const KEM_X25519_HKDF_SHA256 = 0x0020;
/** HKDF-SHA256, RFC 9180 §7.2. */
export const KDF_HKDF_SHA256 = 0x0001;
/** AES-128-GCM, RFC 9180 §7.3. */
export const AEAD_AES_128_GCM = 0x0001;
/** ChaCha20-Poly1305, RFC 9180 §7.3. */
export const AEAD_CHACHA20_POLY1305 = 0x0003;

export type KemId = typeof KEM_X25519_HKDF_SHA256;
export type KdfId = typeof KDF_HKDF_SHA256;
export type AeadId = typeof AEAD_AES_128_GCM | typeof AEAD_CHACHA20_POLY1305;

/** A fully resolved HPKE suite with the sizes its wire formats need (bytes). */
export interface HpkeSuite {
  readonly kemId: KemId;
  readonly kdfId: KdfId;
  readonly aeadId: AeadId;
  /** Nsecret: KEM shared secret length. */
  readonly secretBytes: 32;
  /** Nenc: encapsulated key length. */
  readonly encBytes: 32;
  /** Npk: serialized public key length. */
  readonly publicKeyBytes: 32;
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
  /** suite_id for the KEM, RFC 9180 §4.1: "KEM" || kem. */
  readonly kemSuiteId: Uint8Array;
}

/** True when `id` is a KEM id this build speaks. */
export function isSupportedKem(id: number): id is KemId {
  return id === KEM_X25519_HKDF_SHA256;
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
    secretBytes: 32,
    encBytes: 32,
    publicKeyBytes: 32,
    privateKeyBytes: 32,
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

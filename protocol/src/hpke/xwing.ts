/**
 * X-Wing, the hybrid post-quantum KEM (ML-KEM-768 + X25519, SHA3-256
 * combiner), draft-connolly-cfrg-xwing-kem, as an HPKE KEM (KEM id 0x647a;
 * the draft's §"Use in HPKE" and draft-ietf-hpke-pq): keys and ciphertexts are
 * fixed-length byte strings, so (de)serialization is the identity, and
 * Encap/Decap are X-Wing's own; the shared secret goes straight into the HPKE
 * key schedule (RFC 9180 §5.1), with no ExtractAndExpand.
 *
 *   Nsecret 32, Nenc 1120 (ct_M 1088 || ct_X 32), Npk 1216 (pk_M 1184 || pk_X 32), Nsk 32 (the seed)
 *
 * The KEM itself is @noble/post-quantum's `ml_kem768_x25519` (it is X-Wing;
 * checked against the draft's vectors and against hpke-js in tests). Nothing
 * of ML-KEM is written here.
 */

import { ml_kem768_x25519 as xwing } from '@noble/post-quantum/hybrid.js';
import { MalformedError, UnknownKeyError } from '../errors';
import type { RecipientKey } from './recipient-key';
import { KEM_XWING, kemSizes } from './suite';

const SIZES = kemSizes(KEM_XWING);
/** Nsk: the private key is the 32-byte seed (draft §"Key derivation"). */
export const XWING_SEED_BYTES = 32;
/** Npk. */
export const XWING_PUBLIC_KEY_BYTES = SIZES.publicKeyBytes;
/** Nenc. */
export const XWING_ENC_BYTES = SIZES.encBytes;
/** Encapsulation randomness, `eseed` in the draft's vectors: 32 for ML-KEM, 32 for X25519. */
export const XWING_ESEED_BYTES = 64;

/** An X-Wing key pair: the 32-byte seed (private) and the 1216-byte public key. */
export interface XWingKeyPair {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/**
 * GenerateKeyPair() from a fresh random seed, or GenerateKeyPairDerand(seed) when given one.
 * @throws {MalformedError} if `seed` is not 32 bytes.
 */
export function generateXWingKeyPair(seed?: Uint8Array): XWingKeyPair {
  if (seed !== undefined && seed.length !== XWING_SEED_BYTES)
    throw new MalformedError('X-Wing seed must be 32 bytes');
  const { secretKey, publicKey } = xwing.keygen(seed);
  return { privateKey: secretKey, publicKey };
}

/**
 * Encapsulate(pk) of the draft, with random `eseed` unless a test fixes it.
 * @throws {MalformedError} if `publicKey` is not 1216 bytes or its ML-KEM part is not a valid
 *   encapsulation key (FIPS 203 §7.2 modulus check), or a fixed `eseed` is not 64 bytes.
 */
export function xwingEncap(
  publicKey: Uint8Array,
  fixedEseed?: Uint8Array,
): { sharedSecret: Uint8Array; enc: Uint8Array } {
  if (publicKey.length !== XWING_PUBLIC_KEY_BYTES)
    throw new MalformedError('X-Wing public key must be 1216 bytes');
  if (fixedEseed !== undefined && fixedEseed.length !== XWING_ESEED_BYTES)
    throw new MalformedError('X-Wing eseed must be 64 bytes');
  try {
    const { cipherText, sharedSecret } = xwing.encapsulate(publicKey, fixedEseed);
    return { sharedSecret, enc: cipherText };
  } catch (cause) {
    throw new MalformedError('X-Wing public key refused', { cause });
  }
}

/**
 * A gateway's X-Wing private key: the 32-byte seed, copied on construction and
 * zeroed on {@link erase}. Decapsulation expands it each time (no expanded
 * key material lingers between requests).
 */
export class XWingRecipientKey implements RecipientKey {
  readonly kemId = KEM_XWING;
  readonly publicKey: Uint8Array;
  #seed: Uint8Array | undefined;

  /** @throws {MalformedError} if `seed` is not 32 bytes. */
  constructor(seed: Uint8Array, publicKey?: Uint8Array) {
    if (seed.length !== XWING_SEED_BYTES) throw new MalformedError('X-Wing seed must be 32 bytes');
    this.#seed = seed.slice();
    this.publicKey = publicKey?.slice() ?? xwing.getPublicKey(this.#seed);
  }

  get erased(): boolean {
    return this.#seed === undefined;
  }

  erase(): void {
    this.#seed?.fill(0);
    this.#seed = undefined;
  }

  /**
   * Decapsulate(ct, sk) of the draft. ML-KEM rejects implicitly: a tampered
   * ciphertext yields an unrelated secret, so the AEAD is what fails.
   * @throws {MalformedError} if `enc` is not 1120 bytes or its X25519 part is refused.
   * @throws {UnknownKeyError} once erased.
   */
  decap(enc: Uint8Array): Uint8Array {
    if (!this.#seed) throw new UnknownKeyError('the private key was erased');
    if (enc.length !== XWING_ENC_BYTES)
      throw new MalformedError('X-Wing encapsulated key must be 1120 bytes');
    try {
      return xwing.decapsulate(enc, this.#seed);
    } catch (cause) {
      throw new MalformedError('X-Wing encapsulated key refused', { cause });
    }
  }
}

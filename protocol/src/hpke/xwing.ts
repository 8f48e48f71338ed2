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
 * Two paths, one result (tests hold them to the draft's vectors and to each other):
 * - where WebCrypto has X25519 (Node 20, Chromium ≥ 133), ML-KEM-768 from
 *   @noble/post-quantum with the X25519 half in WebCrypto, composed exactly as the
 *   draft's Encapsulate/Decapsulate (§"Encapsulation", §"Decapsulation"): about
 *   four times faster than pure JS, and the gateway keeps its expanded key (the
 *   ML-KEM decapsulation key as zeroable bytes, the X25519 half as a
 *   non-extractable CryptoKey) instead of re-deriving it per request, and both sides
 *   expand an ML-KEM encapsulation key (its matrix Â: public data) once per key, not per request;
 * - otherwise @noble/post-quantum's `ml_kem768_x25519`, which is X-Wing whole.
 * Nothing of ML-KEM is written here; the combiner is the draft's one line.
 */

import { sha3_256, shake256 } from '@noble/hashes/sha3.js';
import { ml_kem768_x25519 as nobleXWing } from '@noble/post-quantum/hybrid.js';
import { type KEMPrepared, ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { concat, equalBytes, utf8 } from '../bytes';
import { MalformedError, UnknownKeyError } from '../errors';
import { x25519PublicKey } from './dhkem-x25519';
import type { RecipientKey } from './recipient-key';
import { KEM_XWING, kemSizes } from './suite';
import {
  generateWebCryptoX25519,
  importX25519PrivateKey,
  webCryptoX25519,
  webCryptoX25519Dh,
} from './x25519-webcrypto';

const SIZES = kemSizes(KEM_XWING);
/** Nsk: the private key is the 32-byte seed (draft §"Key derivation"). */
export const XWING_SEED_BYTES = 32;
/** Npk. */
export const XWING_PUBLIC_KEY_BYTES = SIZES.publicKeyBytes;
/** Nenc. */
export const XWING_ENC_BYTES = SIZES.encBytes;
/** Encapsulation randomness, `eseed` in the draft's vectors: 32 for ML-KEM, 32 for X25519. */
export const XWING_ESEED_BYTES = 64;
/** ML-KEM-768 encapsulation key and ciphertext sizes (FIPS 203 table 3). */
const MLKEM_PK_BYTES = 1184;
const MLKEM_CT_BYTES = 1088;
/** XWingLabel, draft §"Combiner": the ASCII bytes of `\.//^\`. */
const XWING_LABEL = utf8('\\.//^\\');

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
  const { secretKey, publicKey } = nobleXWing.keygen(seed);
  return { privateKey: secretKey, publicKey };
}

/** Combiner(ss_M, ss_X, ct_X, pk_X) = SHA3-256(ss_M || ss_X || ct_X || pk_X || XWingLabel), draft §"Combiner". */
function combiner(ssM: Uint8Array, ssX: Uint8Array, ctX: Uint8Array, pkX: Uint8Array): Uint8Array {
  return sha3_256(concat(ssM, ssX, ctX, pkX, XWING_LABEL));
}

/**
 * ML-KEM-768 encapsulation keys expanded once per X-Wing public key (the matrix Â and
 * t̂, public data only: @noble/post-quantum's `prepare`), so a client that seals every
 * request to the same attested key does not re-sample Â each time (most of ML-KEM's
 * cost). Keyed by the caller's public-key bytes; the bytes are compared on every use,
 * so a changed key is never served from the cache.
 */
const preparedKeys = new WeakMap<Uint8Array, KEMPrepared>();

function preparedFor(publicKey: Uint8Array, pkM: Uint8Array): KEMPrepared {
  const cached = preparedKeys.get(publicKey);
  if (cached && equalBytes(cached.publicKey, pkM)) return cached;
  let prepared: KEMPrepared;
  try {
    prepared = ml_kem768.prepare(pkM);
  } catch (cause) {
    // FIPS 203 §7.2 input check: a coefficient of pk_M is not below q.
    throw new MalformedError('X-Wing public key refused', { cause });
  }
  preparedKeys.set(publicKey, prepared);
  return prepared;
}

/**
 * Encapsulate(pk) of the draft, with random `eseed` unless a test fixes it.
 * @throws {MalformedError} if `publicKey` is not 1216 bytes or its ML-KEM part is not a valid
 *   encapsulation key (FIPS 203 §7.2 modulus check), its X25519 part is of low order, or a
 *   fixed `eseed` is not 64 bytes.
 */
export async function xwingEncap(
  publicKey: Uint8Array,
  fixedEseed?: Uint8Array,
): Promise<{ sharedSecret: Uint8Array; enc: Uint8Array }> {
  if (publicKey.length !== XWING_PUBLIC_KEY_BYTES)
    throw new MalformedError('X-Wing public key must be 1216 bytes');
  if (fixedEseed !== undefined && fixedEseed.length !== XWING_ESEED_BYTES)
    throw new MalformedError('X-Wing eseed must be 64 bytes');
  if (!(await webCryptoX25519())) return nobleXWingEncap(publicKey, fixedEseed);
  const pkM = publicKey.subarray(0, MLKEM_PK_BYTES);
  const pkX = publicKey.subarray(MLKEM_PK_BYTES);
  // eseed = m (ML-KEM randomness, 32) || ek_X (X25519 ephemeral secret, 32), as in the vectors.
  // WebCrypto works off the main thread (Node's thread pool): start the X25519 half first,
  // so it overlaps ML-KEM's encapsulation instead of following it.
  const x25519Half = (async (): Promise<{ ctX: Uint8Array; ssX: Uint8Array }> => {
    if (fixedEseed) {
      const ekX = fixedEseed.subarray(32);
      const ssX = await webCryptoX25519Dh(await importX25519PrivateKey(ekX), pkX);
      return { ctX: x25519PublicKey(ekX), ssX };
    }
    const ek = await generateWebCryptoX25519();
    return { ctX: ek.publicKey, ssX: await webCryptoX25519Dh(ek.privateKey, pkX) };
  })();
  // Settle the X25519 half even if ML-KEM refuses the key, so no rejection goes unhandled.
  x25519Half.catch(() => undefined);
  const { cipherText: ctM, sharedSecret: ssM } = preparedFor(publicKey, pkM).encapsulate(
    fixedEseed?.subarray(0, 32),
  );
  const { ctX, ssX } = await x25519Half;
  const sharedSecret = combiner(ssM, ssX, ctX, pkX);
  ssM.fill(0);
  ssX.fill(0);
  return { sharedSecret, enc: concat(ctM, ctX) };
}

/** The whole-noble path (no WebCrypto X25519), and the tests' reference. */
export function nobleXWingEncap(
  publicKey: Uint8Array,
  fixedEseed?: Uint8Array,
): { sharedSecret: Uint8Array; enc: Uint8Array } {
  try {
    const { cipherText, sharedSecret } = nobleXWing.encapsulate(publicKey, fixedEseed);
    return { sharedSecret, enc: cipherText };
  } catch (cause) {
    throw new MalformedError('X-Wing public key refused', { cause });
  }
}

/** The gateway's expanded decapsulation key (draft §"Decapsulation", expandDecapsulationKey). */
interface Expanded {
  /** ML-KEM-768 decapsulation key (2400 bytes), zeroed on erase. */
  readonly skM: Uint8Array;
  /** Its encapsulation key expanded once (Â, t̂: public), for the re-encryption check. */
  readonly prepared: KEMPrepared;
  /** The X25519 half as a non-extractable CryptoKey. */
  readonly skX: CryptoKey;
  readonly pkX: Uint8Array;
}

/**
 * A gateway's X-Wing private key: the 32-byte seed, copied on construction.
 * On first use under WebCrypto it is expanded once (SHAKE256(seed, 96):
 * ML-KEM-768 key pair from the first 64 bytes, the X25519 secret from the
 * last 32) and kept as zeroable bytes and a non-extractable CryptoKey.
 * {@link erase} zeroes the seed and the ML-KEM decapsulation key and drops the
 * CryptoKey; every later decapsulation throws.
 */
export class XWingRecipientKey implements RecipientKey {
  readonly kemId = KEM_XWING;
  readonly publicKey: Uint8Array;
  #seed: Uint8Array | undefined;
  #expanded: Promise<Expanded | undefined> | undefined;
  #skM: Uint8Array | undefined;
  #prepared: KEMPrepared | undefined;

  /** @throws {MalformedError} if `seed` is not 32 bytes. */
  constructor(seed: Uint8Array, publicKey?: Uint8Array) {
    if (seed.length !== XWING_SEED_BYTES) throw new MalformedError('X-Wing seed must be 32 bytes');
    this.#seed = seed.slice();
    this.publicKey = publicKey?.slice() ?? nobleXWing.getPublicKey(this.#seed);
  }

  get erased(): boolean {
    return this.#seed === undefined;
  }

  erase(): void {
    this.#seed?.fill(0);
    this.#seed = undefined;
    this.#skM?.fill(0);
    this.#skM = undefined;
    this.#prepared?.clean();
    this.#prepared = undefined;
    this.#expanded = undefined;
  }

  /**
   * Decapsulate(ct, sk) of the draft. ML-KEM rejects implicitly: a tampered
   * ciphertext yields an unrelated secret, so the AEAD is what fails.
   * @throws {MalformedError} if `enc` is not 1120 bytes or its X25519 part is refused.
   * @throws {UnknownKeyError} once erased.
   */
  async decap(enc: Uint8Array): Promise<Uint8Array> {
    if (!this.#seed) throw new UnknownKeyError('the private key was erased');
    if (enc.length !== XWING_ENC_BYTES)
      throw new MalformedError('X-Wing encapsulated key must be 1120 bytes');
    this.#expanded ??= this.#expand(this.#seed);
    const key = await this.#expanded;
    if (!this.#seed) throw new UnknownKeyError('the private key was erased');
    if (!key) {
      try {
        return nobleXWing.decapsulate(enc, this.#seed);
      } catch (cause) {
        throw new MalformedError('X-Wing encapsulated key refused', { cause });
      }
    }
    const ctM = enc.subarray(0, MLKEM_CT_BYTES);
    const ctX = enc.subarray(MLKEM_CT_BYTES);
    // The X25519 half runs in WebCrypto (off the main thread in Node) while ML-KEM decapsulates.
    const x25519Half = webCryptoX25519Dh(key.skX, ctX);
    x25519Half.catch(() => undefined);
    const ssM = key.prepared.decapsulate(ctM, key.skM);
    const ssX = await x25519Half;
    if (!this.#seed) throw new UnknownKeyError('the private key was erased');
    const ss = combiner(ssM, ssX, ctX, key.pkX);
    ssM.fill(0);
    ssX.fill(0);
    return ss;
  }

  async #expand(seed: Uint8Array): Promise<Expanded | undefined> {
    if (!(await webCryptoX25519())) return undefined;
    const expanded = shake256(seed, { dkLen: 96 });
    const { secretKey: skM, publicKey: pkM } = ml_kem768.keygen(expanded.subarray(0, 64));
    const skXBytes = expanded.subarray(64, 96);
    const pkX = x25519PublicKey(skXBytes);
    const skX = await importX25519PrivateKey(skXBytes);
    expanded.fill(0);
    // The expansion must give back this key's public key, or the seed is not the one published.
    const same = concat(pkM, pkX).every((b, i) => b === this.publicKey[i]);
    if (!same) {
      skM.fill(0);
      throw new MalformedError('X-Wing seed does not match its public key');
    }
    if (!this.#seed) {
      skM.fill(0);
      return undefined;
    }
    const prepared = ml_kem768.prepare(pkM);
    this.#skM = skM;
    this.#prepared = prepared;
    return { skM, prepared, skX, pkX };
  }
}

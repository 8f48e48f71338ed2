/**
 * DHKEM(X25519, HKDF-SHA256), RFC 9180 §4.1 and §7.1: WebCrypto X25519 where the
 * platform has it (fifteen times faster), @noble/curves otherwise.
 * Low-order public keys are refused before the ladder by @noble/curves, and
 * an all-zero shared secret is refused here as well (RFC 9180 §7.1.4,
 * RFC 7748 §6.1).
 */

import { x25519 } from '@noble/curves/ed25519.js';
import { concat } from '../bytes';
import { MalformedError, UnknownKeyError } from '../errors';
import { labeledExpand, labeledExtract } from './kdf';
import type { RecipientKey } from './recipient-key';
import { type HpkeSuite, KEM_X25519_HKDF_SHA256 } from './suite';
import {
  generateWebCryptoX25519,
  importX25519PrivateKey,
  webCryptoX25519,
  webCryptoX25519Dh,
} from './x25519-webcrypto';

/** Npk = Nsk = Nenc = 32 for X25519. */
export const X25519_KEY_BYTES = 32;

/** An X25519 key pair, raw bytes (RFC 7748 encoding). */
export interface X25519KeyPair {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** Fresh random X25519 key pair. */
export function generateX25519KeyPair(): X25519KeyPair {
  const privateKey = x25519.utils.randomSecretKey();
  return { privateKey, publicKey: x25519.getPublicKey(privateKey) };
}

/**
 * Public key for a raw X25519 private key.
 * @throws {MalformedError} if `privateKey` is not 32 bytes.
 */
export function x25519PublicKey(privateKey: Uint8Array): Uint8Array {
  if (privateKey.length !== X25519_KEY_BYTES)
    throw new MalformedError('X25519 private key must be 32 bytes');
  return x25519.getPublicKey(privateKey);
}

/**
 * DH(sk, pk) with RFC 9180 §7.1.4 validation.
 * @throws {MalformedError} if a key has the wrong length, `pk` is of low order, or the result is all zero.
 */
export function x25519Dh(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  if (privateKey.length !== X25519_KEY_BYTES)
    throw new MalformedError('X25519 private key must be 32 bytes');
  if (publicKey.length !== X25519_KEY_BYTES)
    throw new MalformedError('X25519 public key must be 32 bytes');
  let dh: Uint8Array;
  try {
    dh = x25519.getSharedSecret(privateKey, publicKey);
  } catch (cause) {
    throw new MalformedError('X25519 public key refused (low order)', { cause });
  }
  let acc = 0;
  for (const b of dh) acc |= b;
  if (acc === 0) throw new MalformedError('X25519 shared secret is all zero');
  return dh;
}

/**
 * A gateway's X25519 private key. Built from raw bytes (copied); on first use
 * under WebCrypto it becomes a non-extractable `CryptoKey` and the copy is
 * zeroed, otherwise the copy stays (zeroable) for @noble/curves.
 */
export class X25519RecipientKey implements RecipientKey {
  readonly kemId = KEM_X25519_HKDF_SHA256;
  readonly publicKey: Uint8Array;
  /** Raw bytes until imported into WebCrypto (then zeroed and dropped), or for @noble/curves. */
  #raw: Uint8Array | undefined;
  #cryptoKey: Promise<CryptoKey | undefined> | undefined;
  #erased = false;

  /** @throws {MalformedError} if `privateKey` is not 32 bytes. */
  constructor(privateKey: Uint8Array) {
    this.publicKey = x25519PublicKey(privateKey);
    this.#raw = privateKey.slice();
  }

  get erased(): boolean {
    return this.#erased;
  }

  erase(): void {
    this.#erased = true;
    this.#raw?.fill(0);
    this.#raw = undefined;
    this.#cryptoKey = undefined;
  }

  /**
   * DH(skR, pkE) with the checks of {@link x25519Dh}.
   * @throws {UnknownKeyError} once erased.
   * @throws {MalformedError} if `publicKey` is not a usable X25519 public key.
   */
  async dh(publicKey: Uint8Array): Promise<Uint8Array> {
    if (this.erased) throw new UnknownKeyError('the private key was erased');
    if (publicKey.length !== X25519_KEY_BYTES)
      throw new MalformedError('X25519 public key must be 32 bytes');
    this.#cryptoKey ??= this.#importOnce();
    const key = await this.#cryptoKey;
    if (this.erased) throw new UnknownKeyError('the private key was erased');
    if (key) return webCryptoX25519Dh(key, publicKey);
    if (!this.#raw) throw new UnknownKeyError('the private key was erased');
    return x25519Dh(this.#raw, publicKey);
  }

  async #importOnce(): Promise<CryptoKey | undefined> {
    if (!(await webCryptoX25519()) || !this.#raw) return undefined;
    const key = await importX25519PrivateKey(this.#raw);
    this.#raw?.fill(0);
    this.#raw = undefined;
    return this.#erased ? undefined : key;
  }
}

/** ExtractAndExpand(dh, kem_context), RFC 9180 §4.1. */
function extractAndExpand(suite: HpkeSuite, dh: Uint8Array, kemContext: Uint8Array): Uint8Array {
  const eaePrk = labeledExtract(suite.kemSuiteId, new Uint8Array(0), 'eae_prk', dh);
  return labeledExpand(suite.kemSuiteId, eaePrk, 'shared_secret', kemContext, suite.secretBytes);
}

/**
 * Encap(pkR), RFC 9180 §4.1, with a fresh ephemeral key (GenerateKeyPair), or
 * with `fixedEphemeral` (skEm, 32 bytes) when a test reproduces a vector.
 * @throws {MalformedError} if `pkR` is not a usable X25519 public key.
 */
export async function x25519Encap(
  suite: HpkeSuite,
  recipientPublicKey: Uint8Array,
  fixedEphemeral?: Uint8Array,
): Promise<{ sharedSecret: Uint8Array; enc: Uint8Array }> {
  if (recipientPublicKey.length !== X25519_KEY_BYTES)
    throw new MalformedError('X25519 public key must be 32 bytes');
  let secret: Uint8Array;
  let enc: Uint8Array;
  if (fixedEphemeral !== undefined) {
    enc = x25519PublicKey(fixedEphemeral);
    secret = x25519Dh(fixedEphemeral, recipientPublicKey);
  } else if (await webCryptoX25519()) {
    const ephemeral = await generateWebCryptoX25519();
    enc = ephemeral.publicKey;
    secret = await webCryptoX25519Dh(ephemeral.privateKey, recipientPublicKey);
  } else {
    const ephemeral = generateX25519KeyPair();
    enc = ephemeral.publicKey;
    secret = x25519Dh(ephemeral.privateKey, recipientPublicKey);
    ephemeral.privateKey.fill(0);
  }
  return { sharedSecret: extractAndExpand(suite, secret, concat(enc, recipientPublicKey)), enc };
}

/**
 * Decap(enc, skR), RFC 9180 §4.1.
 * @throws {MalformedError} if `enc` is not a usable X25519 public key.
 * @throws {UnknownKeyError} if the key was erased.
 */
export async function x25519Decap(
  suite: HpkeSuite,
  enc: Uint8Array,
  recipientKey: X25519RecipientKey,
): Promise<Uint8Array> {
  const secret = await recipientKey.dh(enc);
  return extractAndExpand(suite, secret, concat(enc, recipientKey.publicKey));
}

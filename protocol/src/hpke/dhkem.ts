/**
 * DHKEM(X25519, HKDF-SHA256), RFC 9180 §4.1 and §7.1: WebCrypto X25519 where the
 * platform has it (fifteen times faster), @noble/curves otherwise.
 * Low-order public keys are refused before the ladder by @noble/curves, and
 * an all-zero shared secret is refused here as well (RFC 9180 §7.1.4,
 * RFC 7748 §6.1).
 */

import { x25519 } from '@noble/curves/ed25519.js';
import { concat } from '../bytes';
import { MalformedError } from '../errors';
import { labeledExpand, labeledExtract } from './kdf';
import type { HpkeSuite } from './suite';
import { webCryptoX25519, webCryptoX25519Dh, webCryptoX25519PublicKey } from './x25519-webcrypto';

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

/** ExtractAndExpand(dh, kem_context), RFC 9180 §4.1. */
function extractAndExpand(suite: HpkeSuite, dh: Uint8Array, kemContext: Uint8Array): Uint8Array {
  const eaePrk = labeledExtract(suite.kemSuiteId, new Uint8Array(0), 'eae_prk', dh);
  return labeledExpand(suite.kemSuiteId, eaePrk, 'shared_secret', kemContext, suite.secretBytes);
}

/** DH through WebCrypto when available, else @noble/curves; same checks either way. */
async function dh(privateKey: Uint8Array, publicKey: Uint8Array): Promise<Uint8Array> {
  if (privateKey.length !== X25519_KEY_BYTES || publicKey.length !== X25519_KEY_BYTES) {
    return x25519Dh(privateKey, publicKey); // throws the length error
  }
  return (await webCryptoX25519())
    ? webCryptoX25519Dh(privateKey, publicKey)
    : x25519Dh(privateKey, publicKey);
}

// A gateway decapsulates with the same long-lived key many times: derive its public key once.
const publicKeys = new WeakMap<Uint8Array, Promise<Uint8Array>>();

/**
 * The public key of `privateKey`, cached per key object.
 * @throws {MalformedError} if `privateKey` is not 32 bytes.
 */
export function x25519PublicKeyOf(privateKey: Uint8Array): Promise<Uint8Array> {
  let pk = publicKeys.get(privateKey);
  if (!pk) {
    pk = (async () => {
      if (privateKey.length === X25519_KEY_BYTES && (await webCryptoX25519())) {
        return webCryptoX25519PublicKey(privateKey);
      }
      return x25519PublicKey(privateKey);
    })();
    publicKeys.set(privateKey, pk);
  }
  return pk;
}

/** A fresh ephemeral key pair (RFC 9180 §4.1 GenerateKeyPair). */
export async function generateEphemeralKeyPair(): Promise<X25519KeyPair> {
  const privateKey = x25519.utils.randomSecretKey();
  return { privateKey, publicKey: await x25519PublicKeyOf(privateKey) };
}

/**
 * Encap(pkR), RFC 9180 §4.1, with the ephemeral key given (random unless a test fixes it).
 * @throws {MalformedError} if `pkR` is not a usable X25519 public key.
 */
export async function encap(
  suite: HpkeSuite,
  recipientPublicKey: Uint8Array,
  ephemeral: X25519KeyPair,
): Promise<{ sharedSecret: Uint8Array; enc: Uint8Array }> {
  const secret = await dh(ephemeral.privateKey, recipientPublicKey);
  const enc = ephemeral.publicKey;
  return { sharedSecret: extractAndExpand(suite, secret, concat(enc, recipientPublicKey)), enc };
}

/**
 * Decap(enc, skR), RFC 9180 §4.1.
 * @throws {MalformedError} if `enc` is not a usable X25519 public key.
 */
export async function decap(
  suite: HpkeSuite,
  enc: Uint8Array,
  recipientPrivateKey: Uint8Array,
): Promise<Uint8Array> {
  const secret = await dh(recipientPrivateKey, enc);
  const pkRm = await x25519PublicKeyOf(recipientPrivateKey);
  return extractAndExpand(suite, secret, concat(enc, pkRm));
}

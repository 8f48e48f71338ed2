/**
 * DHKEM(X25519, HKDF-SHA256), RFC 9180 §4.1 and §7.1, on @noble/curves.
 * Low-order public keys are refused before the ladder by @noble/curves, and
 * an all-zero shared secret is refused here as well (RFC 9180 §7.1.4,
 * RFC 7748 §6.1).
 */

import { x25519 } from '@noble/curves/ed25519.js';
import { concat } from '../bytes';
import { MalformedError } from '../errors';
import { labeledExpand, labeledExtract } from './kdf';
import type { HpkeSuite } from './suite';

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

/**
 * Encap(pkR), RFC 9180 §4.1, with the ephemeral key given (random unless a test fixes it).
 * @throws {MalformedError} if `pkR` is not a usable X25519 public key.
 */
export function encap(
  suite: HpkeSuite,
  recipientPublicKey: Uint8Array,
  ephemeral: X25519KeyPair,
): { sharedSecret: Uint8Array; enc: Uint8Array } {
  const dh = x25519Dh(ephemeral.privateKey, recipientPublicKey);
  const enc = ephemeral.publicKey;
  return { sharedSecret: extractAndExpand(suite, dh, concat(enc, recipientPublicKey)), enc };
}

/**
 * Decap(enc, skR), RFC 9180 §4.1.
 * @throws {MalformedError} if `enc` is not a usable X25519 public key.
 */
export function decap(
  suite: HpkeSuite,
  enc: Uint8Array,
  recipientPrivateKey: Uint8Array,
): Uint8Array {
  const dh = x25519Dh(recipientPrivateKey, enc);
  const pkRm = x25519PublicKey(recipientPrivateKey);
  return extractAndExpand(suite, dh, concat(enc, pkRm));
}

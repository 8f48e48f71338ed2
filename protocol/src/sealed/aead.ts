/**
 * XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03; RFC 8439 §2.8 with a
 * 24-byte nonce through HChaCha20) from @noble/ciphers, behind the one
 * interface every sealed format here uses, so the Wycheproof vectors test
 * exactly the path our records take.
 */

import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { DecryptError, MalformedError } from '../errors';

export const XCHACHA_KEY_BYTES = 32;
export const XCHACHA_NONCE_BYTES = 24;
export const XCHACHA_TAG_BYTES = 16;

function checkSizes(key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== XCHACHA_KEY_BYTES)
    throw new MalformedError('xchacha20poly1305: key must be 32 bytes');
  if (nonce.length !== XCHACHA_NONCE_BYTES) {
    throw new MalformedError('xchacha20poly1305: nonce must be 24 bytes');
  }
}

/**
 * Encrypts `plaintext`; returns ciphertext || 16-byte tag.
 * @throws {MalformedError} key not 32 bytes or nonce not 24 bytes.
 */
export function xchachaSeal(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
): Uint8Array {
  checkSizes(key, nonce);
  return xchacha20poly1305(key, nonce, aad).encrypt(plaintext);
}

/**
 * Authenticates and decrypts ciphertext || tag.
 * @throws {MalformedError} key not 32 bytes or nonce not 24 bytes.
 * @throws {DecryptError} shorter than a tag, or authentication failed.
 */
export function xchachaOpen(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  sealed: Uint8Array,
): Uint8Array {
  checkSizes(key, nonce);
  if (sealed.length < XCHACHA_TAG_BYTES)
    throw new DecryptError('xchacha20poly1305: input too short');
  try {
    return xchacha20poly1305(key, nonce, aad).decrypt(sealed);
  } catch (cause) {
    throw new DecryptError('xchacha20poly1305: authentication failed', { cause });
  }
}

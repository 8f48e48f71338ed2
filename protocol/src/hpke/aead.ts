/**
 * The two AEADs of Sotto's HPKE profile, RFC 9180 §7.3 (RFC 5116 interface):
 * AES-128-GCM through WebCrypto (fast, native; DESIGN.md measured 1.1 ms vs
 * 9.8 ms per MiB) and ChaCha20-Poly1305 (RFC 8439) through @noble/ciphers.
 * Where WebCrypto is missing, AES-GCM falls back to @noble/ciphers.
 * Browser-safe: no `node:` imports.
 */

import { gcm } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { bufferSource } from '../bytes';
import { DecryptError, MalformedError } from '../errors';
import { AEAD_AES_128_GCM, type AeadId, aeadKeyBytes } from './suite';

/** Nn for both AEADs. */
export const AEAD_NONCE_BYTES = 12;
/** Nt for both AEADs. */
export const AEAD_TAG_BYTES = 16;

/** An AEAD bound to one key. Nonces are the caller's job (HPKE context or OHTTP counter). */
export interface AeadKey {
  readonly aeadId: AeadId;
  /** Returns ciphertext || tag. */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array>;
  /**
   * Returns the plaintext.
   * @throws {DecryptError} if the tag does not verify or the input is shorter than a tag.
   */
  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array>;
}

/** A platform's own AES-128-GCM (node/aes-gcm.ts under Node); undefined: WebCrypto. */
let platformAesGcm: ((key: Uint8Array) => AeadKey) | undefined;

/**
 * Lets the platform supply AES-128-GCM for every key made after this call, e.g. Node's
 * synchronous cipher (node/aes-gcm.ts `installNodeAesGcm`); undefined restores WebCrypto.
 */
export function useAesGcm(make: ((key: Uint8Array) => AeadKey) | undefined): void {
  platformAesGcm = make;
}

/**
 * Binds `key` to the AEAD `aeadId`.
 * @throws {MalformedError} if `key` is not Nk bytes.
 */
export function aeadKey(aeadId: AeadId, key: Uint8Array): AeadKey {
  if (key.length !== aeadKeyBytes(aeadId))
    throw new MalformedError('AEAD key has the wrong length');
  const k = key.slice();
  if (aeadId === AEAD_AES_128_GCM) {
    if (platformAesGcm) return platformAesGcm(k);
    const subtle = globalThis.crypto?.subtle;
    return subtle ? webCryptoAesGcm(subtle, k) : nobleAead(aeadId, k);
  }
  return nobleAead(aeadId, k);
}

function checkNonce(nonce: Uint8Array): void {
  if (nonce.length !== AEAD_NONCE_BYTES)
    throw new MalformedError('AEAD nonce has the wrong length');
}

/** WebCrypto copies its inputs when called, so a view (no copy) is enough here. */
const buf = bufferSource;

function webCryptoAesGcm(subtle: SubtleCrypto, key: Uint8Array): AeadKey {
  let cryptoKey: Promise<CryptoKey> | undefined;
  const getKey = () => {
    cryptoKey ??= subtle.importKey('raw', buf(key), { name: 'AES-GCM' }, false, [
      'encrypt',
      'decrypt',
    ]);
    return cryptoKey;
  };
  return {
    aeadId: AEAD_AES_128_GCM,
    async seal(nonce, aad, plaintext) {
      checkNonce(nonce);
      const params: AesGcmParams = {
        name: 'AES-GCM',
        iv: buf(nonce),
        additionalData: buf(aad),
        tagLength: 128,
      };
      return new Uint8Array(await subtle.encrypt(params, await getKey(), buf(plaintext)));
    },
    async open(nonce, aad, ciphertext) {
      checkNonce(nonce);
      if (ciphertext.length < AEAD_TAG_BYTES)
        throw new DecryptError('AEAD ciphertext shorter than its tag');
      const params: AesGcmParams = {
        name: 'AES-GCM',
        iv: buf(nonce),
        additionalData: buf(aad),
        tagLength: 128,
      };
      const k = await getKey();
      try {
        return new Uint8Array(await subtle.decrypt(params, k, buf(ciphertext)));
      } catch (cause) {
        throw new DecryptError('AEAD authentication failed', { cause });
      }
    },
  };
}

function nobleAead(aeadId: AeadId, key: Uint8Array): AeadKey {
  const make = aeadId === AEAD_AES_128_GCM ? gcm : chacha20poly1305;
  return {
    aeadId,
    async seal(nonce, aad, plaintext) {
      checkNonce(nonce);
      return make(key, nonce, aad).encrypt(plaintext);
    },
    async open(nonce, aad, ciphertext) {
      checkNonce(nonce);
      if (ciphertext.length < AEAD_TAG_BYTES)
        throw new DecryptError('AEAD ciphertext shorter than its tag');
      try {
        return make(key, nonce, aad).decrypt(ciphertext);
      } catch (cause) {
        throw new DecryptError('AEAD authentication failed', { cause });
      }
    },
  };
}

/**
 * AES-128-GCM through Node's synchronous `node:crypto` cipher, for the processes that run
 * under Node (the enclave, the CLI, the bench): one WebCrypto call per chunk is a job on
 * libuv's thread pool and a promise, ~0.1 ms of main-thread CPU per sealed token batch in
 * the enclave's profile (BENCHMARKS.md §10), while the cipher itself takes microseconds.
 * Same algorithm, same bytes (aes-gcm.test.ts checks it against WebCrypto both ways).
 * Node only: nothing the extension bundles imports this file (aead.ts stays browser-safe).
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { DecryptError, MalformedError } from '../errors';
import { AEAD_NONCE_BYTES, AEAD_TAG_BYTES, type AeadKey, useAesGcm } from '../hpke/aead';
import { AEAD_AES_128_GCM } from '../hpke/suite';

function checkNonce(nonce: Uint8Array): void {
  if (nonce.length !== AEAD_NONCE_BYTES)
    throw new MalformedError('AEAD nonce has the wrong length');
}

/** An AES-128-GCM key sealed and opened by Node's OpenSSL, synchronously. */
export function nodeAesGcm(key: Uint8Array): AeadKey {
  const k = Buffer.from(key);
  return {
    aeadId: AEAD_AES_128_GCM,
    async seal(nonce, aad, plaintext) {
      checkNonce(nonce);
      const c = createCipheriv('aes-128-gcm', k, nonce, { authTagLength: AEAD_TAG_BYTES });
      c.setAAD(aad);
      const head = c.update(plaintext);
      const tail = c.final();
      const out = new Uint8Array(head.length + tail.length + AEAD_TAG_BYTES);
      out.set(head, 0);
      out.set(tail, head.length);
      out.set(c.getAuthTag(), head.length + tail.length);
      return out;
    },
    async open(nonce, aad, ciphertext) {
      checkNonce(nonce);
      if (ciphertext.length < AEAD_TAG_BYTES)
        throw new DecryptError('AEAD ciphertext shorter than its tag');
      const body = ciphertext.length - AEAD_TAG_BYTES;
      try {
        const d = createDecipheriv('aes-128-gcm', k, nonce, { authTagLength: AEAD_TAG_BYTES });
        d.setAAD(aad);
        d.setAuthTag(ciphertext.subarray(body));
        const head = d.update(ciphertext.subarray(0, body));
        const tail = d.final();
        // A view when the output owns its memory; a copy of a pooled slab's part otherwise.
        if (tail.length === 0 && head.byteOffset === 0 && head.buffer.byteLength === head.length)
          return new Uint8Array(head.buffer, 0, head.length);
        const out = new Uint8Array(head.length + tail.length);
        out.set(head, 0);
        out.set(tail, head.length);
        return out;
      } catch (cause) {
        throw new DecryptError('AEAD authentication failed', { cause });
      }
    },
  };
}

/** Makes every AES-128-GCM key of this process use {@link nodeAesGcm}. Call once at start. */
export function installNodeAesGcm(): void {
  useAesGcm(nodeAesGcm);
}

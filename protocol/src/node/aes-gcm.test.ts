/**
 * Node's AES-128-GCM (node/aes-gcm.ts) against WebCrypto's: the same ciphertexts both ways,
 * at chunk sizes the protocol uses; a flipped bit, a wrong AAD and a short input are
 * refused with DecryptError; and once installed, every new AES-GCM key uses it while
 * ChaCha20-Poly1305 is untouched.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DecryptError, MalformedError } from '../errors';
import { aeadKey, useAesGcm } from '../hpke/aead';
import { installNodeAesGcm, nodeAesGcm } from './aes-gcm';
import { AEAD_AES_128_GCM, AEAD_CHACHA20_POLY1305 } from '../hpke/suite';

const rand = (n: number) => crypto.getRandomValues(new Uint8Array(n));

afterEach(() => useAesGcm(undefined));

describe('Node AES-128-GCM', () => {
  it('seals and opens exactly as WebCrypto does, both ways', async () => {
    for (const size of [0, 1, 15, 16, 17, 160, 4096, 16384, 65536]) {
      const key = rand(16);
      const nonce = rand(12);
      const aad = size % 2 ? rand(5) : new Uint8Array(0);
      const pt = rand(size);
      const web = aeadKey(AEAD_AES_128_GCM, key);
      const node = nodeAesGcm(key);
      const sealed = await node.seal(nonce, aad, pt);
      expect(sealed).toEqual(await web.seal(nonce, aad, pt));
      expect(await web.open(nonce, aad, sealed)).toEqual(pt);
      expect(await node.open(nonce, aad, sealed)).toEqual(pt);
    }
  });

  it('refuses a flipped bit, another AAD, a short input and a bad nonce', async () => {
    const node = nodeAesGcm(rand(16));
    const nonce = rand(12);
    const sealed = await node.seal(nonce, new Uint8Array(0), rand(40));
    const flipped = sealed.slice();
    flipped[3]! ^= 1;
    await expect(node.open(nonce, new Uint8Array(0), flipped)).rejects.toThrow(DecryptError);
    await expect(node.open(nonce, new Uint8Array([1]), sealed)).rejects.toThrow(DecryptError);
    await expect(node.open(nonce, new Uint8Array(0), rand(15))).rejects.toThrow(DecryptError);
    await expect(node.seal(rand(11), new Uint8Array(0), rand(1))).rejects.toThrow(MalformedError);
  });

  it('once installed, serves every new AES-GCM key and leaves ChaCha20-Poly1305 alone', async () => {
    const key = rand(16);
    const before = aeadKey(AEAD_AES_128_GCM, key);
    installNodeAesGcm();
    const after = aeadKey(AEAD_AES_128_GCM, key);
    const nonce = rand(12);
    const pt = rand(100);
    expect(
      await before.open(nonce, new Uint8Array(0), await after.seal(nonce, new Uint8Array(0), pt)),
    ).toEqual(pt);
    const chacha = aeadKey(AEAD_CHACHA20_POLY1305, rand(32));
    expect(
      await chacha.open(nonce, new Uint8Array(0), await chacha.seal(nonce, new Uint8Array(0), pt)),
    ).toEqual(pt);
  });
});

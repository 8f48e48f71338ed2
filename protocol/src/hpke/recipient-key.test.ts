/**
 * Key erasure (issue 13): a gateway's private key, once erased, opens nothing,
 * whether it was used before (imported into WebCrypto) or not, through HPKE
 * and through an OHTTP gateway's key store alike.
 */
import { describe, expect, it } from 'vitest';
import { utf8 } from '../bytes';
import { UnknownKeyError } from '../errors';
import { generateKeyConfig } from '../ohttp/key-config';
import { decapsulateRequest, encapsulateRequest } from '../ohttp/ohttp';
import { setupRecipient, setupSender } from './context';
import { X25519RecipientKey } from './dhkem-x25519';
import {
  AEAD_AES_128_GCM,
  hpkeSuite,
  KDF_HKDF_SHA256,
  KEM_X25519_HKDF_SHA256,
  KEM_XWING,
  type KemId,
} from './suite';
import { webCryptoX25519 } from './x25519-webcrypto';

describe('recipient keys can be erased', () => {
  for (const kemId of [KEM_X25519_HKDF_SHA256, KEM_XWING] as KemId[]) {
    it(`KEM 0x${kemId.toString(16)}: a used, then erased, key opens no request`, async () => {
      const g = generateKeyConfig(9, [AEAD_AES_128_GCM], kemId);
      const keys = new Map([[9, g]]);
      const first = await encapsulateRequest(g.config, utf8('before'));
      expect((await decapsulateRequest(first.encapsulated, keys)).request).toEqual(utf8('before'));
      const second = await encapsulateRequest(g.config, utf8('after'));
      g.privateKey.erase();
      expect(g.privateKey.erased).toBe(true);
      await expect(decapsulateRequest(second.encapsulated, keys)).rejects.toThrow(UnknownKeyError);
      const suite = hpkeSuite(kemId, KDF_HKDF_SHA256, AEAD_AES_128_GCM);
      const s = await setupSender(suite, g.config.publicKey, utf8('i'));
      await expect(setupRecipient(suite, s.enc, g.privateKey, utf8('i'))).rejects.toThrow(
        UnknownKeyError,
      );
    });
  }

  it('X25519: the WebCrypto path is the one in use, and an unused key erases as well', async () => {
    expect(await webCryptoX25519()).toBe(true);
    const g = generateKeyConfig(3, [AEAD_AES_128_GCM]);
    expect(g.privateKey).toBeInstanceOf(X25519RecipientKey);
    const req = await encapsulateRequest(g.config, utf8('x'));
    g.privateKey.erase();
    await expect(decapsulateRequest(req.encapsulated, new Map([[3, g]]))).rejects.toThrow(
      UnknownKeyError,
    );
  });

  it('X25519: erasing while the first use is importing the key still wins', async () => {
    const g = generateKeyConfig(4, [AEAD_AES_128_GCM]);
    const suite = hpkeSuite(KEM_X25519_HKDF_SHA256, KDF_HKDF_SHA256, AEAD_AES_128_GCM);
    const s = await setupSender(suite, g.config.publicKey, utf8('i'));
    const racing = setupRecipient(suite, s.enc, g.privateKey, utf8('i'));
    g.privateKey.erase();
    await expect(racing).rejects.toThrow(UnknownKeyError);
    await expect(setupRecipient(suite, s.enc, g.privateKey, utf8('i'))).rejects.toThrow(
      UnknownKeyError,
    );
  });
});

import { readFileSync } from 'node:fs';
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import { Aes128Gcm, CipherSuite, HkdfSha256 } from '@hpke/core';
import { DhkemX25519HkdfSha256 } from '@hpke/dhkem-x25519';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex, utf8 } from '../bytes';
import {
  ConfigurationError,
  DecryptError,
  LimitExceededError,
  MalformedError,
  UnsupportedError,
} from '../errors';
import {
  AEAD_AES_128_GCM,
  AEAD_CHACHA20_POLY1305,
  generateX25519KeyPair,
  hpkeSuite,
  KDF_HKDF_SHA256,
  KEM_X25519_HKDF_SHA256,
  setupRecipient,
  setupSender,
} from './index';

interface Vector {
  mode: number;
  kem_id: number;
  kdf_id: number;
  aead_id: number;
  info: string;
  skRm: string;
  skEm: string;
  pkRm: string;
  enc: string;
  encryptions: { aad: string; ct: string; nonce: string; pt: string }[];
  exports: { exporter_context: string; L: number; exported_value: string }[];
}

const vectors = JSON.parse(
  readFileSync(
    new URL(
      '../../../../shared/vectors/hpke/subset_mode0_x25519_sha256_aes128gcm_chacha20poly1305.json',
      import.meta.url,
    ),
    'utf8',
  ),
) as Vector[];

describe('HPKE RFC 9180 vectors (mode_base, X25519, HKDF-SHA256)', () => {
  it('has both suites, 257 encryptions and 3 exports each', () => {
    expect(vectors.map((v) => v.aead_id).sort()).toEqual([
      AEAD_AES_128_GCM,
      AEAD_CHACHA20_POLY1305,
    ]);
    for (const v of vectors) {
      expect(v.encryptions).toHaveLength(257);
      expect(v.exports).toHaveLength(3);
    }
  });

  for (const v of vectors) {
    const name = v.aead_id === AEAD_AES_128_GCM ? 'AES-128-GCM' : 'ChaCha20-Poly1305';
    it(`${name}: sender reproduces enc, every ciphertext and every export`, async () => {
      const suite = hpkeSuite(v.kem_id, v.kdf_id, v.aead_id);
      const s = await setupSender(suite, fromHex(v.pkRm), fromHex(v.info), {
        __unsafeTestOnlyEphemeralPrivateKey: fromHex(v.skEm),
      });
      expect(toHex(s.enc)).toBe(v.enc);
      let matched = 0;
      for (const e of v.encryptions) {
        const ct = await s.seal(fromHex(e.pt), fromHex(e.aad));
        expect(toHex(ct)).toBe(e.ct);
        matched++;
      }
      expect(matched).toBe(257);
      for (const x of v.exports) {
        expect(toHex(s.export(fromHex(x.exporter_context), x.L))).toBe(x.exported_value);
      }
    });

    it(`${name}: recipient opens every ciphertext and reproduces every export`, async () => {
      const suite = hpkeSuite(v.kem_id, v.kdf_id, v.aead_id);
      const r = await setupRecipient(suite, fromHex(v.enc), fromHex(v.skRm), fromHex(v.info));
      for (const e of v.encryptions) {
        expect(toHex(await r.open(fromHex(e.ct), fromHex(e.aad)))).toBe(e.pt);
      }
      for (const x of v.exports) {
        expect(toHex(r.export(fromHex(x.exporter_context), x.L))).toBe(x.exported_value);
      }
    });
  }
});

describe('HPKE cross-check with hpke-js (independent implementation)', () => {
  for (const aeadId of [AEAD_AES_128_GCM, AEAD_CHACHA20_POLY1305] as const) {
    it(`interoperates both ways, AEAD 0x000${aeadId}`, async () => {
      const ref = new CipherSuite({
        kem: new DhkemX25519HkdfSha256(),
        kdf: new HkdfSha256(),
        aead: aeadId === AEAD_AES_128_GCM ? new Aes128Gcm() : new Chacha20Poly1305(),
      });
      const suite = hpkeSuite(KEM_X25519_HKDF_SHA256, KDF_HKDF_SHA256, aeadId);
      const kp = generateX25519KeyPair();
      const info = utf8('sotto cross-check');
      // ours → hpke-js
      const s = await setupSender(suite, kp.publicKey, info);
      const ct1 = await s.seal(utf8('first'), utf8('a'));
      const ct2 = await s.seal(utf8('second'));
      const refR = await ref.createRecipientContext({
        recipientKey: await ref.kem.importKey('raw', kp.privateKey.slice().buffer, false),
        enc: s.enc.slice().buffer,
        info: info.slice().buffer,
      });
      expect(new Uint8Array(await refR.open(ct1.slice().buffer, utf8('a').slice().buffer))).toEqual(
        utf8('first'),
      );
      expect(new Uint8Array(await refR.open(ct2.slice().buffer))).toEqual(utf8('second'));
      expect(new Uint8Array(await refR.export(utf8('x').slice().buffer, 40))).toEqual(
        s.export(utf8('x'), 40),
      );
      // hpke-js → ours
      const refS = await ref.createSenderContext({
        recipientPublicKey: await ref.kem.importKey('raw', kp.publicKey.slice().buffer, true),
        info: info.slice().buffer,
      });
      const r = await setupRecipient(suite, new Uint8Array(refS.enc), kp.privateKey, info);
      const c = new Uint8Array(await refS.seal(utf8('hello').slice().buffer));
      expect(await r.open(c)).toEqual(utf8('hello'));
    });
  }
});

describe('HPKE typed errors', () => {
  const suite = hpkeSuite(KEM_X25519_HKDF_SHA256, KDF_HKDF_SHA256, AEAD_AES_128_GCM);

  it('refuses unknown algorithm ids with UnsupportedError', () => {
    expect(() => hpkeSuite(0x0010, 1, 1)).toThrow(UnsupportedError);
    expect(() => hpkeSuite(0x0020, 2, 1)).toThrow(UnsupportedError);
    expect(() => hpkeSuite(0x0020, 1, 2)).toThrow(UnsupportedError);
    expect(() => hpkeSuite(0x0020, 1, 0xffff)).toThrow(UnsupportedError);
  });

  it('refuses bad key lengths with MalformedError', async () => {
    const kp = generateX25519KeyPair();
    await expect(setupSender(suite, new Uint8Array(31), new Uint8Array(0))).rejects.toThrow(
      MalformedError,
    );
    await expect(setupSender(suite, new Uint8Array(33), new Uint8Array(0))).rejects.toThrow(
      MalformedError,
    );
    await expect(
      setupRecipient(suite, new Uint8Array(31), kp.privateKey, new Uint8Array(0)),
    ).rejects.toThrow(MalformedError);
    await expect(
      setupRecipient(suite, kp.publicKey, new Uint8Array(16), new Uint8Array(0)),
    ).rejects.toThrow(MalformedError);
  });

  it('refuses a low-order enc and a low-order recipient key (RFC 9180 §7.1.4)', async () => {
    const kp = generateX25519KeyPair();
    const zero = new Uint8Array(32);
    await expect(setupRecipient(suite, zero, kp.privateKey, new Uint8Array(0))).rejects.toThrow(
      MalformedError,
    );
    await expect(setupSender(suite, zero, new Uint8Array(0))).rejects.toThrow(MalformedError);
  });

  it('maps a failed open to DecryptError (flipped bit, wrong aad, wrong order, short input)', async () => {
    const kp = generateX25519KeyPair();
    const s = await setupSender(suite, kp.publicKey, utf8('i'));
    const c0 = await s.seal(utf8('zero'));
    const c1 = await s.seal(utf8('one'));
    const flipped = c0.slice();
    flipped[0] = flipped[0]! ^ 1;
    const open = async (ct: Uint8Array, aad?: Uint8Array) =>
      (await setupRecipient(suite, s.enc, kp.privateKey, utf8('i'))).open(ct, aad);
    await expect(open(flipped)).rejects.toThrow(DecryptError);
    await expect(open(c0, utf8('x'))).rejects.toThrow(DecryptError);
    await expect(open(c1)).rejects.toThrow(DecryptError);
    await expect(open(c0.subarray(0, 15))).rejects.toThrow(DecryptError);
    const wrongInfo = await setupRecipient(suite, s.enc, kp.privateKey, utf8('j'));
    await expect(wrongInfo.open(c0)).rejects.toThrow(DecryptError);
  });

  it('refuses an export longer than 255 * Nh', async () => {
    const s = await setupSender(suite, generateX25519KeyPair().publicKey, new Uint8Array(0));
    expect(() => s.export(new Uint8Array(0), 255 * 32 + 1)).toThrow(LimitExceededError);
    expect(s.export(new Uint8Array(0), 255 * 32)).toHaveLength(255 * 32);
  });

  it('refuses a fixed ephemeral key outside a test harness', async () => {
    const saved = process.env.VITEST;
    const kp = generateX25519KeyPair();
    delete process.env.VITEST;
    try {
      await expect(
        setupSender(suite, kp.publicKey, new Uint8Array(0), {
          __unsafeTestOnlyEphemeralPrivateKey: kp.privateKey,
        }),
      ).rejects.toThrow(ConfigurationError);
    } finally {
      process.env.VITEST = saved;
    }
  });
});

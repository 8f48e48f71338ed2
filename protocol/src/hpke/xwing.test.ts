/**
 * X-Wing as an HPKE KEM: the draft's vectors (draft-connolly-cfrg-xwing-kem,
 * spec/test-vectors.json: key pair from seed, encapsulation from `eseed`,
 * shared secret), HPKE round trips both ways against hpke-js
 * (@hpke/core + @hpke/hybridkem-x-wing, an independent implementation), and
 * the hostile inputs: wrong lengths, invalid keys, keys of the other KEM,
 * erased keys.
 */
import { readFileSync } from 'node:fs';
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import { Aes128Gcm, CipherSuite, HkdfSha256 } from '@hpke/core';
import { XWing } from '@hpke/hybridkem-x-wing';
import { ml_kem768_x25519 } from '@noble/post-quantum/hybrid.js';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex, utf8 } from '../bytes';
import {
  ConfigurationError,
  DecryptError,
  MalformedError,
  UnknownKeyError,
  UnsupportedError,
} from '../errors';
import {
  AEAD_AES_128_GCM,
  AEAD_CHACHA20_POLY1305,
  generateX25519KeyPair,
  generateXWingKeyPair,
  hpkeSuite,
  KDF_HKDF_SHA256,
  KEM_X25519_HKDF_SHA256,
  KEM_XWING,
  recipientKey,
  setupRecipient,
  setupSender,
  XWING_ENC_BYTES,
  XWING_PUBLIC_KEY_BYTES,
  XWingRecipientKey,
  xwingEncap,
} from './index';
import { webCryptoX25519 } from './x25519-webcrypto';
import { nobleXWingEncap } from './xwing';

interface Vector {
  seed: string;
  sk: string;
  pk: string;
  eseed: string;
  ct: string;
  ss: string;
}

const vectors = JSON.parse(
  readFileSync(
    new URL(
      '../../../../shared/vectors/xwing/draft-connolly-cfrg-xwing-kem_test-vectors.json',
      import.meta.url,
    ),
    'utf8',
  ),
) as Vector[];

const buf = (b: Uint8Array) => b.slice().buffer;

describe('X-Wing KEM against the draft vectors', () => {
  it('has the three cases, with the sizes of the HPKE entry (Npk 1216, Nenc 1120, Nsk 32)', () => {
    expect(vectors).toHaveLength(3);
    for (const v of vectors) {
      expect(fromHex(v.pk)).toHaveLength(XWING_PUBLIC_KEY_BYTES);
      expect(fromHex(v.ct)).toHaveLength(XWING_ENC_BYTES);
      expect(fromHex(v.sk)).toHaveLength(32);
    }
  });

  vectors.forEach((v, i) => {
    it(`case ${i}: seed → key pair, eseed → ciphertext and shared secret, decapsulation`, async () => {
      const kp = generateXWingKeyPair(fromHex(v.seed));
      expect(toHex(kp.privateKey)).toBe(v.sk);
      expect(toHex(kp.publicKey)).toBe(v.pk);
      // The WebCrypto-composed path (the one shipped on Node and Chromium) …
      const { enc, sharedSecret } = await xwingEncap(fromHex(v.pk), fromHex(v.eseed));
      expect(toHex(enc)).toBe(v.ct);
      expect(toHex(sharedSecret)).toBe(v.ss);
      const key = new XWingRecipientKey(fromHex(v.sk));
      expect(toHex(key.publicKey)).toBe(v.pk);
      expect(toHex(await key.decap(fromHex(v.ct)))).toBe(v.ss);
      // … and @noble/post-quantum's ml_kem768_x25519 whole (the fallback).
      const noble = nobleXWingEncap(fromHex(v.pk), fromHex(v.eseed));
      expect(toHex(noble.enc)).toBe(v.ct);
      expect(toHex(noble.sharedSecret)).toBe(v.ss);
      expect(toHex(ml_kem768_x25519.decapsulate(fromHex(v.ct), fromHex(v.sk)))).toBe(v.ss);
    });
  });

  it('the two paths agree on random keys both ways', async () => {
    expect(await webCryptoX25519()).toBe(true);
    for (let i = 0; i < 8; i++) {
      const kp = generateXWingKeyPair();
      const key = new XWingRecipientKey(kp.privateKey);
      const ours = await xwingEncap(kp.publicKey);
      expect(ml_kem768_x25519.decapsulate(ours.enc, kp.privateKey)).toEqual(ours.sharedSecret);
      const ref = nobleXWingEncap(kp.publicKey);
      expect(await key.decap(ref.enc)).toEqual(ref.sharedSecret);
    }
  });

  it('is reproduced through the HPKE sender with the test-only eseed', async () => {
    const v = vectors[0]!;
    const suite = hpkeSuite(KEM_XWING, KDF_HKDF_SHA256, AEAD_AES_128_GCM);
    const s = await setupSender(suite, fromHex(v.pk), utf8('info'), {
      __unsafeTestOnlyEphemeralPrivateKey: fromHex(v.eseed),
    });
    expect(toHex(s.enc)).toBe(v.ct);
    const r = await setupRecipient(suite, s.enc, fromHex(v.sk), utf8('info'));
    expect(await r.open(await s.seal(utf8('hello')))).toEqual(utf8('hello'));
  });
});

describe('HPKE with X-Wing, cross-checked with hpke-js', () => {
  for (const aeadId of [AEAD_AES_128_GCM, AEAD_CHACHA20_POLY1305] as const) {
    it(`interoperates both ways, AEAD 0x000${aeadId}`, async () => {
      const ref = new CipherSuite({
        kem: new XWing(),
        kdf: new HkdfSha256(),
        aead: aeadId === AEAD_AES_128_GCM ? new Aes128Gcm() : new Chacha20Poly1305(),
      });
      const suite = hpkeSuite(KEM_XWING, KDF_HKDF_SHA256, aeadId);
      expect(suite).toMatchObject({ encBytes: 1120, publicKeyBytes: 1216, privateKeyBytes: 32 });
      const kp = generateXWingKeyPair();
      const key = recipientKey(KEM_XWING, kp.privateKey);
      const info = utf8('sotto x-wing cross-check');
      // ours → hpke-js
      const s = await setupSender(suite, kp.publicKey, info);
      expect(s.enc).toHaveLength(1120);
      const ct1 = await s.seal(utf8('first'), utf8('a'));
      const ct2 = await s.seal(utf8('second'));
      const refR = await ref.createRecipientContext({
        recipientKey: await ref.kem.importKey('raw', buf(kp.privateKey), false),
        enc: buf(s.enc),
        info: buf(info),
      });
      expect(new Uint8Array(await refR.open(buf(ct1), buf(utf8('a'))))).toEqual(utf8('first'));
      expect(new Uint8Array(await refR.open(buf(ct2)))).toEqual(utf8('second'));
      expect(new Uint8Array(await refR.export(buf(utf8('x')), 40))).toEqual(
        s.export(utf8('x'), 40),
      );
      // hpke-js → ours
      const refS = await ref.createSenderContext({
        recipientPublicKey: await ref.kem.importKey('raw', buf(kp.publicKey), true),
        info: buf(info),
      });
      const r = await setupRecipient(suite, new Uint8Array(refS.enc), key, info);
      expect(await r.open(new Uint8Array(await refS.seal(buf(utf8('hello')))))).toEqual(
        utf8('hello'),
      );
      expect(r.export(utf8('y'), 32)).toEqual(
        new Uint8Array(await refS.export(buf(utf8('y')), 32)),
      );
    });
  }

  it('agrees with hpke-js on DeriveKeyPair-free keys: the public key of a seed', async () => {
    const ref = new XWing();
    const kp = generateXWingKeyPair();
    const refPair = await ref.deriveKeyPair(buf(new Uint8Array(32).fill(3)));
    const refPk = new Uint8Array(await ref.serializePublicKey(refPair.publicKey));
    const refSk = new Uint8Array(await ref.serializePrivateKey(refPair.privateKey));
    expect(toHex(new XWingRecipientKey(refSk).publicKey)).toBe(toHex(refPk));
    expect(new XWingRecipientKey(kp.privateKey).publicKey).toEqual(kp.publicKey);
  });
});

describe('X-Wing hostile inputs (typed errors)', () => {
  const suite = hpkeSuite(KEM_XWING, KDF_HKDF_SHA256, AEAD_AES_128_GCM);
  const kp = generateXWingKeyPair();

  it('refuses encapsulated keys of the wrong length, including an X25519-sized one', async () => {
    const key = recipientKey(KEM_XWING, kp.privateKey);
    for (const n of [0, 32, 1088, 1119, 1121, 2240]) {
      await expect(setupRecipient(suite, new Uint8Array(n), key, utf8('i'))).rejects.toThrow(
        MalformedError,
      );
    }
    await expect((key as XWingRecipientKey).decap(new Uint8Array(1119))).rejects.toThrow(
      MalformedError,
    );
  });

  it('refuses public keys of the wrong length and an invalid ML-KEM encapsulation key', async () => {
    for (const n of [0, 32, 1184, 1215, 1217]) {
      await expect(setupSender(suite, new Uint8Array(n), utf8('i'))).rejects.toThrow(
        MalformedError,
      );
    }
    // FIPS 203 §7.2: every 12-bit coefficient of pk_M must be below q = 3329; 0xfff is not.
    const bad = kp.publicKey.slice();
    bad.fill(0xff, 0, 384);
    await expect(setupSender(suite, bad, utf8('i'))).rejects.toThrow(MalformedError);
  });

  it('refuses a fixed eseed of the wrong length and any fixed eseed outside tests', async () => {
    await expect(
      setupSender(suite, kp.publicKey, utf8('i'), {
        __unsafeTestOnlyEphemeralPrivateKey: new Uint8Array(32),
      }),
    ).rejects.toThrow(MalformedError);
    const saved = process.env.VITEST;
    delete process.env.VITEST;
    try {
      await expect(
        setupSender(suite, kp.publicKey, utf8('i'), {
          __unsafeTestOnlyEphemeralPrivateKey: new Uint8Array(64),
        }),
      ).rejects.toThrow(ConfigurationError);
    } finally {
      process.env.VITEST = saved;
    }
  });

  it('a key of one KEM never opens a request of the other', async () => {
    const x25519 = generateX25519KeyPair();
    const xKey = recipientKey(KEM_X25519_HKDF_SHA256, x25519.privateKey);
    const s = await setupSender(suite, kp.publicKey, utf8('i'));
    await expect(setupRecipient(suite, s.enc, xKey, utf8('i'))).rejects.toThrow(UnsupportedError);
    const xSuite = hpkeSuite(KEM_X25519_HKDF_SHA256, KDF_HKDF_SHA256, AEAD_AES_128_GCM);
    const xs = await setupSender(xSuite, x25519.publicKey, utf8('i'));
    await expect(
      setupRecipient(xSuite, xs.enc, recipientKey(KEM_XWING, kp.privateKey), utf8('i')),
    ).rejects.toThrow(UnsupportedError);
  });

  it('a tampered ciphertext decapsulates to another secret (implicit rejection), so the AEAD refuses it', async () => {
    const s = await setupSender(suite, kp.publicKey, utf8('i'));
    const ct = await s.seal(utf8('secret'));
    for (const at of [0, 500, 1087, 1088, 1119]) {
      const enc = s.enc.slice();
      enc[at]! ^= 1;
      let opened: Promise<Uint8Array>;
      try {
        opened = (await setupRecipient(suite, enc, kp.privateKey, utf8('i'))).open(ct);
      } catch (e) {
        // the X25519 half may be refused outright (a low-order point), never accepted
        expect(e).toBeInstanceOf(MalformedError);
        continue;
      }
      await expect(opened).rejects.toThrow(DecryptError);
    }
  });

  it('refuses a seed that does not belong to the public key it was given', async () => {
    const other = generateXWingKeyPair();
    const key = new XWingRecipientKey(kp.privateKey, other.publicKey);
    const s = await setupSender(suite, other.publicKey, utf8('i'));
    await expect(setupRecipient(suite, s.enc, key, utf8('i'))).rejects.toThrow(MalformedError);
  });

  it('an erased key opens nothing, and erasing zeroes what it held', async () => {
    const key = new XWingRecipientKey(kp.privateKey);
    const s = await setupSender(suite, kp.publicKey, utf8('i'));
    await setupRecipient(suite, s.enc, key, utf8('i'));
    key.erase();
    expect(key.erased).toBe(true);
    await expect(setupRecipient(suite, s.enc, key, utf8('i'))).rejects.toThrow(UnknownKeyError);
    // the caller's seed is untouched (the key held a copy)
    expect(kp.privateKey.some((b) => b !== 0)).toBe(true);
  });
});

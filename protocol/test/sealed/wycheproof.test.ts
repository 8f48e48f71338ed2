/**
 * Wycheproof vectors through the exact primitives sealed history uses:
 * XChaCha20-Poly1305 (`xchachaSeal`/`xchachaOpen`) and HKDF-SHA256
 * (`hkdfSha256`), valid and invalid cases; ChaCha20-Poly1305 from the same
 * library as a bonus. Read by path from ../shared/vectors/primitives/wycheproof.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { describe, expect, it } from 'vitest';
import { concat, fromHex, toHex } from '../../src/bytes';
import { DecryptError, LimitExceededError, MalformedError } from '../../src/errors';
import { hkdfSha256, xchachaOpen, xchachaSeal } from '../../src/sealed';

const DIR = fileURLToPath(
  new URL('../../../../shared/vectors/primitives/wycheproof/', import.meta.url),
);

interface AeadTest {
  tcId: number;
  flags: string[];
  key: string;
  iv: string;
  aad: string;
  msg: string;
  ct: string;
  tag: string;
  result: 'valid' | 'invalid' | 'acceptable';
}
interface HkdfTest {
  tcId: number;
  ikm: string;
  salt: string;
  info: string;
  size: number;
  okm: string;
  result: 'valid' | 'invalid';
}

function load<T>(name: string): { numberOfTests: number; tests: T[] } {
  const json = JSON.parse(readFileSync(`${DIR}${name}`, 'utf8')) as {
    numberOfTests: number;
    testGroups: { tests: T[] }[];
  };
  return { numberOfTests: json.numberOfTests, tests: json.testGroups.flatMap((g) => g.tests) };
}

describe('Wycheproof xchacha20_poly1305_test.json via xchachaSeal/xchachaOpen', () => {
  const { numberOfTests, tests } = load<AeadTest>('xchacha20_poly1305_test.json');
  it('holds every test', () => {
    expect(tests.length).toBe(numberOfTests);
    expect(tests.length).toBe(315);
  });
  it.each(tests.map((t) => [t.tcId, t.result, t] as const))('tc %i (%s)', (_id, _r, t) => {
    const [key, iv, aad, msg, ct, tag] = [t.key, t.iv, t.aad, t.msg, t.ct, t.tag].map(fromHex) as [
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
    ];
    const sealed = concat(ct, tag);
    if (t.result === 'valid') {
      expect(toHex(xchachaSeal(key, iv, aad, msg))).toBe(toHex(sealed));
      expect(toHex(xchachaOpen(key, iv, aad, sealed))).toBe(t.msg);
    } else if (t.flags.includes('InvalidNonceSize')) {
      expect(() => xchachaSeal(key, iv, aad, msg)).toThrow(MalformedError);
      expect(() => xchachaOpen(key, iv, aad, sealed)).toThrow(MalformedError);
    } else {
      expect(() => xchachaOpen(key, iv, aad, sealed)).toThrow(DecryptError);
    }
  });
});

describe('Wycheproof hkdf_sha256_test.json via hkdfSha256', () => {
  const { numberOfTests, tests } = load<HkdfTest>('hkdf_sha256_test.json');
  it('holds every test', () => {
    expect(tests.length).toBe(numberOfTests);
    expect(tests.length).toBe(86);
  });
  it.each(tests.map((t) => [t.tcId, t.result, t] as const))('tc %i (%s)', (_id, _r, t) => {
    const run = () => hkdfSha256(fromHex(t.ikm), fromHex(t.salt), fromHex(t.info), t.size);
    if (t.result === 'valid') expect(toHex(run())).toBe(t.okm);
    else expect(run).toThrow(LimitExceededError);
  });
});

describe('Wycheproof chacha20_poly1305_test.json via @noble/ciphers (bonus)', () => {
  const { numberOfTests, tests } = load<AeadTest>('chacha20_poly1305_test.json');
  it('holds every test', () => {
    expect(tests.length).toBe(numberOfTests);
    expect(tests.length).toBe(325);
  });
  it.each(tests.map((t) => [t.tcId, t.result, t] as const))('tc %i (%s)', (_id, _r, t) => {
    const [key, iv, aad, msg, ct, tag] = [t.key, t.iv, t.aad, t.msg, t.ct, t.tag].map(fromHex) as [
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
    ];
    const sealed = concat(ct, tag);
    if (t.result === 'valid') {
      expect(toHex(chacha20poly1305(key, iv, aad).encrypt(msg))).toBe(toHex(sealed));
      expect(toHex(chacha20poly1305(key, iv, aad).decrypt(sealed))).toBe(t.msg);
    } else {
      expect(() => chacha20poly1305(key, iv, aad).decrypt(sealed)).toThrow();
    }
  });
});

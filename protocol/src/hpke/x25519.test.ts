import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes';
import { MalformedError } from '../errors';
import { x25519Dh } from './dhkem-x25519';
import { importX25519PrivateKey, webCryptoX25519, webCryptoX25519Dh } from './x25519-webcrypto';

interface Case {
  tcId: number;
  flags: string[];
  public: string;
  private: string;
  shared: string;
  result: 'valid' | 'acceptable' | 'invalid';
}

const file = JSON.parse(
  readFileSync(
    new URL('../../../../shared/vectors/primitives/wycheproof/x25519_test.json', import.meta.url),
    'utf8',
  ),
) as { testGroups: { tests: Case[] }[] };
const cases = file.testGroups.flatMap((g) => g.tests);

describe('X25519 against Wycheproof x25519_test.json', () => {
  it('covers all 518 cases', () => {
    expect(cases).toHaveLength(518);
  });

  it('valid cases give the expected shared secret', () => {
    const valid = cases.filter((c) => c.result === 'valid');
    for (const c of valid)
      expect(toHex(x25519Dh(fromHex(c.private), fromHex(c.public))), `tcId ${c.tcId}`).toBe(
        c.shared,
      );
    expect(valid.length).toBeGreaterThan(250);
  });

  it('refuses every zero-shared-secret / low-order case with MalformedError (RFC 9180 §7.1.4)', () => {
    const zero = cases.filter((c) => c.flags.includes('ZeroSharedSecret'));
    expect(zero.length).toBeGreaterThan(0);
    for (const c of zero) {
      expect(() => x25519Dh(fromHex(c.private), fromHex(c.public)), `tcId ${c.tcId}`).toThrow(
        MalformedError,
      );
    }
  });

  it('other acceptable cases either match or are refused, never a wrong value', () => {
    const rest = cases.filter(
      (c) => c.result === 'acceptable' && !c.flags.includes('ZeroSharedSecret'),
    );
    for (const c of rest) {
      try {
        expect(toHex(x25519Dh(fromHex(c.private), fromHex(c.public))), `tcId ${c.tcId}`).toBe(
          c.shared,
        );
      } catch (e) {
        expect(e).toBeInstanceOf(MalformedError);
      }
    }
  });
});

describe('X25519 through WebCrypto against the same Wycheproof cases', () => {
  it('is available on Node 20 (so the fast path is the one measured and shipped)', async () => {
    expect(await webCryptoX25519()).toBe(true);
  });

  it('valid cases give the expected shared secret', async () => {
    for (const c of cases.filter((x) => x.result === 'valid')) {
      const sk = await importX25519PrivateKey(fromHex(c.private));
      expect(toHex(await webCryptoX25519Dh(sk, fromHex(c.public))), `tcId ${c.tcId}`).toBe(
        c.shared,
      );
    }
  });

  it('imports private keys as non-extractable: no JWK or PKCS#8 copy can be made (issue 13)', async () => {
    const sk = await importX25519PrivateKey(fromHex(cases[0]!.private));
    expect(sk.extractable).toBe(false);
    expect(sk.usages).toEqual(['deriveBits']);
    await expect(crypto.subtle.exportKey('jwk', sk)).rejects.toThrow();
    await expect(crypto.subtle.exportKey('pkcs8', sk)).rejects.toThrow();
  });

  it('refuses every zero-shared-secret case with MalformedError', async () => {
    for (const c of cases.filter((x) => x.flags.includes('ZeroSharedSecret'))) {
      await expect(
        webCryptoX25519Dh(await importX25519PrivateKey(fromHex(c.private)), fromHex(c.public)),
        `tcId ${c.tcId}`,
      ).rejects.toThrow(MalformedError);
    }
  });

  it('other acceptable cases either match or are refused, never a wrong value', async () => {
    for (const c of cases.filter(
      (x) => x.result === 'acceptable' && !x.flags.includes('ZeroSharedSecret'),
    )) {
      try {
        const sk = await importX25519PrivateKey(fromHex(c.private));
        expect(toHex(await webCryptoX25519Dh(sk, fromHex(c.public)))).toBe(c.shared);
      } catch (e) {
        expect(e).toBeInstanceOf(MalformedError);
      }
    }
  });
});

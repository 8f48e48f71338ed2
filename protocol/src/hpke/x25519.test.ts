import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes';
import { MalformedError } from '../errors';
import { x25519Dh } from './dhkem';

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

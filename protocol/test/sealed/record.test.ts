/**
 * Sealed history records: layout pinned against an independent construction,
 * and every way to misuse a sealed record (swap, replay under another
 * id/type/schema version, bit flip, truncation, extension, wrong key,
 * unknown version) fails with DecryptError.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { concat, fromHex, toHex, utf8 } from '../../src/bytes';
import { ConfigurationError, DecryptError, MalformedError } from '../../src/errors';
import {
  openJson,
  openRecord,
  type RecordMeta,
  recordAad,
  SEALED_RECORD_OVERHEAD_BYTES,
  sealJson,
  sealRecord,
} from '../../src/sealed';

const key = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
const otherKey = fromHex('ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
const nonce = fromHex('404142434445464748494a4b4c4d4e4f5051525354555657');
const fixed = (n: number) => nonce.slice(0, n);
const meta: RecordMeta = { id: 'conv-1', type: 'conversation', schemaVersion: 1 };
const plaintext = utf8('{"title":"hello"}');

function expectDecryptError(f: () => unknown): void {
  expect(f).toThrow(DecryptError);
}

describe('sealed record layout (version 1)', () => {
  it('matches an independent construction byte for byte', () => {
    // AAD = lp("sotto/record") || lp(0x01) || lp(id) || lp(type) || u32be(schemaVersion)
    const aad = fromHex(
      `0000000c${toHex(utf8('sotto/record'))}` +
        '0000000101' +
        `00000006${toHex(utf8('conv-1'))}` +
        `0000000c${toHex(utf8('conversation'))}` +
        '00000001',
    );
    expect(toHex(recordAad(meta))).toBe(toHex(aad));
    const expected = concat(
      Uint8Array.of(1),
      nonce,
      xchacha20poly1305(key, nonce, aad).encrypt(plaintext),
    );
    const sealed = sealRecord(key, meta, plaintext, { random: fixed });
    expect(toHex(sealed)).toBe(toHex(expected));
    expect(sealed.length).toBe(plaintext.length + SEALED_RECORD_OVERHEAD_BYTES);
    expect(openRecord(key, meta, sealed)).toEqual(plaintext);
  });

  it('uses a fresh random nonce for every record', () => {
    const a = sealRecord(key, meta, plaintext);
    const b = sealRecord(key, meta, plaintext);
    expect(toHex(a.subarray(1, 25))).not.toBe(toHex(b.subarray(1, 25)));
    expect(openRecord(key, meta, a)).toEqual(openRecord(key, meta, b));
  });

  it('length-prefixes so ("ab","c") and ("a","bc") differ', () => {
    const a = recordAad({ id: 'ab', type: 'c', schemaVersion: 1 });
    const b = recordAad({ id: 'a', type: 'bc', schemaVersion: 1 });
    expect(toHex(a)).not.toBe(toHex(b));
    const sealed = sealRecord(key, { id: 'ab', type: 'c', schemaVersion: 1 }, plaintext);
    expectDecryptError(() => openRecord(key, { id: 'a', type: 'bc', schemaVersion: 1 }, sealed));
  });

  it('JSON helpers round-trip', () => {
    const value = { title: 'hi', messages: [{ role: 'user', content: 'x' }], n: 3 };
    expect(openJson(key, meta, sealJson(key, meta, value))).toEqual(value);
    expect(() => sealJson(key, meta, undefined)).toThrow(MalformedError);
    expect(() => sealJson(key, meta, 10n)).toThrow(MalformedError);
    const notJson = sealRecord(key, meta, utf8('{nope'));
    expect(() => openJson(key, meta, notJson)).toThrow(MalformedError);
  });
});

describe('hostile sealed records', () => {
  const sealed = sealRecord(key, meta, plaintext);

  it('swapping two records fails', () => {
    const metaB: RecordMeta = { id: 'conv-2', type: 'conversation', schemaVersion: 1 };
    const sealedB = sealRecord(key, metaB, utf8('other'));
    expectDecryptError(() => openRecord(key, meta, sealedB));
    expectDecryptError(() => openRecord(key, metaB, sealed));
  });

  it.each<[string, RecordMeta]>([
    ['another id', { ...meta, id: 'conv-2' }],
    ['an id differing in case', { ...meta, id: 'Conv-1' }],
    ['another type', { ...meta, type: 'settings' }],
    ['another schema version', { ...meta, schemaVersion: 2 }],
    ['schema version 0', { ...meta, schemaVersion: 0 }],
    ['id with a trailing NUL', { ...meta, id: 'conv-1\0' }],
  ])('replay under %s fails', (_n, m) => {
    expectDecryptError(() => openRecord(key, m, sealed));
  });

  it('a wrong vault key fails', () => {
    expectDecryptError(() => openRecord(otherKey, meta, sealed));
  });

  it('every single-bit flip fails', () => {
    let n = 0;
    for (let i = 0; i < sealed.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const t = sealed.slice();
        t[i]! ^= 1 << bit;
        expectDecryptError(() => openRecord(key, meta, t));
        n++;
      }
    }
    expect(n).toBe(sealed.length * 8);
  });

  it('every truncation fails, and so does an extension', () => {
    for (let len = 0; len < sealed.length; len++) {
      expectDecryptError(() => openRecord(key, meta, sealed.subarray(0, len)));
    }
    expectDecryptError(() => openRecord(key, meta, concat(sealed, Uint8Array.of(0))));
  });

  it('an unknown version byte fails', () => {
    for (const v of [0x00, 0x02, 0xff]) {
      const t = sealed.slice();
      t[0] = v;
      expectDecryptError(() => openRecord(key, meta, t));
    }
  });

  it.each<[string, () => unknown]>([
    ['a 31-byte key', () => openRecord(key.subarray(1), meta, sealed)],
    ['an empty id', () => openRecord(key, { ...meta, id: '' }, sealed)],
    ['a negative schema version', () => openRecord(key, { ...meta, schemaVersion: -1 }, sealed)],
    ['a fractional schema version', () => openRecord(key, { ...meta, schemaVersion: 1.5 }, sealed)],
    ['a lone surrogate in the type', () => openRecord(key, { ...meta, type: 'a\uD800' }, sealed)],
    ['not bytes', () => openRecord(key, meta, 'x' as unknown as Uint8Array)],
  ])('opening with %s fails with DecryptError', (_n, f) => {
    expectDecryptError(f);
  });

  it.each<[string, () => unknown]>([
    ['a 16-byte key', () => sealRecord(key.subarray(16), meta, plaintext)],
    ['an empty type', () => sealRecord(key, { ...meta, type: '' }, plaintext)],
    ['a lone surrogate in the id', () => sealRecord(key, { ...meta, id: '\uDC00' }, plaintext)],
    ['schema version 2^32', () => sealRecord(key, { ...meta, schemaVersion: 2 ** 32 }, plaintext)],
  ])('sealing with %s fails with MalformedError', (_n, f) => {
    expect(f).toThrow(MalformedError);
  });

  it('error messages carry no plaintext or key bytes', () => {
    try {
      openRecord(otherKey, meta, sealed);
    } catch (e) {
      const text = `${(e as Error).message} ${String((e as Error).cause)}`;
      expect(text).not.toContain('hello');
      expect(text).not.toContain(toHex(key).slice(0, 8));
      expect(text).not.toContain(toHex(otherKey).slice(0, 8));
    }
  });
});

describe('test-only randomness', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('is refused outside a test runner', () => {
    vi.stubEnv('VITEST', '');
    expect(() => sealRecord(key, meta, plaintext, { random: fixed })).toThrow(ConfigurationError);
    // Without the hook, sealing still works.
    expect(openRecord(key, meta, sealRecord(key, meta, plaintext))).toEqual(plaintext);
  });

  it('must return the length asked for', () => {
    expect(() => sealRecord(key, meta, plaintext, { random: () => new Uint8Array(3) })).toThrow(
      ConfigurationError,
    );
  });
});

describe('sealed record properties', () => {
  const metaArb = fc.record({
    id: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
    type: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
    schemaVersion: fc.nat(2 ** 32 - 1),
  });

  it('round-trips any record, and fails under any other metadata', () => {
    fc.assert(
      fc.property(metaArb, metaArb, fc.uint8Array({ maxLength: 256 }), (m, other, pt) => {
        const s = sealRecord(key, m, pt);
        expect(openRecord(key, m, s)).toEqual(pt);
        const same =
          m.id === other.id && m.type === other.type && m.schemaVersion === other.schemaVersion;
        if (!same) expectDecryptError(() => openRecord(key, other, s));
      }),
      { numRuns: 300 },
    );
  });

  it('any corruption fails with DecryptError', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (pt, at, x) => {
          const s = sealRecord(key, meta, pt);
          s[at % s.length]! ^= x;
          expectDecryptError(() => openRecord(key, meta, s));
        },
      ),
      { numRuns: 300 },
    );
  });
});

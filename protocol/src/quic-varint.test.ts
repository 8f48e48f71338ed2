import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from './bytes';
import { LimitExceededError, MalformedError } from './errors';
import { decodeVarint, encodeVarint, tryDecodeVarint, VARINT_MAX, varintSize } from './quic-varint';

describe('QUIC varint (RFC 9000 §16)', () => {
  // RFC 9000 Appendix A.1 sample encodings.
  const samples: [string, bigint][] = [
    ['c2197c5eff14e88c', 151288809941952652n],
    ['9d7f3e7d', 494878333n],
    ['7bbd', 15293n],
    ['25', 37n],
  ];

  it.each(samples)('encodes and decodes %s', (hex, value) => {
    expect(toHex(encodeVarint(value))).toBe(hex);
    if (value <= BigInt(Number.MAX_SAFE_INTEGER)) {
      expect(decodeVarint(fromHex(hex), 0)).toEqual({
        value: Number(value),
        length: hex.length / 2,
      });
    }
  });

  it('accepts the non-minimal two-byte encoding of 37 (RFC 9000 A.1)', () => {
    expect(decodeVarint(fromHex('4025'), 0)).toEqual({ value: 37, length: 2 });
  });

  it('refuses values above Number.MAX_SAFE_INTEGER when decoding', () => {
    expect(() => decodeVarint(fromHex('c2197c5eff14e88c'), 0)).toThrow(LimitExceededError);
    expect(() => decodeVarint(encodeVarint(VARINT_MAX), 0)).toThrow(LimitExceededError);
  });

  it('decodes Number.MAX_SAFE_INTEGER exactly', () => {
    const enc = encodeVarint(Number.MAX_SAFE_INTEGER);
    expect(enc.length).toBe(8);
    expect(decodeVarint(enc, 0).value).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('refuses truncated input and bad offsets with MalformedError', () => {
    expect(() => decodeVarint(new Uint8Array(0), 0)).toThrow(MalformedError);
    expect(() => decodeVarint(fromHex('9d7f3e'), 0)).toThrow(MalformedError);
    expect(() => decodeVarint(fromHex('25'), 1)).toThrow(MalformedError);
    expect(() => decodeVarint(fromHex('25'), -1)).toThrow(MalformedError);
    expect(tryDecodeVarint(fromHex('9d7f3e'), 0)).toBeUndefined();
    expect(tryDecodeVarint(fromHex('9d7f3e7d'), 0)).toEqual({ value: 494878333, length: 4 });
  });

  it('refuses out-of-range values when encoding', () => {
    expect(() => encodeVarint(-1)).toThrow(LimitExceededError);
    expect(() => encodeVarint(1.5)).toThrow(LimitExceededError);
    expect(() => encodeVarint(VARINT_MAX + 1n)).toThrow(LimitExceededError);
    expect(() => varintSize(2 ** 60 * 8)).toThrow(LimitExceededError);
  });

  it('sizes at the boundaries', () => {
    expect([63, 64, 16383, 16384, 2 ** 30 - 1, 2 ** 30].map((n) => varintSize(n))).toEqual([
      1, 2, 2, 4, 4, 8,
    ]);
  });

  it('round-trips any safe integer at any offset', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.uint8Array({ maxLength: 4 }),
        (n, pre) => {
          const enc = encodeVarint(n);
          const buf = new Uint8Array(pre.length + enc.length);
          buf.set(pre);
          buf.set(enc, pre.length);
          expect(decodeVarint(buf, pre.length)).toEqual({ value: n, length: varintSize(n) });
        },
      ),
    );
  });
});

/**
 * QUIC variable-length integers, RFC 9000 §16, as used by Binary HTTP
 * (RFC 9292 §3) and chunked Oblivious HTTP (draft-ietf-ohai-chunked-ohttp §3).
 *
 * The two most significant bits of the first byte give the length:
 * 00 → 1 byte (6 bits), 01 → 2 bytes (14 bits), 10 → 4 bytes (30 bits),
 * 11 → 8 bytes (62 bits). Encoding always picks the shortest form; decoding
 * accepts non-minimal forms, as RFC 9000 §16 permits.
 *
 * Browser-safe: no `node:` imports.
 */

import { LimitExceededError, MalformedError } from './errors';

/** Largest value a varint can carry: 2^62 - 1. */
export const VARINT_MAX = (1n << 62n) - 1n;

/**
 * Number of bytes the minimal encoding of `n` takes (1, 2, 4 or 8).
 * @throws {LimitExceededError} if `n` is negative, not an integer, or above 2^62 - 1.
 */
export function varintSize(n: number | bigint): 1 | 2 | 4 | 8 {
  const v = checkValue(n);
  if (v < 0x40n) return 1;
  if (v < 0x4000n) return 2;
  if (v < 0x4000_0000n) return 4;
  return 8;
}

/**
 * Encodes `n` in its minimal RFC 9000 §16 form.
 * @throws {LimitExceededError} if `n` is negative, not an integer, or above 2^62 - 1.
 */
export function encodeVarint(n: number | bigint): Uint8Array {
  const v = checkValue(n);
  const size = varintSize(v);
  const out = new Uint8Array(size);
  let rest = v;
  for (let i = size - 1; i >= 0; i--) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  // RFC 9000 §16: length prefix in the two most significant bits.
  const prefix = size === 1 ? 0x00 : size === 2 ? 0x40 : size === 4 ? 0x80 : 0xc0;
  out[0] = out[0]! | prefix;
  return out;
}

/**
 * Decodes one varint at `offset`. Non-minimal encodings are accepted.
 * @returns the value and the number of bytes it took.
 * @throws {MalformedError} if `offset` is out of range or the varint runs past the end of `buf`.
 * @throws {LimitExceededError} if the value exceeds `Number.MAX_SAFE_INTEGER`.
 */
export function decodeVarint(buf: Uint8Array, offset: number): { value: number; length: number } {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset >= buf.length) {
    throw new MalformedError('varint: truncated input');
  }
  const first = buf[offset]!;
  const length = 1 << (first >> 6);
  if (offset + length > buf.length) throw new MalformedError('varint: truncated input');
  if (length <= 4) {
    let value = first & 0x3f;
    for (let i = 1; i < length; i++) value = value * 256 + buf[offset + i]!;
    return { value, length };
  }
  let big = BigInt(first & 0x3f);
  for (let i = 1; i < 8; i++) big = (big << 8n) | BigInt(buf[offset + i]!);
  if (big > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new LimitExceededError('varint: value exceeds the safe integer range');
  }
  return { value: Number(big), length };
}

/**
 * Like {@link decodeVarint} but returns `undefined` when `buf` ends before the
 * varint does, so stream parsers can wait for more bytes.
 * @throws {LimitExceededError} if the value exceeds `Number.MAX_SAFE_INTEGER`.
 */
export function tryDecodeVarint(
  buf: Uint8Array,
  offset: number,
): { value: number; length: number } | undefined {
  if (offset >= buf.length) return undefined;
  const length = 1 << (buf[offset]! >> 6);
  if (offset + length > buf.length) return undefined;
  return decodeVarint(buf, offset);
}

function checkValue(n: number | bigint): bigint {
  if (typeof n === 'number' && !Number.isSafeInteger(n)) {
    throw new LimitExceededError('varint: value is not a safe integer');
  }
  const v = BigInt(n);
  if (v < 0n || v > VARINT_MAX) throw new LimitExceededError('varint: value out of range');
  return v;
}

/**
 * Canonical, unambiguous byte strings for associated data: every item is a
 * 4-byte big-endian length followed by its bytes, so ("ab","c") and
 * ("a","bc") never collide, and strings must be well-formed Unicode so no
 * two distinct strings share a UTF-8 encoding.
 */

import { concat, utf8 } from '../bytes';
import { MalformedError } from '../errors';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** 4-byte big-endian unsigned integer. @throws {MalformedError} out of range. */
export function u32be(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff)
    throw new MalformedError('u32 out of range');
  return new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}

/** u32be(len) || bytes, for each item in order. */
export function lengthPrefixed(...items: readonly Uint8Array[]): Uint8Array {
  return concat(...items.flatMap((b) => [u32be(b.length), b]));
}

/**
 * UTF-8 of a string that must be well-formed (no lone surrogates, which
 * UTF-8 would turn into U+FFFD and so make two names one).
 * @throws {MalformedError}
 */
export function strictUtf8(s: string, what: string): Uint8Array {
  if (typeof s !== 'string' || LONE_SURROGATE.test(s)) {
    throw new MalformedError(`${what}: not well-formed text`);
  }
  return utf8(s);
}

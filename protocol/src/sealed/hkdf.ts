/**
 * HKDF-SHA256 (RFC 5869) from @noble/hashes, with the output-length bound of
 * RFC 5869 §2.3 (L <= 255 * HashLen) checked here as a typed error.
 */

import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { LimitExceededError } from '../errors';

/** RFC 5869 §2.3: 255 * 32. */
export const HKDF_SHA256_MAX_BYTES = 255 * 32;

/**
 * HKDF-Extract then HKDF-Expand (RFC 5869 §2.2, §2.3). An empty salt means
 * HashLen zero bytes (RFC 5869 §2.2).
 * @throws {LimitExceededError} `length` negative, fractional or over 8160.
 */
export function hkdfSha256(
  ikm: Uint8Array,
  salt: Uint8Array,
  info: Uint8Array,
  length: number,
): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0 || length > HKDF_SHA256_MAX_BYTES) {
    throw new LimitExceededError('hkdf-sha256: output length out of range');
  }
  if (length === 0) return new Uint8Array(0);
  return hkdf(sha256, ikm, salt, info, length);
}

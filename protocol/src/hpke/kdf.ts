/**
 * HKDF-SHA256 (RFC 5869) with HPKE's labelled wrappers, RFC 9180 §4.
 * Built on @noble/hashes.
 */

import { expand, extract } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concat, u16be, utf8 } from '../bytes';
import { LimitExceededError } from '../errors';

const HPKE_V1 = utf8('HPKE-v1');
/** Nh for HKDF-SHA256. */
export const HASH_BYTES = 32;

/** HKDF-Extract(salt, ikm). */
export function hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return extract(sha256, ikm, salt);
}

/**
 * HKDF-Expand(prk, info, length).
 * @throws {LimitExceededError} if `length` is over 255 * Nh.
 */
export function hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0 || length > 255 * HASH_BYTES) {
    throw new LimitExceededError('HKDF-Expand: requested length out of range');
  }
  return expand(sha256, prk, info, length);
}

/** LabeledExtract(salt, label, ikm), RFC 9180 §4. */
export function labeledExtract(
  suiteId: Uint8Array,
  salt: Uint8Array,
  label: string,
  ikm: Uint8Array,
): Uint8Array {
  return hkdfExtract(salt, concat(HPKE_V1, suiteId, utf8(label), ikm));
}

/**
 * LabeledExpand(prk, label, info, L), RFC 9180 §4.
 * @throws {LimitExceededError} if `length` is over 255 * Nh (or 65535).
 */
export function labeledExpand(
  suiteId: Uint8Array,
  prk: Uint8Array,
  label: string,
  info: Uint8Array,
  length: number,
): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0 || length > 0xffff) {
    throw new LimitExceededError('LabeledExpand: requested length out of range');
  }
  return hkdfExpand(prk, concat(u16be(length), HPKE_V1, suiteId, utf8(label), info), length);
}

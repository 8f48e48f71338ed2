/**
 * Bounds every Binary HTTP (RFC 9292) decoder enforces before it reads or
 * allocates anything an attacker-chosen length names (RFC 9292 §8 asks
 * recipients to limit what they accept).
 */

import { ConfigurationError } from '../errors';

export interface BhttpLimits {
  /** Encoded bytes of one field section (length prefixes included). */
  maxFieldSectionBytes: number;
  /** Field lines in one field section. */
  maxFields: number;
  /** Content bytes of one message, summed over all chunks. */
  maxContentBytes: number;
  /** Informational (1xx) responses before the final response. */
  maxInformational: number;
  /** Bytes of each request control data item (method, scheme, authority, path). */
  maxControlDataBytes: number;
}

export const DEFAULT_BHTTP_LIMITS: Readonly<BhttpLimits> = Object.freeze({
  maxFieldSectionBytes: 64 * 1024,
  maxFields: 256,
  maxContentBytes: 16 * 1024 * 1024,
  maxInformational: 16,
  maxControlDataBytes: 16 * 1024,
});

/**
 * Merges caller overrides onto the defaults.
 * @throws {ConfigurationError} if a limit is not a non-negative safe integer.
 */
export function resolveLimits(overrides?: Partial<BhttpLimits>): BhttpLimits {
  const limits = { ...DEFAULT_BHTTP_LIMITS, ...overrides };
  for (const [k, v] of Object.entries(limits)) {
    if (!Number.isSafeInteger(v) || v < 0)
      throw new ConfigurationError(`bhttp: invalid limit ${k}`);
  }
  return limits;
}

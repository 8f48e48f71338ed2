/**
 * Randomness for sealed formats: the platform CSPRNG (WebCrypto
 * `getRandomValues`, through @noble/ciphers). A test may pass its own source
 * to fix nonces and salts; that hook refuses to work outside a test runner
 * (the same guard as HPKE's fixed ephemeral keys).
 */

import { randomBytes } from '@noble/ciphers/utils.js';
import { isBytes } from '../bytes';
import { ConfigurationError } from '../errors';
import { assertTestOnly } from '../hpke/test-only';

/** Returns `length` random bytes. */
export type RandomSource = (length: number) => Uint8Array;

/**
 * The source to use: the CSPRNG, or (in tests only) the one given.
 * @throws {ConfigurationError} a source was given outside a test runner.
 */
export function randomSource(testOnly?: RandomSource): RandomSource {
  if (!testOnly) return (n) => randomBytes(n);
  assertTestOnly('sealed: injected randomness');
  return (n) => {
    const b = testOnly(n);
    if (!isBytes(b) || b.length !== n) {
      throw new ConfigurationError('sealed: random source gave the wrong length');
    }
    return b;
  };
}

/**
 * Guard for test-only parameters (fixed ephemeral keys, fixed response
 * nonces). They make vectors reproducible and must never work in production:
 * a fixed ephemeral key destroys forward secrecy and a fixed nonce reuses
 * keystream. Works in Node, browsers and MV3 service workers (no `process`
 * there, hence the `typeof` guard).
 */

import { ConfigurationError } from '../errors';

declare global {
  var __SOTTO_TEST__: boolean | undefined;
}

/** True only under Vitest (`process.env.VITEST`) or when a test harness set `globalThis.__SOTTO_TEST__ = true`. */
export function inTestEnvironment(): boolean {
  if (globalThis.__SOTTO_TEST__ === true) return true;
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return (
    typeof proc === 'object' &&
    proc !== null &&
    typeof proc.env?.VITEST === 'string' &&
    proc.env.VITEST !== ''
  );
}

/**
 * Throws unless running under a test harness.
 * @throws {ConfigurationError} outside tests.
 */
export function assertTestOnly(what: string): void {
  if (!inTestEnvironment()) {
    throw new ConfigurationError(`${what} is a test-only parameter and is refused outside tests`);
  }
}

/**
 * Readers for the evidence bundle's JSON (`bundle.ts`, `bundle-v2.ts`, `collateral.ts`):
 * each field is checked for its type and bounded in length before anything else reads it.
 */
import { LimitExceededError, MalformedError } from '../errors';

/** @throws MalformedError unless `v` is a plain JSON object. */
export function object(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new MalformedError(`evidence ${what} is not an object`);
  }
  return v as Record<string, unknown>;
}

/** @throws MalformedError (not a string), LimitExceededError (longer than `max`). */
export function field(o: Record<string, unknown>, key: string, max = 16 * 1024): string {
  const v = o[key];
  if (typeof v !== 'string') throw new MalformedError(`evidence field "${key}" is missing`);
  if (v.length > max) throw new LimitExceededError(`evidence field "${key}" is too long`);
  return v;
}

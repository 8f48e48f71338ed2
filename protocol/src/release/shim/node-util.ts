/**
 * Browser stand-in for `util.isDeepStrictEqual`, the one `util` function @sigstore/verify
 * calls (verifier.js: duplicate timestamps). Compares what those timestamps hold: Dates,
 * byte arrays, arrays and plain objects. Aliased in for browser targets only.
 */
export function isDeepStrictEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (a instanceof Date) return a.getTime() === (b as Date).getTime();
  if (a instanceof Uint8Array) {
    const c = b as Uint8Array;
    return a.length === c.length && a.every((x, i) => x === c[i]);
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) =>
    isDeepStrictEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}

export default { isDeepStrictEqual };

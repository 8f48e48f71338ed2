/**
 * @peculiar/x509 pulls in tsyringe, which insists on a Reflect-metadata API at load. The
 * x509 generator never injects by constructor metadata, so a store-only stand-in is
 * enough for tests. Import this before @peculiar/x509.
 */
const store = new WeakMap<object, Map<unknown, unknown>>();
const R = Reflect as unknown as Record<string, unknown>;
if (typeof R.getMetadata !== 'function') {
  R.defineMetadata = (key: unknown, value: unknown, target: object) => {
    const m = store.get(target) ?? new Map();
    m.set(key, value);
    store.set(target, m);
  };
  R.getMetadata = (key: unknown, target: object) => store.get(target)?.get(key);
  R.getOwnMetadata = R.getMetadata;
  R.hasMetadata = (key: unknown, target: object) => store.get(target)?.has(key) ?? false;
  R.metadata = (key: unknown, value: unknown) => (target: object) =>
    (R.defineMetadata as (k: unknown, v: unknown, t: object) => void)(key, value, target);
}
export {};

/**
 * The one interface the sync store's queries run through, so the same SQL
 * (PostgreSQL dialect, `$1` parameters) runs on both engines: PGlite embedded
 * (`engine-pglite.ts`, PostgreSQL compiled to WebAssembly) and a PostgreSQL
 * server (`engine-postgres.ts`, `pg`). Rows come back with `bytea` as
 * Uint8Array and `bigint` as number on both.
 */

export type SqlValue = string | number | boolean | Uint8Array | null;
export type Row = Record<string, unknown>;

export interface Sql {
  /** Runs one statement with `$n` parameters; returns its rows. */
  query<T extends Row = Row>(text: string, params?: readonly SqlValue[]): Promise<T[]>;
}

export interface SqlEngine extends Sql {
  /** Which engine this is, for the startup line. */
  readonly kind: 'embedded' | 'postgres';
  /** Runs `fn` in one transaction (BEGIN … COMMIT, ROLLBACK on a throw). */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The value of a `bigint` column as a number (pg gives strings, PGlite numbers). */
export function int(v: unknown): number {
  const n = typeof v === 'string' ? Number(v) : (v as number);
  if (!Number.isSafeInteger(n)) throw new Error('sync store: integer column out of range');
  return n;
}

/** The value of a `bytea` column as a Uint8Array (pg gives Buffers). */
export function bytes(v: unknown): Uint8Array | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Uint8Array) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  throw new Error('sync store: bytea column has an unexpected type');
}

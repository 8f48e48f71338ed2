/**
 * Versioned schema migrations, run at start on both engines. Each version runs
 * once, in one transaction, under an advisory lock so that two sync processes
 * starting against one PostgreSQL do not race; `sync_schema` records what ran.
 * A database newer than this build is refused (fail closed).
 *
 * What the server keeps (and so what it learns): an account's public key; per
 * record an opaque client-chosen id, a revision, the sealed bytes and a change
 * number; used request nonces until they expire; pairing slots for ten minutes;
 * whether the account was retired, and the sealed handovers it left (random
 * device ids and ciphertext).
 * No clock times of writes, no client addresses, no plaintext.
 */
import type { SqlEngine } from './sql';

export interface Migration {
  readonly version: number;
  readonly statements: readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE sync_accounts (
         account_id text PRIMARY KEY,
         last_change bigint NOT NULL DEFAULT 0,
         record_count bigint NOT NULL DEFAULT 0
       )`,
      `CREATE TABLE sync_records (
         account_id text NOT NULL REFERENCES sync_accounts (account_id),
         record_id text NOT NULL,
         revision bigint NOT NULL,
         body bytea,
         change bigint NOT NULL,
         PRIMARY KEY (account_id, record_id)
       )`,
      `CREATE INDEX sync_records_by_change ON sync_records (account_id, change)`,
      `CREATE TABLE sync_nonces (
         account_id text NOT NULL,
         nonce text NOT NULL,
         expires_at bigint NOT NULL,
         PRIMARY KEY (account_id, nonce)
       )`,
      `CREATE INDEX sync_nonces_by_expiry ON sync_nonces (expires_at)`,
      `CREATE TABLE sync_pairings (
         code text PRIMARY KEY,
         public_key bytea NOT NULL,
         account_id text,
         commitment bytea,
         nonce bytea,
         enc bytea,
         payload bytea,
         expires_at bigint NOT NULL
       )`,
    ],
  },
  {
    // Device removal (issue 14): a retired account refuses every signed request; the
    // handovers it leaves are sealed to the devices that stay (protocol/src/sync/devices.ts).
    version: 2,
    statements: [
      `ALTER TABLE sync_accounts ADD COLUMN retired boolean NOT NULL DEFAULT false`,
      `CREATE TABLE sync_handovers (
         account_id text NOT NULL REFERENCES sync_accounts (account_id),
         device_id text NOT NULL,
         body bytea NOT NULL,
         PRIMARY KEY (account_id, device_id)
       )`,
    ],
  },
];

/** Advisory lock key for migrations ("sotto-sync" as a number). */
const LOCK_KEY = 0x536f7474;

/** The schema version this build writes and reads. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Schema newer than this build: refuse to start rather than misread it. */
export class SchemaTooNewError extends Error {
  readonly code = 'CONFIGURATION' as const;
  constructor(found: number) {
    super(`sync database schema is version ${found}; this build knows up to ${SCHEMA_VERSION}`);
    this.name = 'SchemaTooNewError';
  }
}

/**
 * Brings the database to {@link SCHEMA_VERSION}. Returns the versions applied now.
 * @throws {SchemaTooNewError} the database was written by a newer build.
 */
export async function migrate(db: SqlEngine, migrations = MIGRATIONS): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
    await tx.query(
      'CREATE TABLE IF NOT EXISTS sync_schema (version integer PRIMARY KEY, applied boolean NOT NULL)',
    );
    const rows = await tx.query<{ version: number }>('SELECT version FROM sync_schema');
    const done = new Set(rows.map((r) => Number(r.version)));
    const newest = Math.max(0, ...done);
    const latest = migrations[migrations.length - 1]?.version ?? 0;
    if (newest > latest) throw new SchemaTooNewError(newest);
    const applied: number[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      for (const s of m.statements) await tx.query(s);
      await tx.query('INSERT INTO sync_schema (version, applied) VALUES ($1, true)', [m.version]);
      applied.push(m.version);
    }
    return applied;
  });
}

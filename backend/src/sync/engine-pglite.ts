/**
 * The embedded engine: PGlite (PostgreSQL 17 compiled to WebAssembly) with its
 * files under `SOTTO_DATA_DIR`, so `npm start` needs no database installed and
 * runs exactly the SQL that PostgreSQL runs. One process owns the directory.
 */
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { Row, Sql, SqlEngine, SqlValue } from './sql';

function wrap(db: { query: PGlite['query'] }): Sql {
  return {
    async query<T extends Row = Row>(text: string, params: readonly SqlValue[] = []) {
      const r = await db.query<T>(text, [...params]);
      return r.rows;
    },
  };
}

/** Opens (creating if needed) the embedded database in `dir`; `dir` undefined keeps it in memory. */
export async function openEmbedded(dir: string | undefined): Promise<SqlEngine> {
  if (dir !== undefined) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const db = await PGlite.create(dir);
  const sql = wrap(db);
  return {
    kind: 'embedded',
    query: sql.query,
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    close: () => db.close(),
  };
}

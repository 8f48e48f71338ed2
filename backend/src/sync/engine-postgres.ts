/**
 * The PostgreSQL engine (`DATABASE_URL`), through `pg`'s pool. Several sync
 * processes may share one database: every write is one transaction whose
 * conditions (`revision = $n`, write-once pairing fields, unique nonces) the
 * server checks, so they serialise there and not in any one process.
 */
import pg from 'pg';
import type { Row, Sql, SqlEngine, SqlValue } from './sql';

// bigint (int8) as a JS number; values are checked as safe integers where read.
pg.types.setTypeParser(20, (v) => Number(v));

type Queryable = { query: (text: string, params: unknown[]) => Promise<{ rows: unknown[] }> };

function wrap(client: Queryable): Sql {
  return {
    async query<T extends Row = Row>(text: string, params: readonly SqlValue[] = []) {
      const r = await client.query(text, [...params]);
      return r.rows as T[];
    },
  };
}

/** Connects a pool to `url`. The URL is never logged (it may hold a password). */
export async function openPostgres(
  url: string,
  options: { max?: number } = {},
): Promise<SqlEngine> {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10 });
  // An idle client's error (server restart) must not crash the process.
  pool.on('error', () => {});
  const probe = await pool.connect();
  probe.release();
  const sql = wrap(pool);
  return {
    kind: 'postgres',
    query: sql.query,
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const out = await fn(wrap(client));
        await client.query('COMMIT');
        return out;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => {});
        throw e;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

/**
 * The two engines every sync-store test runs against: embedded (PGlite in a
 * fresh temporary directory) and PostgreSQL (a fresh database per suite on the
 * server named by DATABASE_URL, else the local default). Without a reachable
 * PostgreSQL the PostgreSQL suite is skipped with a message, except under CI
 * (CI=true), where it fails: `.ci/run` starts one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const LOCAL_DATABASE_URL = 'postgres://sotto:sotto@127.0.0.1:5432/sotto';
const adminUrl = process.env.DATABASE_URL || LOCAL_DATABASE_URL;

async function reachable(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (e) {
    return (e as { code?: string }).code ?? 'unreachable';
  } finally {
    await client.end().catch(() => {});
  }
}

const problem = await reachable(adminUrl);
if (problem !== null) {
  if (process.env.CI === 'true') {
    throw new Error(`CI: no PostgreSQL at DATABASE_URL (${problem}); .ci/run must start one`);
  }
  console.warn(
    `sync tests: PostgreSQL suite SKIPPED — no server reachable (${problem}). ` +
      'Set DATABASE_URL or start a local server (see .ci/run).',
  );
}
/** True when the PostgreSQL suite can run. */
export const postgresAvailable = problem === null;

/** A place for one suite's data: environment for a sync process, and a cleanup. */
export interface StoreTarget {
  /** Variables that point a sync process (or `loadSyncConfig`) at this store. */
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

/** A fresh embedded store directory. */
export function embeddedTarget(): StoreTarget {
  const dir = mkdtempSync(join(tmpdir(), 'sotto-sync-'));
  return {
    env: { SOTTO_SYNC_DATA_DIR: dir },
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A fresh PostgreSQL database on the test server (dropped by `cleanup`). */
export async function postgresTarget(): Promise<StoreTarget> {
  const name = `sotto_sync_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    env: { DATABASE_URL: url.toString() },
    cleanup: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Both engines, for `describe.each`; the PostgreSQL one marked skipped when unavailable. */
export const ENGINES = [
  { engine: 'embedded', make: async () => embeddedTarget(), skip: false },
  { engine: 'postgres', make: postgresTarget, skip: !postgresAvailable },
] as const;

/**
 * A tampering server, on each store: a harness rewrites the sync tables behind
 * the real service (drop a message, swap two, roll a conversation back, replay
 * an old record, move a record to another id, drop a whole conversation), and
 * the client that had synced before refuses the next pull with the matching
 * IntegrityError. A control account, untouched, still pulls cleanly.
 *
 * PostgreSQL is rewritten while the service runs; the embedded store has one
 * owner, so the service is stopped, the files rewritten, and it is restarted.
 */
import { IntegrityError, type IntegrityFailure } from '@sotto/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbedded } from '../../backend/src/sync/engine-pglite';
import { openPostgres } from '../../backend/src/sync/engine-postgres';
import type { Sql } from '../../backend/src/sync/sql';
import { ENGINES, type StoreTarget } from '../../backend/test/support/sync-stores';
import { startSyncProcess, type SyncProcess } from '../support/sync-process';
import { TestDevice } from './devices';

type Case = {
  name: string;
  expected: IntegrityFailure;
  /** More history after the first three messages were synced (through the real service). */
  after?(d: TestDevice): Promise<void>;
  /** Rewrites the store behind the service. */
  tamper(sql: Sql, account: string, old: Map<string, Uint8Array>): Promise<void>;
};

const body = async (sql: Sql, account: string, id: string): Promise<Uint8Array> => {
  const rows = await sql.query<{ body: Uint8Array }>(
    'SELECT body FROM sync_records WHERE account_id = $1 AND record_id = $2',
    [account, id],
  );
  return rows[0]!.body;
};
const setBody = async (sql: Sql, account: string, id: string, b: Uint8Array): Promise<void> => {
  await sql.query('UPDATE sync_records SET body = $3 WHERE account_id = $1 AND record_id = $2', [
    account,
    id,
    b,
  ]);
};

async function threeMessages(d: TestDevice): Promise<void> {
  d.create('conv', 'Three', ['one', 'two', 'three']);
  await d.push('conv');
}

const CASES: Case[] = [
  {
    name: 'drops a message',
    expected: 'dropped',
    tamper: async (sql, account) => {
      await sql.query(
        `DELETE FROM sync_records WHERE account_id = $1 AND record_id LIKE 'm:conv:%' AND record_id = (
        SELECT min(record_id) FROM sync_records WHERE account_id = $1 AND record_id LIKE 'm:conv:%')`,
        [account],
      );
    },
  },
  {
    name: 'swaps two messages (reorder)',
    expected: 'reordered',
    tamper: async (sql, account) => {
      const ids = (
        await sql.query<{ record_id: string }>(
          "SELECT record_id FROM sync_records WHERE account_id = $1 AND record_id LIKE 'm:conv:%' ORDER BY record_id",
          [account],
        )
      ).map((r) => r.record_id);
      const [x, y] = [await body(sql, account, ids[0]!), await body(sql, account, ids[1]!)];
      await setBody(sql, account, ids[0]!, y);
      await setBody(sql, account, ids[1]!, x);
    },
  },
  {
    name: 'rolls a rename back',
    expected: 'rolled-back',
    after: async (d) => {
      d.rename('conv', 'Renamed');
      await d.push('conv');
    },
    tamper: async (sql, account, old) => setBody(sql, account, 'c:conv', old.get('c:conv')!),
  },
  {
    name: 'replays an old record after a deletion',
    expected: 'rolled-back',
    after: async (d) => {
      d.remove('conv');
      await d.push('conv');
    },
    tamper: async (sql, account, old) => setBody(sql, account, 'c:conv', old.get('c:conv')!),
  },
  {
    name: "serves another conversation's record under this id",
    expected: 'tampered',
    after: async (d) => {
      d.create('other', 'Other', ['x']);
      await d.push('other');
    },
    tamper: async (sql, account) =>
      setBody(sql, account, 'c:conv', await body(sql, account, 'c:other')),
  },
  {
    name: 'drops a whole conversation',
    expected: 'dropped',
    tamper: async (sql, account) => {
      await sql.query(
        "DELETE FROM sync_records WHERE account_id = $1 AND record_id LIKE '%conv%'",
        [account],
      );
    },
  },
];

describe.each(ENGINES)('a tampering $engine store is detected', ({ engine, make, skip }) => {
  let target: StoreTarget;
  let sync: SyncProcess;
  const devices = new Map<string, TestDevice>();
  const control = () => devices.get('control')!;
  /** The sealed manifest each account had after its first push (for rollbacks). */
  const firstManifests = new Map<string, Map<string, Uint8Array>>();

  async function withStore(f: (sql: Sql) => Promise<void>): Promise<void> {
    if (engine === 'postgres') {
      const db = await openPostgres(target.env.DATABASE_URL!, { max: 1 });
      await f(db).finally(() => db.close());
      return;
    }
    await sync.stop();
    const db = await openEmbedded(target.env.SOTTO_SYNC_DATA_DIR!);
    await f(db).finally(() => db.close());
    sync = await startSyncProcess(target.env);
    for (const d of devices.values()) d.reconnect(sync.url);
  }

  beforeAll(async () => {
    if (skip) return;
    target = await make();
    sync = await startSyncProcess(target.env);
    for (const c of [...CASES.map((x) => x.name), 'control']) {
      const d = new TestDevice(
        c.slice(0, 8).replace(/\W/g, 'x'),
        sync.url,
        crypto.getRandomValues(new Uint8Array(32)),
      );
      devices.set(c, d);
      await threeMessages(d);
      const mirrored = d.replica.state().records['c:conv']!;
      const first = Buffer.from('body' in mirrored ? mirrored.body! : '', 'base64url');
      firstManifests.set(c, new Map([['c:conv', new Uint8Array(first)]]));
      await CASES.find((x) => x.name === c)?.after?.(d);
      await d.pull(true);
    }
    await withStore(async (sql) => {
      for (const spec of CASES) {
        const d = devices.get(spec.name)!;
        await spec.tamper(sql, d.accountId, firstManifests.get(spec.name)!);
      }
    });
  }, 120_000);
  afterAll(async () => {
    if (skip) return;
    await sync?.stop();
    await target?.cleanup();
  });

  it.skipIf(skip).each(CASES)('when it $name', async (spec) => {
    const d = devices.get(spec.name)!;
    const before = d.replica.state();
    const err = await d.pull(true).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect((err as IntegrityError).kind).toBe(spec.expected);
    // nothing was accepted: what the device remembers is unchanged
    expect(d.replica.state()).toEqual(before);
  });

  it.skipIf(skip)('and an untouched account still pulls cleanly', async () => {
    await control().pull(true);
    expect(control().texts('conv')).toEqual(['one', 'two', 'three']);
  });
});

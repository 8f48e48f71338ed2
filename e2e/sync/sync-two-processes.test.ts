/**
 * Two sync service processes against one PostgreSQL serve the same data
 * correctly: they migrate at the same time without racing, a write through one
 * is read through the other, concurrent conflicting writes through both merge
 * with nothing lost, and a request replayed to the other process is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  postgresAvailable,
  postgresTarget,
  type StoreTarget,
} from '../../backend/test/support/sync-stores';
import { b64u, newAccount, send, sign } from '../../backend/test/support/sync-signer';
import { startSyncProcess, type SyncProcess } from '../support/sync-process';
import { TestDevice } from './devices';

describe.skipIf(!postgresAvailable)('two sync processes, one PostgreSQL', () => {
  let target: StoreTarget;
  let one: SyncProcess;
  let two: SyncProcess;

  beforeAll(async () => {
    target = await postgresTarget();
    [one, two] = await Promise.all([startSyncProcess(target.env), startSyncProcess(target.env)]);
  });
  afterAll(async () => {
    await Promise.all([one?.stop(), two?.stop()]);
    await target?.cleanup();
  });

  it('serve one account the same way, and merge concurrent writes made through both', async () => {
    const key = crypto.getRandomValues(new Uint8Array(32));
    const a = new TestDevice('a', one.url, key);
    const b = new TestDevice('b', two.url, key);
    a.create('c1', 'Shared', ['first']);
    await a.push('c1');
    await b.pull();
    expect(b.texts('c1')).toEqual(['first']);
    a.append('c1', 'from a via one');
    b.append('c1', 'from b via two');
    await Promise.all([a.push('c1'), b.push('c1')]);
    await a.pull();
    await b.pull();
    for (const d of [a, b]) {
      expect(d.texts('c1')[0]).toBe('first');
      expect(new Set(d.texts('c1').slice(1))).toEqual(
        new Set(['from a via one', 'from b via two']),
      );
    }
    expect(a.local.get('c1')!.manifest).toEqual(b.local.get('c1')!.manifest);
  });

  it('give one winner to one stale write raced through both', async () => {
    const acct = newAccount();
    expect(
      (
        await send(
          one.url,
          sign(acct, 'PUT', '/v1/sync/records/c:x', { revision: 0, body: b64u('v1') }),
        )
      ).status,
    ).toBe(200);
    const results = await Promise.all([
      send(
        one.url,
        sign(acct, 'PUT', '/v1/sync/records/c:x', { revision: 1, body: b64u('via one') }),
      ),
      send(
        two.url,
        sign(acct, 'PUT', '/v1/sync/records/c:x', { revision: 1, body: b64u('via two') }),
      ),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const loser = results.find((r) => r.status === 409)!;
    const winner = results.find((r) => r.status === 200)!;
    expect(loser.json.current).toEqual((winner.json as { record: unknown }).record);
  });

  it('refuse a request replayed to the other process', async () => {
    const acct = newAccount();
    const s = sign(acct, 'PUT', '/v1/sync/records/c:r', { revision: 0, body: b64u('once') });
    expect((await send(one.url, s)).status).toBe(200);
    expect(await send(two.url, s)).toMatchObject({ status: 401, json: { error: 'replay' } });
  });
});

/**
 * The sync service over real HTTP on 127.0.0.1, once per engine (embedded
 * PGlite and PostgreSQL, the same suite): records with revisions and 409s, the
 * change feed, pairing slots, migrations, and every hostile request refused
 * with a clean 4xx and nothing written.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSyncApp, listenSync, type RunningSync } from '../src/sync/app';
import { loadSyncConfig, type SyncConfig } from '../src/sync/config';
import { migrate, SchemaTooNewError } from '../src/sync/migrations';
import type { SqlEngine } from '../src/sync/sql';
import { ENGINES, type StoreTarget } from './support/sync-stores';
import { b64u, newAccount, send, sign } from './support/sync-signer';

const NOW = 1_765_000_000_000;
const now = () => NOW;

describe.each(ENGINES)('sync service on the $engine store', ({ make, skip }) => {
  let target: StoreTarget;
  let sync: RunningSync;
  let config: SyncConfig;
  const alice = newAccount();
  const bob = newAccount();

  async function tables(): Promise<{
    records: number;
    accounts: number;
    nonces: number;
    pairings: number;
  }> {
    const q = async (t: string) =>
      Number((await sync.store.sql.query<{ n: unknown }>(`SELECT count(*) AS n FROM ${t}`))[0]!.n);
    return {
      records: await q('sync_records'),
      accounts: await q('sync_accounts'),
      nonces: await q('sync_nonces'),
      pairings: await q('sync_pairings'),
    };
  }

  /** Runs `f` and checks that no table changed. */
  async function writesNothing(f: () => Promise<void>): Promise<void> {
    const before = await tables();
    await f();
    expect(await tables()).toEqual(before);
  }

  const put = (who = alice, id = 'c:one', revision = 0, body = b64u('sealed-1'), over = {}) =>
    sign(who, 'PUT', `/v1/sync/records/${id}`, { revision, body }, { timestampMs: NOW, ...over });

  beforeAll(async () => {
    if (skip) return;
    target = await make();
    config = {
      ...loadSyncConfig({
        ...target.env,
        SOTTO_SYNC_PORT: '0',
        SOTTO_SYNC_MAX_RECORD_BYTES: '4096',
      }),
      rateLimit: { burst: 1000, refillPerSecond: 1 },
    };
    sync = await listenSync(config, { now, sink: () => {} });
  });
  afterAll(async () => {
    if (skip) return;
    await sync?.close();
    await target?.cleanup();
  });

  it.skipIf(skip)('answers /healthz with its engine', async () => {
    const res = await fetch(`${sync.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, service: 'sync', store: sync.store.kind });
  });

  it.skipIf(skip)(
    'stores a record, bumps its revision, and answers a stale write with 409 and the current record',
    async () => {
      const created = await send(sync.url, put());
      expect(created).toMatchObject({
        status: 200,
        json: { record: { id: 'c:one', revision: 1, body: b64u('sealed-1') } },
      });
      const updated = await send(sync.url, put(alice, 'c:one', 1, b64u('sealed-2')));
      expect(updated.json).toMatchObject({ record: { revision: 2 } });
      await writesNothing(async () => {
        // the nonce of a refused write is still spent (so it cannot be replayed): count it apart
        const stale = sign(
          alice,
          'PUT',
          '/v1/sync/records/c:one',
          { revision: 1, body: b64u('late') },
          { timestampMs: NOW },
        );
        const r = await send(sync.url, stale);
        expect(r.status).toBe(409);
        expect(r.json).toEqual({
          error: 'conflict',
          current: { id: 'c:one', revision: 2, body: b64u('sealed-2'), change: 2 },
        });
        await sync.store.sql.query('DELETE FROM sync_nonces WHERE nonce = $1', [
          stale.headers['sotto-nonce']!,
        ]);
      });
      const again = await send(sync.url, put(alice, 'c:one', 0, b64u('new')));
      expect(again.status).toBe(409);
    },
  );

  it.skipIf(skip)(
    "lists an account's changes in order, deletions included, and nobody else's",
    async () => {
      await send(sync.url, put(alice, 'm:two', 0, b64u('two')));
      const del = sign(alice, 'DELETE', '/v1/sync/records/m:two?revision=1', undefined, {
        timestampMs: NOW,
      });
      expect((await send(sync.url, del)).status).toBe(200);
      await send(sync.url, put(bob, 'c:bob', 0, b64u('bob')));
      const feed = await send(
        sync.url,
        sign(alice, 'GET', '/v1/sync/changes?since=0', undefined, { timestampMs: NOW }),
      );
      expect(feed.status).toBe(200);
      const changes = feed.json.changes as { id: string; revision: number; body: string | null }[];
      expect(changes.map((c) => [c.id, c.revision, c.body])).toEqual([
        ['c:one', 2, b64u('sealed-2')],
        ['m:two', 2, null],
      ]);
      const since = await send(
        sync.url,
        sign(alice, 'GET', `/v1/sync/changes?since=${feed.json.next}`, undefined, {
          timestampMs: NOW,
        }),
      );
      expect(since.json.changes).toEqual([]);
      // Bob sees only his own, and Alice's record ids mean nothing under his key.
      const bobRead = await send(
        sync.url,
        sign(bob, 'GET', '/v1/sync/records/c:one', undefined, { timestampMs: NOW }),
      );
      expect(bobRead.status).toBe(404);
    },
  );

  describe('hostile requests: clean 4xx, nothing written', () => {
    it.skipIf(skip)('a body changed after signing', async () => {
      await writesNothing(async () => {
        const s = put(alice, 'c:x');
        s.body = new Uint8Array(Buffer.from(JSON.stringify({ revision: 0, body: b64u('other') })));
        expect(await send(sync.url, s)).toMatchObject({
          status: 401,
          json: { error: 'bad_signature' },
        });
      });
    });

    it.skipIf(skip)('a replayed request, even after its first answer', async () => {
      const s = put(alice, 'c:replay');
      expect((await send(sync.url, s)).status).toBe(200);
      await writesNothing(async () => {
        expect(await send(sync.url, s)).toMatchObject({ status: 401, json: { error: 'replay' } });
        const read = sign(alice, 'GET', '/v1/sync/records/c:replay', undefined, {
          timestampMs: NOW,
        });
        expect((await send(sync.url, read)).status).toBe(200);
        await sync.store.sql.query('DELETE FROM sync_nonces WHERE nonce = $1', [
          read.headers['sotto-nonce']!,
        ]);
      });
      const read = sign(alice, 'GET', '/v1/sync/records/c:replay', undefined, { timestampMs: NOW });
      expect((await send(sync.url, read)).status).toBe(200);
      expect(await send(sync.url, read)).toMatchObject({ status: 401, json: { error: 'replay' } });
    });

    it.skipIf(skip)('a stale or future timestamp', async () => {
      await writesNothing(async () => {
        for (const t of [NOW - 6 * 60_000, NOW + 6 * 60_000]) {
          expect(
            await send(sync.url, put(alice, 'c:t', 0, b64u('x'), { timestampMs: t })),
          ).toMatchObject({
            status: 401,
            json: { error: 'stale_request' },
          });
        }
      });
    });

    it.skipIf(skip)("another account's id with this account's signature", async () => {
      await writesNothing(async () => {
        const s = put(alice, 'c:one', 2, b64u('hijack'));
        s.headers['sotto-account'] = bob.id;
        expect(await send(sync.url, s)).toMatchObject({
          status: 401,
          json: { error: 'bad_signature' },
        });
      });
      // Bob signing for his own key cannot touch Alice's record: it is not in his namespace.
      expect((await send(sync.url, put(bob, 'c:one', 2, b64u('hijack')))).status).toBe(409);
      const mine = await send(
        sync.url,
        sign(alice, 'GET', '/v1/sync/records/c:one', undefined, { timestampMs: NOW }),
      );
      expect(mine.json).toMatchObject({ record: { revision: 2, body: b64u('sealed-2') } });
    });

    it.skipIf(skip)('an oversized record, declared or not', async () => {
      await writesNothing(async () => {
        const big = put(alice, 'c:big', 0, b64u(new Uint8Array(4097)));
        expect(await send(sync.url, big)).toMatchObject({
          status: 413,
          json: { error: 'too_large' },
        });
        const huge = put(alice, 'c:big', 0, 'A'.repeat(64 * 1024));
        expect((await send(sync.url, huge)).status).toBe(413);
      });
    });

    it.skipIf(skip)('malformed JSON, fields and ids', async () => {
      await writesNothing(async () => {
        const cases = [
          sign(
            alice,
            'PUT',
            '/v1/sync/records/c:m',
            new Uint8Array(Buffer.from('{"revision":0,')),
            { timestampMs: NOW },
          ),
          sign(alice, 'PUT', '/v1/sync/records/c:m', [1, 2], { timestampMs: NOW }),
          sign(
            alice,
            'PUT',
            '/v1/sync/records/c:m',
            { revision: -1, body: 'AA' },
            { timestampMs: NOW },
          ),
          sign(
            alice,
            'PUT',
            '/v1/sync/records/c:m',
            { revision: 0, body: 'A+/=' },
            { timestampMs: NOW },
          ),
          sign(
            alice,
            'PUT',
            '/v1/sync/records/c:m',
            { revision: 0, body: '' },
            { timestampMs: NOW },
          ),
          sign(
            alice,
            'PUT',
            '/v1/sync/records/c:m',
            { revision: 0, body: 7 },
            { timestampMs: NOW },
          ),
          sign(
            alice,
            'PUT',
            `/v1/sync/records/${'x'.repeat(129)}`,
            { revision: 0, body: 'AA' },
            { timestampMs: NOW },
          ),
          sign(
            alice,
            'PUT',
            '/v1/sync/records/a%2Fb',
            { revision: 0, body: 'AA' },
            { timestampMs: NOW },
          ),
          sign(alice, 'DELETE', '/v1/sync/records/c:one?revision=x', undefined, {
            timestampMs: NOW,
          }),
          sign(alice, 'GET', '/v1/sync/changes?since=-4', undefined, { timestampMs: NOW }),
        ];
        for (const s of cases) {
          const r = await send(sync.url, s);
          expect(r.status, s.path).toBe(400);
          expect(r.json).toEqual({ error: 'malformed' });
        }
      });
    });

    it.skipIf(skip)('missing or ill-formed auth headers, and unknown routes', async () => {
      await writesNothing(async () => {
        const s = put(alice, 'c:h');
        for (const drop of ['sotto-account', 'sotto-signature', 'sotto-nonce', 'sotto-timestamp']) {
          const headers = { ...s.headers };
          delete headers[drop];
          expect(await send(sync.url, { ...s, headers })).toMatchObject({
            status: 400,
            json: { error: 'bad_auth' },
          });
        }
        expect(
          (await send(sync.url, { ...s, headers: { ...s.headers, 'sotto-nonce': '!!' } })).status,
        ).toBe(400);
        expect((await fetch(`${sync.url}/v1/sync/nothing`)).status).toBe(404);
      });
    });

    it.skipIf(skip)('limits requests per account key, not per server', async () => {
      const app = createSyncApp(
        sync.store,
        { ...config, rateLimit: { burst: 2, refillPerSecond: 0.001 } },
        { now, sink: () => {} },
      );
      const server = http.createServer(app);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const limited = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
      try {
        const carol = newAccount();
        const read = () => sign(carol, 'GET', '/v1/sync/changes', undefined, { timestampMs: NOW });
        expect((await send(limited.url, read())).status).toBe(200);
        expect((await send(limited.url, read())).status).toBe(200);
        const third = await send(limited.url, read());
        expect(third).toMatchObject({ status: 429, json: { error: 'rate_limited' } });
        expect(
          (
            await send(
              limited.url,
              sign(newAccount(), 'GET', '/v1/sync/changes', undefined, { timestampMs: NOW }),
            )
          ).status,
        ).toBe(200);
        // unsigned handover reads are limited per address
        const handover = () => fetch(`${limited.url}/v1/sync/handovers/${carol.id}/dev`);
        expect((await handover()).status).toBe(404);
        expect((await handover()).status).toBe(404);
        expect((await handover()).status).toBe(429);
      } finally {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      }
    });
  });

  describe('pairing slots', () => {
    const code = 'ABCDEFGH';
    const field = (f: string, value: Uint8Array, who = alice) =>
      sign(
        who,
        'PUT',
        `/v1/sync/pairings/${code}/${f}`,
        { value: b64u(value) },
        { timestampMs: NOW },
      );
    const post = (body: unknown) =>
      fetch(`${sync.url}/v1/sync/pairings`, { method: 'POST', body: JSON.stringify(body) });

    it.skipIf(skip)(
      'opens once, fills in order, once each, and only by the account that began',
      async () => {
        expect((await post({ code, publicKey: b64u(new Uint8Array(32).fill(1)) })).status).toBe(
          201,
        );
        expect((await post({ code, publicKey: b64u(new Uint8Array(32).fill(2)) })).status).toBe(
          409,
        );
        const nonceFirst = await fetch(`${sync.url}/v1/sync/pairings/${code}/nonce`, {
          method: 'PUT',
          body: JSON.stringify({ value: b64u(new Uint8Array(16)) }),
        });
        expect(nonceFirst.status).toBe(409); // before the commitment
        expect((await send(sync.url, field('enc', new Uint8Array(32)))).status).toBe(409);
        expect((await send(sync.url, field('commitment', new Uint8Array(32).fill(3)))).status).toBe(
          200,
        );
        expect((await send(sync.url, field('commitment', new Uint8Array(32).fill(4)))).status).toBe(
          409,
        );
        const nonce = await fetch(`${sync.url}/v1/sync/pairings/${code}/nonce`, {
          method: 'PUT',
          body: JSON.stringify({ value: b64u(new Uint8Array(16).fill(5)) }),
        });
        expect(nonce.status).toBe(200);
        expect((await send(sync.url, field('enc', new Uint8Array(32).fill(6), bob))).status).toBe(
          409,
        );
        expect((await send(sync.url, field('enc', new Uint8Array(32).fill(6)))).status).toBe(200);
        expect((await send(sync.url, field('payload', new Uint8Array(64).fill(7)))).status).toBe(
          200,
        );
        const slot = (await (await fetch(`${sync.url}/v1/sync/pairings/${code}`)).json()) as Record<
          string,
          string
        >;
        expect(slot).toEqual({
          code,
          publicKey: b64u(new Uint8Array(32).fill(1)),
          commitment: b64u(new Uint8Array(32).fill(3)),
          nonce: b64u(new Uint8Array(16).fill(5)),
          enc: b64u(new Uint8Array(32).fill(6)),
          payload: b64u(new Uint8Array(64).fill(7)),
        });
      },
    );

    it.skipIf(skip)('refuses ill-formed codes, keys and values with nothing written', async () => {
      await writesNothing(async () => {
        for (const body of [
          { code: 'abcdefgh', publicKey: b64u(new Uint8Array(32)) },
          { code: 'ABCDEFGU', publicKey: b64u(new Uint8Array(32)) },
          { code: 'ZZZZZZZZ', publicKey: b64u(new Uint8Array(31)) },
          { code: 'ZZZZZZZZ' },
          'not json',
        ]) {
          expect((await post(body)).status).toBe(400);
        }
        const r = await fetch(`${sync.url}/v1/sync/pairings/ZZZZZZZZ`, {
          method: 'POST',
          body: '{}',
        });
        expect(r.status).toBe(404);
        expect((await fetch(`${sync.url}/v1/sync/pairings/nope`)).status).toBe(400);
        expect((await fetch(`${sync.url}/v1/sync/pairings/ZZZZZZZZ`)).status).toBe(404);
      });
    });
  });

  describe('retiring an account (device removal)', () => {
    const carol = newAccount();
    const handover = new Uint8Array(80).fill(7);
    const retire = (handovers: unknown, over = {}) =>
      sign(carol, 'POST', '/v1/sync/retire', { handovers }, { timestampMs: NOW, ...over });

    it.skipIf(skip)(
      'refuses malformed retirements with nothing written, then deletes the records, keeps the handovers and refuses every later request',
      async () => {
        expect((await send(sync.url, put(carol, 'c:carol', 0, b64u('sealed')))).status).toBe(200);
        await writesNothing(async () => {
          for (const bad of [
            [],
            'x',
            { 'bad id!': b64u(handover) },
            { dev1: b64u(new Uint8Array(79)) },
            { dev1: 'not base64url!' },
          ]) {
            const r = await send(sync.url, retire(bad));
            expect(r.status).toBe(400);
          }
          const many = Object.fromEntries(
            Array.from({ length: 33 }, (_, i) => [`d${i}`, b64u(handover)]),
          );
          expect((await send(sync.url, retire(many))).status).toBe(413);
        });
        const done = retire({ stays: b64u(handover) });
        expect((await send(sync.url, done)).status).toBe(200);
        expect((await send(sync.url, done)).status).toBe(410); // replayed: refused
        // the removed device signs as the old account: everything it asks is refused
        expect((await send(sync.url, put(carol, 'c:after', 0, b64u('late')))).status).toBe(410);
        const list = await send(
          sync.url,
          sign(carol, 'GET', '/v1/sync/changes?since=0', undefined, { timestampMs: NOW }),
        );
        expect(list).toMatchObject({ status: 410, json: { error: 'retired' } });
        const rows = await sync.store.sql.query(
          'SELECT 1 FROM sync_records WHERE account_id = $1',
          [carol.id],
        );
        expect(rows).toHaveLength(0);
        // a device that stays fetches its handover without signing; no other id has one
        const got = await fetch(`${sync.url}/v1/sync/handovers/${carol.id}/stays`);
        expect(await got.json()).toEqual({ body: b64u(handover) });
        expect((await fetch(`${sync.url}/v1/sync/handovers/${carol.id}/other`)).status).toBe(404);
        expect((await fetch(`${sync.url}/v1/sync/handovers/${alice.id}/stays`)).status).toBe(404);
        expect((await fetch(`${sync.url}/v1/sync/handovers/short/stays`)).status).toBe(400);
      },
    );
  });

  it.skipIf(skip)('migrations run once, and a database from a newer build is refused', async () => {
    const engine = sync.store.sql as SqlEngine;
    expect(await migrate(engine)).toEqual([]);
    await expect(migrate(engine, [])).rejects.toThrow(SchemaTooNewError);
  });
});

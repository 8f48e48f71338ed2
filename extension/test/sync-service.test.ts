/**
 * The extension's sync client against the real sync service process (embedded
 * store) over 127.0.0.1: two devices' worker services (real Dexie over
 * fake-indexeddb, real vaults holding one vault key as pairing leaves them)
 * converge; edits made while the server is unreachable wait and upload later;
 * concurrent edits and a delete-versus-append lose nothing; a server that drops
 * or replays records is reported as `tampered` and changes no local history.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { embeddedTarget, type StoreTarget } from '../../backend/test/support/sync-stores';
import { startSyncProcess, type SyncProcess } from '../../e2e/support/sync-process';
import {
  DecryptError,
  DeviceRemovedError,
  deriveAccountKey,
  openManifest,
  SyncClient,
} from '@sotto/protocol';
import { toBase64Url } from '../src/messaging';
import { SYNC_STATE_KEY } from '../src/services/history-ledger';
import { createHandlers } from '../src/services/router';
import { PairingService } from '../src/services/sync/pairing-service';
import { FULL_LISTING_INTERVAL_MS, SyncService } from '../src/services/sync/sync-service';
import { type Harness, harness, prfBytes } from './support/services';

let target: StoreTarget;
let sync: SyncProcess;
beforeAll(async () => {
  target = embeddedTarget();
  sync = await startSyncProcess(target.env);
});
afterAll(async () => {
  await sync?.stop();
  await target?.cleanup();
});

type Device = Harness & {
  sync: SyncService;
  /** A restarted worker (a new SyncService over the same database). */
  restart(): void;
  /** Moves this device's clock past the full-listing interval. */
  dayLater(): void;
  /** Records each listing brought down, per listing. */
  listed: number[];
  /** While true, this device cannot reach `POST /v1/sync/retire`. */
  retireOffline: boolean;
};
const opened: Device[] = [];
afterEach(() => {
  for (const d of opened.splice(0)) d.db.close();
});

/** Rewrites the change feed the way a hostile server would. */
type Tamper = (
  changes: { id: string; revision: number; body: string | null; change: number }[],
) => void;

async function device(vaultKey?: Uint8Array, tamper?: { current?: Tamper }): Promise<Device> {
  const h = harness();
  let ahead = 0; // ms this device's clock runs ahead of the real one
  const listed: number[] = [];
  const tamperingFetch: typeof fetch = async (input, init) => {
    const url = String(input);
    if (d.retireOffline && url.endsWith('/v1/sync/retire')) throw new TypeError('fetch failed');
    const res = await fetch(input, init);
    if (!url.includes('/v1/sync/changes') || res.status !== 200) return res;
    const json = (await res.json()) as { changes: Parameters<Tamper>[0] };
    listed.push(json.changes.length);
    tamper?.current?.(json.changes);
    return new Response(JSON.stringify(json), { status: res.status, headers: res.headers });
  };
  const make = () =>
    new SyncService(h.db, h.vault, h.history, {
      fetch: tamperingFetch,
      now: () => Date.now() + ahead,
    });
  const d: Device = Object.assign(h, {
    sync: make(),
    listed,
    retireOffline: false,
    restart() {
      d.sync = make();
    },
    dayLater() {
      ahead += FULL_LISTING_INTERVAL_MS;
    },
  });
  opened.push(d);
  await h.vault.create({
    prf: prfBytes(vaultKey ? 2 : 1),
    salt: new Uint8Array(32).fill(4),
    credentialId: new Uint8Array([vaultKey ? 2 : 1]),
    ...(vaultKey ? { vaultKey } : {}),
  });
  await d.sync.configure(sync.url);
  return d;
}

async function pair(): Promise<[Device, Device]> {
  const a = await device();
  const b = await device(await a.vault.key());
  return [a, b];
}

const say = (conversationId: string, content: string, role: 'user' | 'assistant' = 'user') => ({
  conversationId,
  role,
  content,
  status: 'complete' as const,
});

async function texts(d: Device, id: string): Promise<string[]> {
  return (await d.history.get(id)).messages.map((m) => m.content);
}

describe('extension sync', () => {
  it('two devices with one vault key converge through the real service', async () => {
    const [a, b] = await pair();
    await a.history.append({
      conversationId: 'c1',
      conversation: { title: 'From A', kind: 'chat' },
      messages: [say('c1', 'hello'), say('c1', 'answer', 'assistant')],
    });
    expect((await a.sync.status()).state).toBe('pending');
    const running = a.sync.syncNow();
    expect(await a.sync.status()).toMatchObject({ syncing: true }); // what the panel shows meanwhile
    const before = Date.now();
    expect(await running).toMatchObject({ state: 'synced', pending: 0 });
    const done = await a.sync.status();
    expect(done.syncing).toBeUndefined();
    expect(done.syncedAt).toBeGreaterThanOrEqual(before);
    await b.history.append({
      conversationId: 'c2',
      conversation: { title: 'From B', kind: 'chat' },
      messages: [say('c2', 'from b')],
    });
    expect((await b.sync.syncNow()).state).toBe('synced');
    expect((await a.sync.syncNow()).state).toBe('synced');
    for (const d of [a, b]) {
      expect((await d.history.list()).map((c) => c.title).sort()).toEqual(['From A', 'From B']);
      expect(await texts(d, 'c1')).toEqual(['hello', 'answer']);
      expect(await texts(d, 'c2')).toEqual(['from b']);
    }
  });

  it('lists only what changed since its stored cursor, after a worker restart too; the whole account once a day', async () => {
    const [a, b] = await pair();
    await a.history.append({
      conversationId: 'i1',
      conversation: { title: 'One', kind: 'chat' },
      messages: [say('i1', 'a'), say('i1', 'b', 'assistant'), say('i1', 'c')],
    });
    await a.history.append({
      conversationId: 'i2',
      conversation: { title: 'Two', kind: 'chat' },
      messages: [say('i2', 'd'), say('i2', 'e', 'assistant')],
    });
    await a.sync.syncNow();
    expect((await b.sync.syncNow()).state).toBe('synced');
    const sum = (n: number[]) => n.reduce((x, y) => x + y, 0);
    expect(sum(b.listed)).toBe(8); // 5 messages, 2 conversation records, A's device record

    await a.history.append({
      conversationId: 'i1',
      conversation: { title: 'x', kind: 'chat' },
      messages: [say('i1', 'f')],
    });
    await a.sync.syncNow();
    b.restart();
    b.listed.length = 0;
    expect((await b.sync.syncNow()).state).toBe('synced');
    expect(sum(b.listed)).toBe(2); // the new message and its conversation's record, nothing else
    expect(await texts(b, 'i1')).toEqual(['a', 'b', 'c', 'f']);

    b.listed.length = 0;
    expect((await b.sync.syncNow()).state).toBe('synced');
    expect(sum(b.listed)).toBe(0);

    b.dayLater();
    b.listed.length = 0;
    expect((await b.sync.syncNow()).state).toBe('synced');
    expect(sum(b.listed)).toBe(10); // the daily full listing, both device records with it
  });

  it('keeps history once: the replica row holds digests of synced messages, the bytes stay in history', async () => {
    const [a, b] = await pair();
    const long = (i: number) => `${i} ${'words '.repeat(700)}`;
    await a.history.append({
      conversationId: 's',
      conversation: { title: 'Long', kind: 'chat' },
      messages: Array.from({ length: 20 }, (_, i) => say('s', long(i))),
    });
    await a.sync.syncNow();
    expect((await b.sync.syncNow()).state).toBe('synced');
    const sealedBytes = (await b.db.messages.toArray()).reduce((n, m) => n + m.sealed.length, 0);
    const row = await b.db.settings.get(SYNC_STATE_KEY as never);
    const replicaBytes = JSON.stringify(row).length;
    expect(sealedBytes).toBeGreaterThan(80_000);
    expect(replicaBytes).toBeLessThan(sealedBytes / 5); // it was 1.4 times the history
    // later syncs still hand whole conversations over: from local history, or from the server
    b.restart();
    await a.history.append({
      conversationId: 's',
      conversation: { title: 'x', kind: 'chat' },
      messages: [say('s', 'one more')],
    });
    await a.sync.syncNow();
    expect((await b.sync.syncNow()).state).toBe('synced');
    expect(await texts(b, 's')).toHaveLength(21);
    // deleted here while A wrote to it: the server's copy comes back, its old messages from the server
    await b.history.delete('s');
    await a.history.append({
      conversationId: 's',
      conversation: { title: 'x', kind: 'chat' },
      messages: [say('s', 'and another')],
    });
    await a.sync.syncNow();
    expect((await b.sync.syncNow()).state).toBe('synced');
    expect(await texts(b, 's')).toEqual(await texts(a, 's'));
    expect(await texts(b, 's')).toHaveLength(22);
  });

  it('keeps edits made while the server is unreachable and uploads them later', async () => {
    const [a, b] = await pair();
    await a.sync.configure('http://127.0.0.1:9'); // nothing listens there
    await a.history.append({
      conversationId: 'off',
      conversation: { title: 'Offline', kind: 'chat' },
      messages: [say('off', 'written offline')],
    });
    expect(await a.sync.syncNow()).toMatchObject({ state: 'unreachable', pending: 1 });
    expect(await texts(a, 'off')).toEqual(['written offline']);
    await a.sync.configure(sync.url);
    expect(await a.sync.syncNow()).toMatchObject({ state: 'synced', pending: 0 });
    await b.sync.syncNow();
    expect(await texts(b, 'off')).toEqual(['written offline']);
  });

  it('merges concurrent edits to one conversation: every message kept, the later rename wins', async () => {
    const [a, b] = await pair();
    await a.history.append({
      conversationId: 'm',
      conversation: { title: 'Start', kind: 'chat' },
      messages: [say('m', 'first')],
    });
    await a.sync.syncNow();
    await b.sync.syncNow();
    await a.history.append({
      conversationId: 'm',
      conversation: { title: 'x', kind: 'chat' },
      messages: [say('m', 'a while apart')],
    });
    await b.history.append({
      conversationId: 'm',
      conversation: { title: 'x', kind: 'chat' },
      messages: [say('m', 'b while apart')],
    });
    await b.history.rename('m', 'Renamed on B');
    await a.sync.syncNow();
    await b.sync.syncNow();
    await a.sync.syncNow();
    for (const d of [a, b]) {
      const t = await texts(d, 'm');
      expect(t[0]).toBe('first');
      expect(new Set(t.slice(1))).toEqual(new Set(['a while apart', 'b while apart']));
      expect((await d.history.list()).find((c) => c.id === 'm')!.title).toBe('Renamed on B');
      expect((await d.history.list()).map((c) => c.id)).toEqual(['m']); // one rename: no copy
    }
  });

  it('two devices rename one conversation concurrently: the later title wins, the other is kept as a copy', async () => {
    const [a, b] = await pair();
    await a.history.append({
      conversationId: 'n',
      conversation: { title: 'Named once', kind: 'chat' },
      messages: [say('n', 'one'), say('n', 'two', 'assistant')],
    });
    await a.sync.syncNow();
    await b.sync.syncNow();
    await a.history.rename('n', 'Renamed on A');
    await new Promise((r) => setTimeout(r, 5)); // B's rename is the later one
    await b.history.rename('n', 'Renamed on B');
    expect((await a.sync.syncNow()).state).toBe('synced');
    expect((await b.sync.syncNow()).state).toBe('conflict');
    expect((await a.sync.syncNow()).state).toBe('synced');
    for (const d of [a, b]) {
      const list = await d.history.list();
      expect(list.map((c) => c.title).sort()).toEqual(['Renamed on A (copy)', 'Renamed on B']);
      expect(list.find((c) => c.id === 'n')!.title).toBe('Renamed on B');
      const copy = list.find((c) => c.title === 'Renamed on A (copy)')!;
      expect(await texts(d, copy.id)).toEqual(['one', 'two']);
      expect(await texts(d, 'n')).toEqual(['one', 'two']);
    }
  });

  it('a delete on one device keeps what the other wrote meanwhile, as a copy', async () => {
    const [a, b] = await pair();
    await a.history.append({
      conversationId: 'd',
      conversation: { title: 'Doomed', kind: 'chat' },
      messages: [say('d', 'old')],
    });
    await a.sync.syncNow();
    await b.sync.syncNow();
    await a.history.delete('d');
    await b.history.append({
      conversationId: 'd',
      conversation: { title: 'x', kind: 'chat' },
      messages: [say('d', 'written meanwhile')],
    });
    await a.sync.syncNow();
    const outcome = await b.sync.syncNow();
    expect(outcome.state).toBe('conflict');
    await a.sync.syncNow();
    for (const d of [a, b]) {
      const list = await d.history.list();
      expect(list.find((c) => c.id === 'd')).toBeUndefined();
      const copy = list.find((c) => c.title === 'Doomed (copy)')!;
      expect(await texts(d, copy.id)).toEqual(['written meanwhile']);
    }
  });

  it('reports a server that drops or replays records, and applies nothing from it', async () => {
    const seen: Parameters<Tamper>[0] = [];
    const record: Tamper = (changes) => {
      seen.push(...changes.map((c) => ({ ...c })));
    };
    const tamper: { current?: Tamper } = { current: record };
    const a = await device();
    const b = await device(await a.vault.key(), tamper);
    await a.history.append({
      conversationId: 't',
      conversation: { title: 'Watched', kind: 'chat' },
      messages: [say('t', 'one'), say('t', 'two')],
    });
    await a.sync.syncNow();
    expect((await b.sync.syncNow()).state).toBe('synced');
    const firstManifest = seen.find((c) => c.id === 'c:t')!;
    await a.history.rename('t', 'Renamed');
    await a.sync.syncNow();

    // drop: at the daily full listing the feed leaves out a message b has
    tamper.current = (changes) => {
      const i = changes.findIndex((c) => c.id.startsWith('m:t:'));
      if (i >= 0) changes.splice(i, 1);
    };
    b.dayLater();
    expect(await b.sync.syncNow()).toMatchObject({ state: 'tampered' });
    expect(await texts(b, 't')).toEqual(['one', 'two']);
    expect((await b.history.list()).find((c) => c.id === 't')!.title).toBe('Watched');

    // an honest answer again: the rename arrives
    tamper.current = undefined;
    expect((await b.sync.syncNow()).state).toBe('synced');
    expect((await b.history.list()).find((c) => c.id === 't')!.title).toBe('Renamed');

    // replay: the feed serves the conversation record from before the rename
    tamper.current = (changes) => {
      const i = changes.findIndex((c) => c.id === 'c:t');
      if (i >= 0) changes[i] = { ...changes[i]!, body: firstManifest.body };
    };
    b.dayLater();
    expect(await b.sync.syncNow()).toMatchObject({ state: 'tampered' });
    expect((await b.history.list()).find((c) => c.id === 't')!.title).toBe('Renamed');
  });

  it('pairs a new device through the worker messages: one SAS, then its own passkey wraps the same vault key', async () => {
    const poll = { wait: () => new Promise<void>((r) => setTimeout(r, 20)), maxPolls: 1500 };
    const a = await device();
    await a.history.append({
      conversationId: 'p',
      conversation: { title: 'Before pairing', kind: 'chat' },
      messages: [say('p', 'already here')],
    });
    await a.sync.syncNow();
    const aHandlers = createHandlers({
      ...a,
      sync: a.sync,
      pairing: new PairingService(a.vault, a.sync, { poll }),
    });

    const h = harness(); // the new device: no vault yet
    const bSync = new SyncService(h.db, h.vault, h.history);
    opened.push(
      Object.assign(h, {
        sync: bSync,
        listed: [],
        retireOffline: false,
        restart() {},
        dayLater() {},
      }),
    );
    const bHandlers = createHandlers({
      ...h,
      sync: bSync,
      pairing: new PairingService(h.vault, bSync, { poll }),
    });

    const { code } = await bHandlers['sync/pair-offer']({ url: sync.url });
    const [shown, compared] = await Promise.all([
      bHandlers['sync/pair-offer-sas']({}),
      aHandlers['sync/pair-accept']({ url: sync.url, code }),
    ]);
    expect(shown.sas).toMatch(/^\d{6}$/);
    expect(compared.sas).toBe(shown.sas);
    await aHandlers['sync/pair-approve']({});
    expect(await bHandlers['sync/pair-receive']({})).toEqual({ syncUrl: sync.url });
    // the new device's own passkey (its PRF output) wraps the received key
    const status = await bHandlers['vault/create']({
      prf: toBase64Url(prfBytes(5)),
      salt: toBase64Url(new Uint8Array(32).fill(6)),
      credentialId: toBase64Url(new Uint8Array([7])),
    });
    expect(status.state).toBe('unlocked');
    expect(await h.vault.key()).toEqual(await a.vault.key());
    expect((await bHandlers['sync/now']({})).state).toBe('synced');
    expect((await h.history.get('p')).messages.map((m) => m.content)).toEqual(['already here']);
    // the wrapped key on the new device is under its own passkey: A's PRF does not open it
    await h.vault.lock();
    await expect(
      h.vault.unlock({ prf: prfBytes(1), credentialId: new Uint8Array([7]) }),
    ).rejects.toThrow();
  });

  it('removes one chosen device of three: the one that stays follows the new key, the removed one is refused', async () => {
    const a = await device();
    const key = await a.vault.key();
    const b = await device(key);
    const c = await device(key);
    await a.sync.configure(sync.url, 'Laptop');
    await b.sync.configure(sync.url, 'Phone');
    await c.sync.configure(sync.url, 'Old tablet');
    await a.history.append({
      conversationId: 'k1',
      conversation: { title: 'Before', kind: 'chat' },
      messages: [say('k1', 'before removal')],
    });
    for (const d of [a, b, c, a]) expect((await d.sync.syncNow()).state).toBe('synced');
    const listed = await a.sync.devices();
    expect(listed.map((d) => [d.label, d.self]).sort()).toEqual([
      ['Laptop', true],
      ['Old tablet', false],
      ['Phone', false],
    ]);
    // the server holds the names only sealed
    const oldAccount = new SyncClient({ baseUrl: sync.url, account: deriveAccountKey(key) });
    const raw = await oldAccount.changes(0);
    const asText = raw.records.map((r) => Buffer.from(r.body ?? []).toString('latin1')).join();
    expect(asText).not.toContain('Old tablet');
    expect(asText).not.toContain('Phone');

    const removed = listed.find((d) => d.label === 'Old tablet')!.deviceId;
    const status = await a.sync.removeDevice(removed, {
      prf: prfBytes(1),
      credentialId: new Uint8Array([1]),
    });
    expect(status.state).toBe('synced');
    const newKey = (await a.vault.key()).slice();
    expect(newKey).not.toEqual(key);

    // the device that stays is handed the new key and confirms it with its own passkey
    expect((await b.sync.syncNow()).state).toBe('rekey');
    expect(
      (await b.sync.followRemoval({ prf: prfBytes(2), credentialId: new Uint8Array([2]) })).state,
    ).toBe('synced');
    expect(await b.vault.key()).toEqual(newKey);
    expect(await texts(b, 'k1')).toEqual(['before removal']);
    await b.vault.lock();
    await b.vault.unlock({ prf: prfBytes(2), credentialId: new Uint8Array([2]) });

    // the removed device is told, and the server refuses what it signs
    expect((await c.sync.syncNow()).state).toBe('removed');
    await expect(oldAccount.put('c:late', 0, new Uint8Array([1]))).rejects.toThrow(
      DeviceRemovedError,
    );
    await expect(oldAccount.changes(0)).rejects.toThrow(DeviceRemovedError);

    // written afterwards: reaches the device that stayed, not the removed one
    await a.history.append({
      conversationId: 'k2',
      conversation: { title: 'After', kind: 'chat' },
      messages: [say('k2', 'after removal')],
    });
    expect((await a.sync.syncNow()).state).toBe('synced');
    expect((await b.sync.syncNow()).state).toBe('synced');
    expect(await texts(b, 'k2')).toEqual(['after removal']);
    expect((await c.sync.syncNow()).state).toBe('removed');
    expect((await c.history.list()).map((x) => x.id)).toEqual(['k1']);
    await a.sync.syncNow();
    expect((await a.sync.devices()).map((d) => d.label).sort()).toEqual(['Laptop', 'Phone']);
    expect((await b.sync.devices()).map((d) => d.label).sort()).toEqual(['Laptop', 'Phone']);
  });

  it('removes the other device: later records are under a rotated key it never had, and it is told', async () => {
    const [a, b] = await pair();
    await a.history.append({
      conversationId: 'r1',
      conversation: { title: 'Before', kind: 'chat' },
      messages: [say('r1', 'before removal')],
    });
    await a.sync.syncNow();
    await b.sync.syncNow();
    expect(await texts(b, 'r1')).toEqual(['before removal']);
    const oldKey = (await a.vault.key()).slice();

    // the server cannot be reached for the retirement: A says so, and tries again at its next sync
    a.retireOffline = true;
    const status = await a.sync.removeOtherDevices({
      prf: prfBytes(1),
      credentialId: new Uint8Array([1]),
    });
    expect(status).toMatchObject({ state: 'unreachable' });
    expect((await b.sync.syncNow()).state).toBe('synced'); // not cut off yet
    a.retireOffline = false;
    expect((await a.sync.syncNow()).state).toBe('synced');
    const newKey = (await a.vault.key()).slice();
    expect(newKey).not.toEqual(oldKey);
    expect(await texts(a, 'r1')).toEqual(['before removal']); // re-sealed, still A's
    await a.history.append({
      conversationId: 'r2',
      conversation: { title: 'After', kind: 'chat' },
      messages: [say('r2', 'after removal')],
    });
    expect((await a.sync.syncNow()).state).toBe('synced');

    // B is told, and gets nothing written after its removal
    expect((await b.sync.syncNow()).state).toBe('removed');
    expect((await b.history.list()).map((c) => c.id)).toEqual(['r1']);
    // the new records live under the new key's account and do not open with the old key
    const fresh = await new SyncClient({
      baseUrl: sync.url,
      account: deriveAccountKey(newKey),
    }).changes(0);
    const manifest = fresh.records.find((r) => r.id === 'c:r2')!;
    expect(() => openManifest(oldKey, 'r2', manifest.body!)).toThrow(DecryptError);
    expect(openManifest(newKey, 'r2', manifest.body!).messages).toHaveLength(1);
    // the old account is retired: what it signs is refused
    await expect(
      new SyncClient({ baseUrl: sync.url, account: deriveAccountKey(oldKey) }).changes(0),
    ).rejects.toThrow(DeviceRemovedError);
    // A's own passkey unlocks the new key
    await a.vault.lock();
    await a.vault.unlock({ prf: prfBytes(1), credentialId: new Uint8Array([1]) });
    expect(await a.vault.key()).toEqual(newKey);
  });
});

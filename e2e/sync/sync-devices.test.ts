/**
 * Sync end to end, against the real sync service process on each store
 * (embedded PGlite and PostgreSQL): two devices pair through the service (SAS
 * equal on both screens, the vault key sealed end to end), write
 * conversations, edit one concurrently, and converge with nothing lost; the
 * server's tables, files and output hold no canary from any title or message.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  generateX25519KeyPair,
  acceptPairing,
  deriveAccountKey,
  fromBase64Url,
  offerPairing,
  SyncClient,
  toBase64Url,
  utf8,
} from '@sotto/protocol';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, type StoreTarget } from '../../backend/test/support/sync-stores';
import { startSyncProcess, type SyncProcess } from '../support/sync-process';
import { TestDevice } from './devices';

const CANARY_TITLE = 'CANARY-TITLE-7f3a9c';
const CANARY_TEXT = 'CANARY-MESSAGE-b81e44';
const CANARY_ANSWER = 'CANARY-ANSWER-2d6f10';
const CANARY_LABEL = 'CANARY-DEVICE-5e0c71';
const fast = { wait: () => new Promise<void>((r) => setTimeout(r, 20)), maxPolls: 1500 };

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** Every way a canary could sit in stored bytes: text, hex, base64, base64url. */
function forms(canary: string): string[] {
  const b = Buffer.from(canary);
  return [
    canary,
    b.toString('hex'),
    b.toString('base64').replace(/=+$/, ''),
    b.toString('base64url'),
  ];
}

describe.each(ENGINES)('two devices on the $engine store', ({ engine, make, skip }) => {
  let target: StoreTarget;
  let sync: SyncProcess;
  let a: TestDevice;
  let b: TestDevice;

  beforeAll(async () => {
    if (skip) return;
    target = await make();
    sync = await startSyncProcess(target.env);
    a = new TestDevice('a', sync.url, crypto.getRandomValues(new Uint8Array(32)));
  });
  afterAll(async () => {
    if (skip) return;
    await sync?.stop();
    await target?.cleanup();
  });

  it.skipIf(skip)(
    'pairs a new device: the same SAS on both screens, the vault key end to end',
    async () => {
      const newDevice = new SyncClient({ baseUrl: sync.url });
      const offer = await offerPairing(newDevice);
      expect(offer.code).toMatch(/^[0-9A-Z]{8}$/);
      const [shown, approving] = await Promise.all([
        offer.sas(fast),
        acceptPairing(
          new SyncClient({ baseUrl: sync.url, account: deriveAccountKey(a.vaultKey) }),
          offer.code,
          fast,
        ),
      ]);
      expect(shown.sas).toMatch(/^\d{6}$/);
      expect(shown.sas).toBe(approving.sas);
      await approving.approve(utf8(JSON.stringify({ vaultKey: toBase64Url(a.vaultKey) })));
      const payload = JSON.parse(new TextDecoder().decode(await shown.receive(fast))) as {
        vaultKey: string;
      };
      expect(fromBase64Url(payload.vaultKey)).toEqual(a.vaultKey);
      b = new TestDevice('b', sync.url, fromBase64Url(payload.vaultKey));
    },
  );

  it.skipIf(skip)('each device writes; both converge', async () => {
    a.create('c1', CANARY_TITLE, [CANARY_TEXT, CANARY_ANSWER]);
    await a.push('c1');
    const handoverKey = generateX25519KeyPair().publicKey;
    await a.replica.publishDevice({
      deviceId: 'dev-a',
      label: CANARY_LABEL,
      publicKey: handoverKey,
      addedAt: 1,
    });
    b.create('c2', 'From b', ['hello from b']);
    await b.push('c2');
    await a.pull();
    await b.pull();
    for (const d of [a, b]) {
      expect(d.texts('c1')).toEqual([CANARY_TEXT, CANARY_ANSWER]);
      expect(d.local.get('c1')!.manifest.title).toBe(CANARY_TITLE);
      expect(d.texts('c2')).toEqual(['hello from b']);
      // the device's name is listed to the devices, sealed on the server
      expect(d.replica.devices().map((x) => x.label)).toEqual([CANARY_LABEL]);
    }
  });

  it.skipIf(skip)('concurrent edits to one conversation lose nothing', async () => {
    a.append('c1', 'a offline 1');
    b.append('c1', 'b offline 1');
    b.rename('c1', 'renamed by b later');
    await a.push('c1');
    await b.push('c1'); // 409, merge, retry
    await a.pull();
    await b.pull();
    for (const d of [a, b]) {
      expect(d.texts('c1').slice(0, 2)).toEqual([CANARY_TEXT, CANARY_ANSWER]);
      expect(new Set(d.texts('c1').slice(2))).toEqual(new Set(['a offline 1', 'b offline 1']));
      expect(d.local.get('c1')!.manifest.title).toBe('renamed by b later');
    }
    expect(a.local.get('c1')!.manifest).toEqual(b.local.get('c1')!.manifest);
  });

  it.skipIf(skip)('a deletion keeps what its deleter never saw, as a copy', async () => {
    a.remove('c2');
    b.append('c2', 'written while a deleted');
    await a.push('c2');
    await b.push('c2');
    await a.pull();
    await b.pull();
    for (const d of [a, b]) {
      expect(d.local.get('c2')!.manifest.deleted).toBeDefined();
      expect(d.texts('c2-copy')).toEqual(['written while a deleted']);
    }
  });

  it.skipIf(skip)("the server's tables, files and output hold no canary", async () => {
    const canaries = [CANARY_TITLE, CANARY_TEXT, CANARY_ANSWER, CANARY_LABEL].flatMap(forms);
    const blobs: string[] = [sync.output()];
    if (engine === 'embedded') {
      for (const f of filesUnder(target.env.SOTTO_SYNC_DATA_DIR!))
        blobs.push(readFileSync(f).toString('latin1'));
    } else {
      const c = new pg.Client({ connectionString: target.env.DATABASE_URL });
      await c.connect();
      for (const t of [
        'sync_accounts',
        'sync_records',
        'sync_nonces',
        'sync_pairings',
        'sync_schema',
      ]) {
        const rows = (await c.query(`SELECT * FROM ${t}`)).rows as Record<string, unknown>[];
        expect(rows.length, t).toBeGreaterThanOrEqual(
          t === 'sync_records' || t === 'sync_accounts' ? 1 : 0,
        );
        for (const r of rows) {
          for (const v of Object.values(r)) {
            blobs.push(Buffer.isBuffer(v) ? v.toString('latin1') : String(v));
          }
        }
      }
      await c.end();
    }
    // the control: the stored bytes are there, and a canary would be found in them
    expect(blobs.join('').length).toBeGreaterThan(1000);
    expect(`x${CANARY_TEXT}x`.includes(forms(CANARY_TEXT)[0]!)).toBe(true);
    for (const blob of blobs) for (const c of canaries) expect(blob.includes(c), c).toBe(false);
  });
});

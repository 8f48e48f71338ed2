/**
 * Between local history (Dexie rows, `history.ts`) and sync copies (`@sotto/protocol`
 * sync: a manifest and sealed messages). A local message row's sealed bytes are
 * exactly the message record that syncs: the same vault key, the same AAD
 * (`sotto/message`, id, schema 1), so nothing is re-sealed on the way, and the
 * conversation's ledger is the manifest's order, times and version (except when the
 * vault key rotates: `resealHistory` seals every message again under the new key).
 */
import {
  type ConversationCopy,
  type ConversationManifest,
  IntegrityError,
  openJson,
  type RecordMeta,
  recordDigest,
  sealJson,
  type SyncReplica,
} from '@sotto/protocol';
import type { ConversationKind } from '../../messaging';
import type { ConversationRow, MessageRow, SottoDb } from '../db';
import {
  CONVERSATION_TYPE,
  type ConversationPlain,
  MESSAGE_TYPE,
  SCHEMA_VERSION,
} from '../history';
import { legacyLedger, readIndex, verifyRows, writeIndex } from '../history-ledger';

const messageMeta = (id: string): RecordMeta => ({
  id,
  type: MESSAGE_TYPE,
  schemaVersion: SCHEMA_VERSION,
});

const conversationMeta = (id: string): RecordMeta => ({
  id,
  type: CONVERSATION_TYPE,
  schemaVersion: SCHEMA_VERSION,
});

async function rowsOf(db: SottoDb, id: string): Promise<MessageRow[]> {
  return db.messages.where('conversationId').equals(id).sortBy('createdAt');
}

/**
 * Every local conversation as a sync copy, checked against its ledger.
 * Conversations that fail their checks are left out and counted.
 */
export async function readLocalCopies(
  db: SottoDb,
  key: Uint8Array,
): Promise<{ copies: ConversationCopy[]; refused: number }> {
  const copies: ConversationCopy[] = [];
  let refused = 0;
  for (const row of await db.conversations.toArray()) {
    try {
      copies.push(await copyOf(db, key, row));
    } catch {
      refused++;
    }
  }
  return { copies, refused };
}

async function copyOf(
  db: SottoDb,
  key: Uint8Array,
  row: ConversationRow,
): Promise<ConversationCopy> {
  const plain = openJson(key, conversationMeta(row.id), row.sealed) as ConversationPlain;
  const all = await rowsOf(db, row.id);
  const ledger =
    plain.ledger ?? legacyLedger(all, { createdAt: row.createdAt, updatedAt: row.updatedAt });
  const rows = plain.ledger ? verifyRows(plain.ledger, all) : all;
  const manifest: ConversationManifest = {
    conversationId: row.id,
    version: Math.max(1, ledger.version),
    title: plain.title,
    titleAt: plain.titleAt ?? ledger.createdAt,
    titleBy: plain.titleBy ?? '',
    kind: plain.kind,
    ...(plain.pageUrl !== undefined ? { pageUrl: plain.pageUrl } : {}),
    ...(plain.pageTitle !== undefined ? { pageTitle: plain.pageTitle } : {}),
    createdAt: ledger.createdAt,
    updatedAt: ledger.updatedAt,
    messages: ledger.messages,
  };
  return { manifest, messages: new Map(rows.map((r) => [r.id, r.sealed])) };
}

/** One local conversation as a sync copy, or null if there is none. */
export async function readLocalCopy(
  db: SottoDb,
  key: Uint8Array,
  id: string,
): Promise<ConversationCopy | null> {
  const row = await db.conversations.get(id);
  return row ? copyOf(db, key, row) : null;
}

/**
 * Replaces (or makes, or with a tombstone removes) a local conversation with a
 * verified sync copy, in one transaction with the history index.
 * @throws {IntegrityError} a message the manifest lists is not in the copy.
 */
export async function writeLocalCopy(
  db: SottoDb,
  key: Uint8Array,
  copy: ConversationCopy,
): Promise<void> {
  const m = copy.manifest;
  const id = m.conversationId;
  await db.transaction('rw', db.conversations, db.messages, db.settings, async () => {
    let index: Record<string, number> = {};
    try {
      index = { ...((await readIndex(db, key)) ?? {}) };
    } catch {
      // replaced below by this device's own
    }
    await db.messages.where('conversationId').equals(id).delete();
    if (m.deleted) {
      await db.conversations.delete(id);
      delete index[id];
      await writeIndex(db, key, index);
      return;
    }
    for (const e of m.messages) {
      const sealed = copy.messages.get(e.id);
      if (!sealed) throw new IntegrityError('dropped', 'a listed message is missing from the copy');
      await db.messages.put({
        id: e.id,
        conversationId: id,
        createdAt: e.createdAt,
        size: sealed.length,
        sealed,
      });
    }
    const plain: ConversationPlain = {
      title: m.title,
      kind: m.kind as ConversationKind,
      ...(m.pageUrl !== undefined ? { pageUrl: m.pageUrl } : {}),
      ...(m.pageTitle !== undefined ? { pageTitle: m.pageTitle } : {}),
      titleAt: m.titleAt,
      titleBy: m.titleBy,
      ledger: {
        version: m.version,
        createdAt: m.createdAt,
        updatedAt: m.updatedAt,
        messages: m.messages,
      },
    };
    const sealed = sealJson(key, conversationMeta(id), plain);
    await db.conversations.put({
      id,
      createdAt: m.createdAt,
      updatedAt: m.updatedAt,
      size: sealed.length,
      messageCount: m.messages.length,
      sealed,
    });
    index[id] = m.version;
    await writeIndex(db, key, index);
  });
}

/** The local ids of every conversation (for what the server does not list yet). */
export async function localIds(db: SottoDb): Promise<string[]> {
  return (await db.conversations.toCollection().primaryKeys()) as string[];
}

/** Re-seals local history from one vault key to another (inside the vault's rotation). */
export async function resealHistory(
  db: SottoDb,
  oldKey: Uint8Array,
  newKey: Uint8Array,
): Promise<void> {
  const { copies } = await readLocalCopies(db, oldKey);
  for (const c of copies) {
    const messages = new Map<string, Uint8Array>();
    const entries = c.manifest.messages.map((e) => {
      const sealed = sealJson(
        newKey,
        messageMeta(e.id),
        openJson(oldKey, messageMeta(e.id), c.messages.get(e.id)!),
      );
      messages.set(e.id, sealed);
      return { ...e, digest: recordDigest(sealed) };
    });
    await writeLocalCopy(db, newKey, {
      manifest: { ...c.manifest, version: c.manifest.version + 1, messages: entries },
      messages,
    });
  }
}

/**
 * A pulled copy carries only the bytes that pull brought (the replica keeps digests of
 * what it handed over before): the rest come from local history when the digest the
 * manifest lists matches, else from the server, checked the same way.
 * @throws {IntegrityError} the server no longer has one, or other bytes.
 */
export async function completeCopy(
  remote: ConversationCopy,
  local: ConversationCopy | undefined,
  replica: SyncReplica,
): Promise<void> {
  if (remote.manifest.deleted) return;
  for (const e of remote.manifest.messages) {
    if (remote.messages.has(e.id)) continue;
    const mine = local?.messages.get(e.id);
    remote.messages.set(
      e.id,
      mine && recordDigest(mine) === e.digest
        ? mine
        : await replica.fetchMessage(remote.manifest.conversationId, e),
    );
  }
}

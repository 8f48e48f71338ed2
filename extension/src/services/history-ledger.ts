/**
 * Authenticated order and membership for local history (issue 14), with the
 * same checks the sync client runs on a server (`@sotto/protocol` sync/integrity.ts).
 *
 * Each conversation's sealed record carries a ledger: a version that grows on
 * every change, its times, and the ordered list of its messages as
 * (id, SHA-256 of the sealed row, createdAt). Times and counts shown come from
 * the ledger, never from the clear columns (those only sort and size). A
 * sealed history index, kept beside the settings row, holds the latest version
 * of every conversation, so one row put back from an older copy (a rename
 * undone, a message removed) or a deleted conversation brought back is caught.
 *
 * What a device alone cannot see: the whole database replaced, index and rows
 * together, by an earlier copy of itself. Sync compares against the server for that.
 */
import {
  IntegrityError,
  type ManifestEntry,
  openJson,
  recordDigest,
  type RecordMeta,
  sealJson,
  verifyMembership,
} from '@sotto/protocol';
import type { MessageRow, SettingsRow, SottoDb } from './db';
import { ServiceFailure } from './failure';

/** What a conversation's sealed record authenticates about it. */
export interface Ledger {
  version: number;
  createdAt: number;
  updatedAt: number;
  messages: ManifestEntry[];
}

const INDEX_KEY = 'history-index';
/** The sync replica's row beside it: erased with history, so a wiped device never pushes deletions. */
export const SYNC_STATE_KEY = 'sync-state';
const INDEX_META: RecordMeta = { id: INDEX_KEY, type: 'sotto/history-index', schemaVersion: 1 };

/** Conversation id → latest ledger version this device wrote. */
export type HistoryIndex = Record<string, number>;

/** The ledger entry of a sealed message row. */
export function entryOf(row: MessageRow): ManifestEntry {
  return { id: row.id, digest: recordDigest(row.sealed), createdAt: row.createdAt };
}

/** A ledger for rows written before ledgers existed (upgraded on the next write). */
export function legacyLedger(
  rows: readonly MessageRow[],
  times: { createdAt: number; updatedAt: number },
): Ledger {
  return { version: 0, ...times, messages: rows.map(entryOf) };
}

/** The failure a page shows when stored history fails its checks. */
export function tampered(cause: unknown): ServiceFailure {
  return new ServiceFailure(
    {
      code: 'tampered',
      message:
        'This conversation was changed outside Sotto (a message removed, moved or replaced, or an older copy put back). It is not shown.',
      messageKey: 'errors.tampered',
      retryable: false,
    },
    { cause },
  );
}

/**
 * The rows the ledger lists, in its order. Rows it does not list are left out.
 * @throws {IntegrityError} a listed message is missing or its bytes differ.
 */
export function verifyRows(ledger: Ledger, rows: readonly MessageRow[]): MessageRow[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  return verifyMembership(
    ledger,
    rows.map((r) => ({ id: r.id, sealed: r.sealed })),
    { ignoreUnlisted: true },
  ).map((r) => byId.get(r.id)!);
}

/**
 * Checks a conversation's ledger version against the index.
 * @throws {IntegrityError} `rolled-back` (older than the index), `unexpected` (not in it:
 *   brought back) or `dropped` (the index itself removed).
 */
export function checkAgainstIndex(index: HistoryIndex | null, id: string, ledger: Ledger): void {
  if (ledger.version === 0) return;
  if (index === null) throw new IntegrityError('dropped', 'the history index is missing');
  const known = index[id];
  if (known === undefined)
    throw new IntegrityError('unexpected', 'a conversation the index does not list');
  if (ledger.version < known) throw new IntegrityError('rolled-back', 'a conversation went back');
}

/** Reads the sealed index; null when none was written yet. @throws {IntegrityError} it does not open. */
export async function readIndex(db: SottoDb, key: Uint8Array): Promise<HistoryIndex | null> {
  const row = (await db.settings.get(INDEX_KEY as SettingsRow['key'])) as
    { value: unknown } | undefined;
  if (!row) return null;
  try {
    const v = openJson(key, INDEX_META, row.value as Uint8Array) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TypeError('index shape');
    return v as HistoryIndex;
  } catch (cause) {
    throw new IntegrityError('tampered', 'the history index does not open', { cause });
  }
}

/** Writes the sealed index (inside the caller's transaction over `settings`). */
export async function writeIndex(db: SottoDb, key: Uint8Array, index: HistoryIndex): Promise<void> {
  await db.settings.put({
    key: INDEX_KEY as SettingsRow['key'],
    value: sealJson(key, INDEX_META, index),
  });
}

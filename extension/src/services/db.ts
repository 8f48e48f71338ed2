/**
 * The extension's IndexedDB (Dexie), owned by the service worker.
 *
 * At rest, only ids, timestamps and sizes are in clear. Titles, page URLs and
 * message text sit inside `sealed` (a `@sotto/protocol` sealed record under the
 * vault key, AAD = record id + type + schema version). The vault row holds the
 * vault key wrapped under the passkey's KEK, with the public values needed to
 * ask for that passkey again. Settings hold no content and are in clear.
 */
import { Dexie, type DexieOptions, type EntityTable } from 'dexie';

/** A conversation row. `sealed` opens to {@link ConversationPlain}. */
export interface ConversationRow {
  id: string;
  createdAt: number;
  updatedAt: number;
  /** Bytes of `sealed` (so storage use can be shown without opening). */
  size: number;
  messageCount: number;
  sealed: Uint8Array;
}

/** A message row. `sealed` opens to {@link MessagePlain}. */
export interface MessageRow {
  id: string;
  conversationId: string;
  createdAt: number;
  size: number;
  sealed: Uint8Array;
}

export interface SettingsRow {
  /** `settings`: the user's settings; `dev-trust`: development enclaves accepted per relay (dev-trust.ts). */
  key: 'settings' | 'dev-trust';
  value: unknown;
}

/** The one vault row: the wrapped vault key and the public passkey parameters. */
export interface VaultRow {
  key: 'vault';
  /** WebAuthn raw credential id the wrapped key is bound to (wrap AAD). */
  credentialId: Uint8Array;
  /** The PRF `eval.first` input the passkey is asked with. */
  prfSalt: Uint8Array;
  /** HKDF salt of the KEK (protocol sealed/vault-key.ts). */
  kekSalt: Uint8Array;
  /** The vault key wrapped under the KEK (73 bytes). */
  wrapped: Uint8Array;
  createdAt: number;
}

export const DB_NAME = 'sotto';

export type SottoDb = Dexie & {
  conversations: EntityTable<ConversationRow, 'id'>;
  messages: EntityTable<MessageRow, 'id'>;
  settings: EntityTable<SettingsRow, 'key'>;
  vault: EntityTable<VaultRow, 'key'>;
};

/**
 * Opens (lazily) the Sotto database. `options` passes `indexedDB`/`IDBKeyRange`
 * for Node tests (fake-indexeddb); the browser uses its own.
 */
export function openDb(name = DB_NAME, options?: DexieOptions): SottoDb {
  const db = new Dexie(name, options) as SottoDb;
  db.version(1).stores({
    conversations: 'id, updatedAt',
    messages: 'id, conversationId, [conversationId+createdAt]',
    settings: 'key',
    vault: 'key',
  });
  return db;
}

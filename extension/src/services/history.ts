/**
 * Chat history, sealed record by record under the vault key (DESIGN.md "History").
 * In clear: ids, timestamps, sizes, message counts. Sealed (protocol sealed/record.ts,
 * XChaCha20-Poly1305, AAD = id + type + schema version): titles, kinds, page URLs
 * and titles, message text, evidence summaries. A message's plaintext also names
 * its conversation, so a row moved to another conversation is refused on open.
 * Search opens every record in the worker; nothing is indexed in clear.
 */
import { DecryptError, IntegrityError, openJson, type RecordMeta, sealJson } from '@sotto/protocol';
import { Dexie } from 'dexie';
import type { ConversationKind, ConversationSummary, StoredMessage } from '../messaging';
import type { ConversationRow, MessageRow, SettingsRow, SottoDb } from './db';
import { ServiceFailure } from './failure';
import {
  checkAgainstIndex,
  entryOf,
  type HistoryIndex,
  type Ledger,
  legacyLedger,
  readIndex,
  SYNC_STATE_KEY,
  tampered,
  verifyRows,
  writeIndex,
} from './history-ledger';
import { snippetOf } from './history-snippet';
import type { VaultService } from './vault';

export const CONVERSATION_TYPE = 'sotto/conversation';
export const MESSAGE_TYPE = 'sotto/message';
export const SCHEMA_VERSION = 1;
export const MAX_TITLE_CHARS = 200;
/** Most conversations one bulk delete may name. */
export const MAX_BULK_DELETE = 1000;

/** The settings row naming the open conversation, sealed (its id is content: what was read last). */
const OPEN_KEY = 'open-conversation';
const OPEN_META: RecordMeta = { id: OPEN_KEY, type: 'sotto/open-conversation', schemaVersion: 1 };

/** What a conversation row's `sealed` opens to. */
export interface ConversationPlain {
  title: string;
  kind: ConversationKind;
  pageUrl?: string;
  pageTitle?: string;
  truncated?: boolean;
  /** When the title was last set, and by which device (sync: last writer wins). */
  titleAt?: number;
  titleBy?: string;
  /** Authenticated times, version and message list (history-ledger.ts); absent on rows from before it. */
  ledger?: Ledger;
  /** Pinned to the top of the list. */
  pinned?: boolean;
  /** The conversation's system prompt (sent first with each request). */
  systemPrompt?: string;
}

/** What a message row's `sealed` opens to. */
export type MessagePlain = Omit<StoredMessage, 'id' | 'createdAt'>;

const conversationMeta = (id: string): RecordMeta => ({
  id,
  type: CONVERSATION_TYPE,
  schemaVersion: SCHEMA_VERSION,
});
const messageMeta = (id: string): RecordMeta => ({
  id,
  type: MESSAGE_TYPE,
  schemaVersion: SCHEMA_VERSION,
});

function notFound(): ServiceFailure {
  return new ServiceFailure({
    code: 'not-found',
    message: 'That conversation no longer exists.',
    messageKey: 'errors.notFound',
    retryable: false,
  });
}

/** A fresh random id (UUID v4). */
export function newId(): string {
  return crypto.randomUUID();
}

/** A title from the first words of a prompt. */
export function titleFrom(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  if (oneLine.length === 0) return 'New chat';
  return oneLine.length > 60 ? `${oneLine.slice(0, 59)}…` : oneLine;
}

/** A new message to store. */
export interface NewMessage extends MessagePlain {
  id?: string;
  createdAt?: number;
}

export class HistoryService {
  readonly #db: SottoDb;
  readonly #vault: VaultService;
  readonly #now: () => number;

  constructor(db: SottoDb, vault: VaultService, options: { now?: () => number } = {}) {
    this.#db = db;
    this.#vault = vault;
    this.#now = options.now ?? Date.now;
  }

  #openConversation(
    key: Uint8Array,
    row: ConversationRow,
    index?: HistoryIndex | null,
  ): ConversationSummary {
    const plain = openJson(key, conversationMeta(row.id), row.sealed) as ConversationPlain;
    const ledger = plain.ledger;
    if (ledger && index !== undefined) checkAgainstIndex(index, row.id, ledger);
    return {
      id: row.id,
      title: plain.title,
      kind: plain.kind,
      ...(plain.pageUrl !== undefined ? { pageUrl: plain.pageUrl } : {}),
      // Shown from the sealed ledger; the clear columns only sort and size.
      createdAt: ledger?.createdAt ?? row.createdAt,
      updatedAt: ledger?.updatedAt ?? row.updatedAt,
      messageCount: ledger?.messages.length ?? row.messageCount,
      ...(plain.pinned === true ? { pinned: true } : {}),
      ...(typeof plain.systemPrompt === 'string' && plain.systemPrompt
        ? { systemPrompt: plain.systemPrompt }
        : {}),
    };
  }

  /** The ledger of an opened conversation, or one made from its rows (legacy). */
  #ledgerOf(plain: ConversationPlain, row: ConversationRow, rows: MessageRow[]): Ledger {
    return (
      plain.ledger ?? legacyLedger(rows, { createdAt: row.createdAt, updatedAt: row.updatedAt })
    );
  }

  /** Verified rows of a conversation in ledger order. @throws {ServiceFailure} `tampered`. */
  async #verifiedRows(
    key: Uint8Array,
    row: ConversationRow,
  ): Promise<{ plain: ConversationPlain; rows: MessageRow[] }> {
    const plain = openJson(key, conversationMeta(row.id), row.sealed) as ConversationPlain;
    const all = await this.#messageRows(row.id);
    try {
      if (plain.ledger) checkAgainstIndex(await readIndex(this.#db, key), row.id, plain.ledger);
      return { plain, rows: plain.ledger ? verifyRows(plain.ledger, all) : all };
    } catch (e) {
      if (e instanceof IntegrityError) throw tampered(e);
      throw e;
    }
  }

  async #setIndex(key: Uint8Array, id: string, version: number | undefined): Promise<void> {
    let index: HistoryIndex = {};
    try {
      index = { ...((await readIndex(this.#db, key)) ?? {}) };
    } catch {
      // an index that does not open is replaced by this device's own
    }
    if (version === undefined) delete index[id];
    else index[id] = version;
    await writeIndex(this.#db, key, index);
  }

  #openMessage(key: Uint8Array, row: MessageRow): StoredMessage {
    const plain = openJson(key, messageMeta(row.id), row.sealed) as MessagePlain;
    if (plain.conversationId !== row.conversationId) {
      throw new DecryptError('sealed message belongs to another conversation');
    }
    return { ...plain, id: row.id, createdAt: row.createdAt };
  }

  #sealConversation(
    key: Uint8Array,
    id: string,
    plain: ConversationPlain,
    times: { createdAt: number; updatedAt: number },
    messageCount: number,
  ): ConversationRow {
    const sealed = sealJson(key, conversationMeta(id), plain);
    return { id, ...times, size: sealed.length, messageCount, sealed };
  }

  #sealMessage(key: Uint8Array, id: string, createdAt: number, plain: MessagePlain): MessageRow {
    const sealed = sealJson(key, messageMeta(id), plain);
    return { id, conversationId: plain.conversationId, createdAt, size: sealed.length, sealed };
  }

  async #messageRows(conversationId: string): Promise<MessageRow[]> {
    return this.#db.messages
      .where('[conversationId+createdAt]')
      .between([conversationId, Dexie.minKey], [conversationId, Dexie.maxKey])
      .toArray();
  }

  /** Every conversation, newest first. Rows that fail to open are skipped (treated as hostile). */
  async list(): Promise<ConversationSummary[]> {
    const key = await this.#vault.key();
    const rows = await this.#db.conversations.orderBy('updatedAt').reverse().toArray();
    let index: HistoryIndex | null;
    try {
      index = await readIndex(this.#db, key);
    } catch {
      index = {}; // an index that does not open vouches for nothing
    }
    const out: ConversationSummary[] = [];
    for (const row of rows) {
      try {
        out.push(this.#openConversation(key, row, index));
      } catch {
        // a record that does not open is not shown
      }
    }
    return out;
  }

  /** One conversation with its messages in order. @throws {ServiceFailure} `not-found`, `locked`. */
  async get(
    conversationId: string,
  ): Promise<{ conversation: ConversationSummary; messages: StoredMessage[] }> {
    const key = await this.#vault.key();
    const row = await this.#db.conversations.get(conversationId);
    if (!row) throw notFound();
    const conversation = this.#openConversation(key, row);
    const { rows: verified, plain } = await this.#verifiedRows(key, row);
    const messages: StoredMessage[] = [];
    for (const m of verified) {
      try {
        messages.push(this.#openMessage(key, m));
      } catch {
        // skip a message that does not open
      }
    }
    if (plain.ledger) {
      // A listed message that does not open is a tampered row, not one to skip.
      if (messages.length !== verified.length)
        throw tampered(new DecryptError('a listed message does not open'));
      const times = new Map(plain.ledger.messages.map((e) => [e.id, e.createdAt]));
      for (const m of messages) m.createdAt = times.get(m.id) ?? m.createdAt;
    }
    return { conversation, messages };
  }

  /**
   * Stores messages in a conversation, making the conversation if it is new.
   * `replaceLastAssistant` removes the latest assistant message first (Regenerate).
   * @throws {ServiceFailure} `locked`/`no-vault`.
   */
  async append(input: {
    conversationId: string;
    conversation: ConversationPlain;
    messages: NewMessage[];
    replaceLastAssistant?: boolean;
    /** Imported conversations keep their times. */
    times?: { createdAt: number; updatedAt: number };
    /** The system prompt now: a string sets it, `null` clears it, absent leaves it. */
    systemPrompt?: string | null;
  }): Promise<string[]> {
    const key = await this.#vault.key();
    const { conversationId } = input;
    const ids: string[] = [];
    await this.#db.transaction(
      'rw',
      this.#db.conversations,
      this.#db.messages,
      this.#db.settings,
      async () => {
        const existing = await this.#db.conversations.get(conversationId);
        const current = existing ? await this.#verifiedRows(key, existing) : undefined;
        const rows = current ? current.rows : [];
        const entries =
          current && existing ? [...this.#ledgerOf(current.plain, existing, rows).messages] : [];
        let count = existing ? existing.messageCount : 0;
        let t = Math.max(this.#now(), ...rows.map((r) => r.createdAt + 1));
        if (input.replaceLastAssistant) {
          for (let i = rows.length - 1; i >= 0; i--) {
            const r = rows[i]!;
            let plain: MessagePlain;
            try {
              plain = this.#openMessage(key, r);
            } catch {
              continue; // a row that does not open is never treated as the answer
            }
            if (plain.role === 'assistant') {
              await this.#db.messages.delete(r.id);
              const at = entries.findIndex((e) => e.id === r.id);
              if (at >= 0) entries.splice(at, 1);
              count--;
              break;
            }
          }
        }
        for (const m of input.messages) {
          const id = m.id ?? newId();
          const createdAt = m.createdAt ?? t++;
          const { id: _id, createdAt: _c, ...plain } = m;
          const sealedRow = this.#sealMessage(key, id, createdAt, { ...plain, conversationId });
          await this.#db.messages.add(sealedRow);
          entries.push(entryOf(sealedRow));
          ids.push(id);
          count++;
        }
        const now = Math.max(this.#now(), t);
        const times = existing
          ? { createdAt: current!.plain.ledger?.createdAt ?? existing.createdAt, updatedAt: now }
          : (input.times ?? { createdAt: this.#now(), updatedAt: now });
        const version = (current?.plain.ledger?.version ?? 0) + 1;
        const stored = existing ? current!.plain : input.conversation;
        const { systemPrompt: _sp, ...withoutPrompt } = stored;
        const base: ConversationPlain =
          input.systemPrompt === undefined
            ? stored
            : input.systemPrompt === null
              ? withoutPrompt
              : { ...withoutPrompt, systemPrompt: input.systemPrompt };
        const row = this.#sealConversation(
          key,
          conversationId,
          { ...base, ledger: { version, ...times, messages: entries } },
          times,
          count,
        );
        await this.#db.conversations.put(row);
        await this.#setIndex(key, conversationId, version);
      },
    );
    return ids;
  }

  /** True when a conversation row with this id exists (no key needed). */
  async has(conversationId: string): Promise<boolean> {
    return (await this.#db.conversations.get(conversationId)) !== undefined;
  }

  /** The opened conversation record itself (for backups). @throws {ServiceFailure} `not-found`, `locked`. */
  async plainOf(conversationId: string): Promise<ConversationPlain> {
    const key = await this.#vault.key();
    const row = await this.#db.conversations.get(conversationId);
    if (!row) throw notFound();
    return openJson(key, conversationMeta(row.id), row.sealed) as ConversationPlain;
  }

  /** Renames a conversation. @throws {ServiceFailure} `not-found`, `invalid`, `locked`. */
  async rename(conversationId: string, title: string): Promise<ConversationSummary> {
    const clean = String(title).replace(/\s+/g, ' ').trim().slice(0, MAX_TITLE_CHARS);
    if (!clean) {
      throw new ServiceFailure({
        code: 'invalid',
        message: 'A title cannot be empty.',
        messageKey: 'errors.titleEmpty',
        retryable: false,
      });
    }
    return this.#update(conversationId, (plain) => ({
      ...plain,
      title: clean,
      titleAt: this.#now(),
      titleBy: '',
    }));
  }

  /** Pins a conversation to the top of the list, or unpins it. @throws {ServiceFailure} `not-found`, `locked`. */
  async setPinned(conversationId: string, pinned: boolean): Promise<ConversationSummary> {
    return this.#update(conversationId, (plain) => {
      const { pinned: _was, ...rest } = plain;
      return pinned ? { ...rest, pinned: true } : rest;
    });
  }

  /** Reseals a conversation record changed by `change` (a new ledger version; messages untouched). */
  async #update(
    conversationId: string,
    change: (plain: ConversationPlain) => ConversationPlain,
  ): Promise<ConversationSummary> {
    const key = await this.#vault.key();
    return this.#db.transaction(
      'rw',
      this.#db.conversations,
      this.#db.messages,
      this.#db.settings,
      async () => {
        const row = await this.#db.conversations.get(conversationId);
        if (!row) throw notFound();
        const { plain, rows } = await this.#verifiedRows(key, row);
        const ledger = this.#ledgerOf(plain, row, rows);
        const next = this.#sealConversation(
          key,
          row.id,
          { ...change(plain), ledger: { ...ledger, version: ledger.version + 1 } },
          { createdAt: ledger.createdAt, updatedAt: ledger.updatedAt },
          ledger.messages.length,
        );
        await this.#db.conversations.put(next);
        await this.#setIndex(key, row.id, ledger.version + 1);
        return this.#openConversation(key, next);
      },
    );
  }

  /** Deletes a conversation and its messages. Needs the vault unlocked. */
  async delete(conversationId: string): Promise<void> {
    const key = await this.#vault.key();
    await this.#db.transaction(
      'rw',
      this.#db.conversations,
      this.#db.messages,
      this.#db.settings,
      async () => {
        await this.#db.messages.where('conversationId').equals(conversationId).delete();
        await this.#db.conversations.delete(conversationId);
        await this.#setIndex(key, conversationId, undefined);
      },
    );
  }

  /**
   * Deletes several conversations in one transaction: all of them or, on a failure, none.
   * @throws {ServiceFailure} `invalid` (not a list of ids, or too many), `locked`.
   */
  async deleteMany(conversationIds: unknown): Promise<number> {
    if (
      !Array.isArray(conversationIds) ||
      conversationIds.length > MAX_BULK_DELETE ||
      !conversationIds.every((id) => typeof id === 'string' && id.length > 0 && id.length <= 100)
    ) {
      throw new ServiceFailure({
        code: 'invalid',
        message: 'Choose the conversations to delete.',
        messageKey: 'history.chooseToDelete',
        retryable: false,
      });
    }
    const ids = [...new Set(conversationIds as string[])];
    const key = await this.#vault.key();
    let deleted = 0;
    await this.#db.transaction(
      'rw',
      this.#db.conversations,
      this.#db.messages,
      this.#db.settings,
      async () => {
        let index: HistoryIndex = {};
        try {
          index = { ...((await readIndex(this.#db, key)) ?? {}) };
        } catch {
          // an index that does not open is replaced by this device's own
        }
        for (const id of ids) {
          if (await this.#db.conversations.get(id)) deleted++;
          await this.#db.messages.where('conversationId').equals(id).delete();
          await this.#db.conversations.delete(id);
          delete index[id];
        }
        await writeIndex(this.#db, key, index);
      },
    );
    return deleted;
  }

  /** Remembers (sealed) which conversation is open; `null` for an empty chat. */
  async setOpen(conversationId: string | null): Promise<void> {
    const key = await this.#vault.key();
    const id =
      typeof conversationId === 'string' &&
      conversationId.length > 0 &&
      conversationId.length <= 100
        ? conversationId
        : null;
    await this.#db.settings.put({
      key: OPEN_KEY as SettingsRow['key'],
      value: sealJson(key, OPEN_META, { conversationId: id }),
    });
  }

  /** The conversation last open, if it still exists and opens; else `null`. */
  async getOpen(): Promise<string | null> {
    const key = await this.#vault.key();
    const row = (await this.#db.settings.get(OPEN_KEY as SettingsRow['key'])) as
      { value: unknown } | undefined;
    if (!row) return null;
    try {
      const v = openJson(key, OPEN_META, row.value as Uint8Array) as { conversationId?: unknown };
      const id = typeof v.conversationId === 'string' ? v.conversationId : null;
      return id && (await this.has(id)) ? id : null;
    } catch {
      return null; // a row that does not open names nothing
    }
  }

  /**
   * Conversations whose title, page URL or any message contains `query` (case-insensitive),
   * each with a snippet of where it matched (a message first, else the title or URL).
   */
  async search(query: string): Promise<ConversationSummary[]> {
    const raw = String(query).trim();
    const q = raw.toLocaleLowerCase();
    const all = await this.list();
    if (!q) return all;
    const key = await this.#vault.key();
    const out: ConversationSummary[] = [];
    for (const c of all) {
      if (c.title.toLocaleLowerCase().includes(q) || c.pageUrl?.toLocaleLowerCase().includes(q)) {
        const snippet = snippetOf(c.title, raw) ?? snippetOf(c.pageUrl ?? '', raw);
        out.push(snippet ? { ...c, snippet } : c);
        continue;
      }
      for (const m of await this.#messageRows(c.id)) {
        let text: string;
        try {
          text = this.#openMessage(key, m).content;
        } catch {
          continue;
        }
        if (text.toLocaleLowerCase().includes(q)) {
          const snippet = snippetOf(text, raw);
          out.push(snippet ? { ...c, snippet } : c);
          break;
        }
      }
    }
    return out;
  }

  /** Raw rows for backup (still sealed). */
  async rows(): Promise<{ conversations: ConversationRow[]; messages: MessageRow[] }> {
    return {
      conversations: await this.#db.conversations.toArray(),
      messages: await this.#db.messages.toArray(),
    };
  }

  /** Empties conversations and messages. */
  async clear(): Promise<void> {
    await this.#db.transaction(
      'rw',
      this.#db.conversations,
      this.#db.messages,
      this.#db.settings,
      async () => {
        await this.#db.conversations.clear();
        await this.#db.messages.clear();
        await this.#db.settings.bulkDelete([
          'history-index',
          SYNC_STATE_KEY,
          OPEN_KEY,
        ] as unknown as 'settings'[]);
      },
    );
  }
}

/**
 * Encrypted export and import of the whole history (protocol sealed/backup.ts).
 * The file is sealed under a key derived from the vault key; its clear envelope
 * carries the passkey credential id and the wrapped vault key (public values:
 * only that passkey's PRF output unwraps it).
 *
 * Payload (inside the seal) = UTF-8 JSON:
 *   { format: "sotto-history/1", exportedAt, conversations: [
 *       { id, createdAt, updatedAt, conversation: ConversationPlain,
 *         messages: [{ id, createdAt, message: MessagePlain }] } ],
 *     prompts?: SavedPrompt[] }   (saved prompts; absent in backups from before them)
 */
import {
  type BackupEnvelope,
  DecryptError,
  fromUtf8,
  openBackup,
  readBackupEnvelope,
  sealBackup,
  utf8,
} from '@sotto/protocol';
import type { ConversationKind, SavedPrompt, StoredMessage } from '../messaging';
import { ServiceFailure } from './failure';
import type { ConversationPlain, HistoryService, MessagePlain } from './history';
import type { SavedPromptsService } from './saved-prompts';
import type { VaultService } from './vault';
import type { MessageKey } from '../i18n';

export const BACKUP_FORMAT = 'sotto-history/1';
/** Largest backup file accepted for import. */
export const MAX_BACKUP_BYTES = 64 * 1024 * 1024;

interface BackupConversation {
  id: string;
  createdAt: number;
  updatedAt: number;
  conversation: ConversationPlain;
  messages: { id: string; createdAt: number; message: MessagePlain }[];
}

interface BackupPayload {
  format: typeof BACKUP_FORMAT;
  exportedAt: number;
  conversations: BackupConversation[];
  prompts?: SavedPrompt[];
}

/** `key`: the locale key the pages show instead of `message`. */
function invalidBackup(message: string, key: MessageKey, cause?: unknown): ServiceFailure {
  return new ServiceFailure(
    { code: 'backup-invalid', message, messageKey: key, retryable: false },
    { cause },
  );
}

const KINDS: readonly ConversationKind[] = ['chat', 'summarize', 'rewrite'];
const ROLES: readonly StoredMessage['role'][] = ['system', 'user', 'assistant'];

function isId(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= 100;
}
function isTime(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

/** Checks a parsed payload field by field. @throws {ServiceFailure} `backup-invalid`. */
function checkPayload(v: unknown): BackupPayload {
  const p = v as BackupPayload;
  if (!p || p.format !== BACKUP_FORMAT || !Array.isArray(p.conversations)) {
    throw invalidBackup('This file is not a Sotto history backup.', 'backup.notBackup');
  }
  for (const c of p.conversations) {
    const ok =
      c &&
      isId(c.id) &&
      isTime(c.createdAt) &&
      isTime(c.updatedAt) &&
      c.conversation &&
      typeof c.conversation.title === 'string' &&
      KINDS.includes(c.conversation.kind) &&
      Array.isArray(c.messages) &&
      c.messages.every(
        (m) =>
          m &&
          isId(m.id) &&
          isTime(m.createdAt) &&
          m.message &&
          m.message.conversationId === c.id &&
          ROLES.includes(m.message.role) &&
          typeof m.message.content === 'string' &&
          (m.message.status === 'complete' || m.message.status === 'stopped'),
      );
    if (!ok)
      throw invalidBackup('The backup holds a record that is not well formed.', 'backup.malformed');
  }
  return p;
}

/**
 * The clear envelope of a backup: the passkey credential and the wrapped vault key.
 * @throws {ServiceFailure} `backup-invalid` when the file is not a backup or has no envelope.
 */
export function backupEnvelope(bytes: Uint8Array): BackupEnvelope {
  let envelope: BackupEnvelope | undefined;
  try {
    envelope = readBackupEnvelope(bytes);
  } catch (e) {
    throw invalidBackup('This file is not a Sotto history backup.', 'backup.notBackup', e);
  }
  if (!envelope)
    throw invalidBackup(
      'This backup carries no vault key; it cannot be restored here.',
      'backup.noKey',
    );
  return envelope;
}

export class BackupService {
  readonly #history: HistoryService;
  readonly #vault: VaultService;
  readonly #now: () => number;
  readonly #prompts: SavedPromptsService | undefined;

  constructor(
    history: HistoryService,
    vault: VaultService,
    options: { now?: () => number; prompts?: SavedPromptsService } = {},
  ) {
    this.#history = history;
    this.#vault = vault;
    this.#now = options.now ?? Date.now;
    this.#prompts = options.prompts;
  }

  /** Seals every conversation into one backup file. @throws {ServiceFailure} `locked`/`no-vault`. */
  async export(): Promise<{
    bytes: Uint8Array;
    conversations: number;
    messages: number;
    prompts: number;
  }> {
    const key = await this.#vault.key();
    const row = await this.#vault.lockedKey();
    const conversations: BackupConversation[] = [];
    let messages = 0;
    for (const summary of await this.#history.list()) {
      const { conversation, messages: list } = await this.#history.get(summary.id);
      const plain = await this.#history.plainOf(summary.id);
      conversations.push({
        id: conversation.id,
        createdAt: conversation.createdAt,
        updatedAt: conversation.updatedAt,
        conversation: plain,
        messages: list.map(({ id, createdAt, ...message }) => ({ id, createdAt, message })),
      });
      messages += list.length;
    }
    const prompts = (await this.#prompts?.list()) ?? [];
    const payload: BackupPayload = {
      format: BACKUP_FORMAT,
      exportedAt: this.#now(),
      conversations,
      ...(prompts.length > 0 ? { prompts } : {}),
    };
    const bytes = sealBackup(key, utf8(JSON.stringify(payload)), {
      envelope: {
        credentialId: row.credentialId,
        locked: { salt: row.kekSalt, wrapped: row.wrapped },
      },
    });
    return { bytes, conversations: conversations.length, messages, prompts: prompts.length };
  }

  /**
   * Opens a backup made by this vault and adds what is not already here (existing ids are kept).
   * @throws {ServiceFailure} `backup-invalid` (another vault, altered, not a backup), `locked`.
   */
  async import(
    bytes: Uint8Array,
  ): Promise<{ conversations: number; messages: number; present: number; prompts: number }> {
    if (bytes.length > MAX_BACKUP_BYTES)
      throw invalidBackup('The backup file is too large.', 'backup.tooLarge');
    const key = await this.#vault.key();
    let payload: BackupPayload;
    try {
      payload = checkPayload(JSON.parse(fromUtf8(openBackup(key, bytes))));
    } catch (e) {
      if (e instanceof ServiceFailure) throw e;
      if (e instanceof DecryptError) {
        throw invalidBackup(
          'This backup was made by another vault or was altered; it cannot be opened here.',
          'backup.otherVault',
          e,
        );
      }
      throw invalidBackup('This file is not a Sotto history backup.', 'backup.notBackup', e);
    }
    // Prompts first: a malformed one refuses the whole file before any conversation is added.
    let prompts = 0;
    if (payload.prompts !== undefined) {
      if (!this.#prompts)
        throw invalidBackup('Saved prompts cannot be imported here.', 'backup.promptsUnsupported');
      try {
        prompts = await this.#prompts.merge(payload.prompts);
      } catch (e) {
        if (e instanceof ServiceFailure && e.info.code === 'invalid')
          throw invalidBackup(
            'The backup holds a saved prompt that is not well formed.',
            'backup.promptMalformed',
            e,
          );
        throw e;
      }
    }
    let conversations = 0;
    let messages = 0;
    let present = 0;
    for (const c of payload.conversations) {
      if (await this.#history.has(c.id)) {
        present++;
        continue;
      }
      await this.#history.append({
        conversationId: c.id,
        conversation: c.conversation,
        messages: c.messages.map((m) => ({ ...m.message, id: m.id, createdAt: m.createdAt })),
        times: { createdAt: c.createdAt, updatedAt: c.updatedAt },
      });
      conversations++;
      messages += c.messages.length;
    }
    return { conversations, messages, present, prompts };
  }
}

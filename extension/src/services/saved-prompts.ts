/**
 * Saved prompts and custom actions ("Explain like I'm 12", "Reply politely to this
 * e-mail"): named, ordered, run in chat, on the page or on a selection. The whole list
 * is one record sealed under the vault key in the settings table (names and texts are
 * the user's writing, sealed like history); nothing about it is in clear but its size.
 * Validation is strict: the list crosses from the panel and from backups.
 */
import { openJson, type RecordMeta, sealJson } from '@sotto/protocol';
import type { MessageKey } from '../i18n';
import type { SavedPrompt } from '../messaging';
import type { SettingsRow, SottoDb } from './db';
import { ServiceFailure } from './failure';
import type { VaultService } from './vault';

export const MAX_PROMPTS = 100;
export const MAX_PROMPT_NAME = 80;
export const MAX_PROMPT_TEXT = 8000;

const ROW_KEY = 'saved-prompts';
const META: RecordMeta = { id: ROW_KEY, type: 'sotto/saved-prompts', schemaVersion: 1 };

function invalid(
  message: string,
  messageKey: MessageKey,
  messageArgs?: Record<string, string>,
): ServiceFailure {
  return new ServiceFailure({
    code: 'invalid',
    message,
    messageKey,
    ...(messageArgs ? { messageArgs } : {}),
    retryable: false,
  });
}

/** A prompt as given (panel or backup), checked and trimmed. @throws {ServiceFailure} `invalid`. */
export function checkPrompt(v: unknown): SavedPrompt {
  const p = v as Partial<SavedPrompt> | null;
  if (!p || typeof p !== 'object')
    throw invalid('A saved prompt needs a name and a text.', 'prompts.needsNameText');
  const name = typeof p.name === 'string' ? p.name.replace(/\s+/g, ' ').trim() : '';
  const text = typeof p.text === 'string' ? p.text.trim() : '';
  if (!name || !text)
    throw invalid('A saved prompt needs a name and a text.', 'prompts.needsNameText');
  if (name.length > MAX_PROMPT_NAME) throw invalid('That name is too long.', 'prompts.nameTooLong');
  if (text.length > MAX_PROMPT_TEXT)
    throw invalid('That prompt is too long.', 'prompts.textTooLong');
  const id = typeof p.id === 'string' && /^[A-Za-z0-9-]{1,64}$/.test(p.id) ? p.id : undefined;
  if (p.id !== undefined && !id)
    throw invalid('That saved prompt does not exist.', 'prompts.missing');
  return { id: id ?? crypto.randomUUID(), name, text };
}

export class SavedPromptsService {
  readonly #db: SottoDb;
  readonly #vault: VaultService;
  /** Told after every change (the context menu lists the prompts). */
  readonly #onChange: (list: SavedPrompt[]) => void;

  constructor(
    db: SottoDb,
    vault: VaultService,
    onChange: (list: SavedPrompt[]) => void = () => {},
  ) {
    this.#db = db;
    this.#vault = vault;
    this.#onChange = onChange;
  }

  /** The prompts in the user's order. A record that does not open reads as none. */
  async list(): Promise<SavedPrompt[]> {
    const key = await this.#vault.key();
    const row = (await this.#db.settings.get(ROW_KEY as SettingsRow['key'])) as
      { value: unknown } | undefined;
    if (!row) return [];
    try {
      const v = openJson(key, META, row.value as Uint8Array) as unknown;
      return Array.isArray(v) ? v.map(checkPrompt) : [];
    } catch {
      return [];
    }
  }

  async #write(list: SavedPrompt[]): Promise<SavedPrompt[]> {
    const key = await this.#vault.key();
    await this.#db.settings.put({
      key: ROW_KEY as SettingsRow['key'],
      value: sealJson(key, META, list),
    });
    this.#onChange(list);
    return list;
  }

  /** Adds a prompt (no id) at the end, or replaces the one with its id in place. */
  async save(input: unknown): Promise<SavedPrompt[]> {
    const p = checkPrompt(input);
    const list = await this.list();
    const at = list.findIndex((x) => x.id === p.id);
    if (at >= 0) list[at] = p;
    else if ((input as { id?: unknown }).id !== undefined)
      throw invalid('That saved prompt does not exist.', 'prompts.missing');
    else if (list.length >= MAX_PROMPTS)
      throw invalid(`At most ${MAX_PROMPTS} prompts can be saved.`, 'prompts.tooMany', {
        max: String(MAX_PROMPTS),
      });
    else list.push(p);
    return this.#write(list);
  }

  async delete(id: unknown): Promise<SavedPrompt[]> {
    const list = await this.list();
    return this.#write(list.filter((x) => x.id !== id));
  }

  /** Puts the prompts in the order of `ids`, which must name each one exactly once. */
  async reorder(ids: unknown): Promise<SavedPrompt[]> {
    const list = await this.list();
    if (
      !Array.isArray(ids) ||
      ids.length !== list.length ||
      new Set(ids).size !== ids.length ||
      !ids.every((id) => list.some((x) => x.id === id))
    ) {
      throw invalid('The new order must name every saved prompt once.', 'prompts.badOrder');
    }
    return this.#write(ids.map((id) => list.find((x) => x.id === id)!));
  }

  /** Erase everything: the record goes with the vault (no key could open it again). */
  async clear(): Promise<void> {
    await this.#db.settings.delete(ROW_KEY as SettingsRow['key']);
    this.#onChange([]);
  }

  /** Backup import: adds the prompts whose ids are not here yet, in their order. Returns how many. */
  async merge(incoming: unknown): Promise<number> {
    if (incoming === undefined) return 0;
    if (!Array.isArray(incoming))
      throw invalid('The saved prompts in the backup are not a list.', 'backup.promptMalformed');
    const add = incoming.map(checkPrompt);
    const list = await this.list();
    const fresh = add.filter((p) => !list.some((x) => x.id === p.id));
    if (fresh.length === 0) return 0;
    await this.#write([...list, ...fresh].slice(0, MAX_PROMPTS));
    return Math.min(fresh.length, MAX_PROMPTS - list.length);
  }
}

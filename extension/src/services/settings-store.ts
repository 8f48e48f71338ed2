/**
 * Settings persisted in the `settings` table (clear: no content, no secrets).
 * Changing the relay URL or development mode drops the verified key, so the
 * next request verifies the new relay's evidence under the new policy.
 */
import type { Settings } from '../messaging';
import type { SottoDb } from './db';
import { ServiceFailure } from './failure';
import { DEFAULT_SETTINGS, mergeSettings, settingsFromStorage } from './settings';

export interface SettingsStoreOptions {
  /** Whether the extension may reach `origin` (host permission); the page asks the user first. */
  canReach?: (origin: string) => Promise<boolean>;
  /** Told after every change. */
  onChange?: (next: Settings, previous: Settings) => void | Promise<void>;
}

export class SettingsStore {
  readonly #db: SottoDb;
  readonly #opts: SettingsStoreOptions;

  constructor(db: SottoDb, options: SettingsStoreOptions = {}) {
    this.#db = db;
    this.#opts = options;
  }

  async get(): Promise<Settings> {
    const row = await this.#db.settings.get('settings');
    return settingsFromStorage(row?.value);
  }

  /**
   * Applies a partial update.
   * @throws {ServiceFailure} `invalid` for a bad field, or a relay origin without host permission.
   */
  async set(patch: Partial<Settings>): Promise<Settings> {
    const previous = await this.get();
    const next = mergeSettings(previous, patch ?? {});
    if (next.relayUrl !== previous.relayUrl && this.#opts.canReach) {
      const origin = new URL(next.relayUrl).origin;
      if (!(await this.#opts.canReach(origin))) {
        throw new ServiceFailure({
          code: 'invalid',
          message: `Sotto has no permission to reach ${origin}. Allow it when asked, then save again.`,
          messageKey: 'errors.noPermission',
          messageArgs: { origin },
          retryable: false,
        });
      }
    }
    await this.#db.settings.put({ key: 'settings', value: next });
    await this.#opts.onChange?.(next, previous);
    return next;
  }

  /** Back to defaults. */
  async reset(): Promise<Settings> {
    const previous = await this.get();
    await this.#db.settings.delete('settings'); // the sealed history index lives beside it
    const next = { ...DEFAULT_SETTINGS, generation: { ...DEFAULT_SETTINGS.generation } };
    await this.#opts.onChange?.(next, previous);
    return next;
  }
}

/**
 * Development enclaves the user chose to use, per relay URL, and the dev signing
 * key each relay's enclave showed the first time (trust on first use).
 *
 * `dev` evidence proves no hardware: whoever runs that enclave can read what is
 * sent to it. The panel says so and offers "Use this development enclave"; that
 * explicit choice is remembered here for that relay URL only. It is not development
 * mode (the setting) and never turns it on. Whether accepted per relay or through
 * development mode, the first dev signing key seen for a relay is pinned, and a
 * different key later is refused (`dev-key-changed`) until the user accepts that
 * key by its fingerprint. Stored in clear in the `settings` table (URLs and public
 * key hashes only: no content, no secrets); "erase everything" clears it.
 */
import type { SottoDb } from './db';

const ROW = 'dev-trust';
const HEX_SHA256 = /^[0-9a-f]{64}$/;
/** More relays than anyone uses; bounds the row. */
export const MAX_TRUSTED_RELAYS = 64;

export interface RelayDevTrust {
  /** The user chose "Use this development enclave" for this relay. */
  accepted: boolean;
  /** Hex SHA-256 of the dev signing key's SPKI first seen here (or last accepted). */
  keySha256?: string;
}

type Table = Record<string, RelayDevTrust>;

function clean(value: unknown): Table {
  const out: Table = {};
  if (typeof value !== 'object' || value === null) return out;
  for (const [url, v] of Object.entries(value as Record<string, unknown>).slice(
    0,
    MAX_TRUSTED_RELAYS,
  )) {
    if (typeof v !== 'object' || v === null) continue;
    const { accepted, keySha256 } = v as Partial<RelayDevTrust>;
    out[url] = {
      accepted: accepted === true,
      ...(typeof keySha256 === 'string' && HEX_SHA256.test(keySha256) ? { keySha256 } : {}),
    };
  }
  return out;
}

export class DevTrustStore {
  readonly #db: SottoDb;

  constructor(db: SottoDb) {
    this.#db = db;
  }

  async #read(): Promise<Table> {
    return clean((await this.#db.settings.get(ROW))?.value);
  }

  async #update(relayUrl: string, patch: Partial<RelayDevTrust>): Promise<void> {
    await this.#db.transaction('rw', this.#db.settings, async () => {
      const table = await this.#read();
      if (!table[relayUrl] && Object.keys(table).length >= MAX_TRUSTED_RELAYS) {
        // Forget the oldest entry rather than refuse: it only asks again.
        delete table[Object.keys(table)[0]!];
      }
      table[relayUrl] = { accepted: false, ...table[relayUrl], ...patch };
      await this.#db.settings.put({ key: ROW, value: table });
    });
  }

  /** Every relay with a choice or a pinned key, as the options page lists them. */
  async list(): Promise<({ relayUrl: string } & RelayDevTrust)[]> {
    return Object.entries(await this.#read()).map(([relayUrl, t]) => ({ relayUrl, ...t }));
  }

  /** Forgets the choice and the pinned key for `relayUrl`: the panel asks again. */
  async forget(relayUrl: string): Promise<void> {
    await this.#db.transaction('rw', this.#db.settings, async () => {
      const table = await this.#read();
      delete table[relayUrl];
      await this.#db.settings.put({ key: ROW, value: table });
    });
  }

  /** Forgets every relay's choice and pinned key ("Erase everything"). */
  async clear(): Promise<void> {
    await this.#db.settings.delete(ROW);
  }

  /** What is remembered for `relayUrl` (nothing: not accepted, no pin). */
  async get(relayUrl: string): Promise<RelayDevTrust> {
    return (await this.#read())[relayUrl] ?? { accepted: false };
  }

  /** The user chose to use this relay's development enclave. */
  async accept(relayUrl: string): Promise<void> {
    await this.#update(relayUrl, { accepted: true });
  }

  /**
   * Pins `keySha256` for `relayUrl`: on first use, or when the user accepts a changed key.
   * @throws TypeError for anything but 64 lowercase hex digits.
   */
  async pin(relayUrl: string, keySha256: string): Promise<void> {
    if (!HEX_SHA256.test(keySha256)) throw new TypeError('a key fingerprint is 64 hex digits');
    await this.#update(relayUrl, { keySha256 });
  }
}

/**
 * The sync store: every query the service makes, written once for both engines
 * (`sql.ts`). Records are opaque sealed bytes; the store never looks inside.
 * Each write is one transaction that (1) spends the request's nonce, (2) makes
 * the account if it is new, (3) applies the write only if the revision the
 * client names is the current one. A stale revision, a spent nonce or a full
 * quota writes nothing.
 */
import { bytes, int, type Sql, type SqlEngine } from './sql';

/** A stored record as the API returns it. `body` null is a deleted record. */
export interface StoredRecord {
  id: string;
  revision: number;
  body: Uint8Array | null;
  change: number;
}

export type WriteResult =
  | { ok: true; record: StoredRecord }
  | { ok: false; reason: 'conflict'; current: StoredRecord | null }
  | { ok: false; reason: 'replay' }
  | { ok: false; reason: 'quota' };

/** Who is writing, and with which nonce (spent in the write's transaction). */
export interface WriteAuth {
  accountId: string;
  nonce: string;
  /** When the nonce may be forgotten (ms): after the signature's clock window. */
  nonceExpiresAt: number;
}

export type PairingField = 'commitment' | 'nonce' | 'enc' | 'payload';

/** A pairing slot as the API shows it. */
export interface PairingSlot {
  code: string;
  publicKey: Uint8Array;
  accountId: string | null;
  commitment: Uint8Array | null;
  nonce: Uint8Array | null;
  enc: Uint8Array | null;
  payload: Uint8Array | null;
}

/** Which field must be there before each one is written (the pairing order). */
const PAIRING_ORDER: Readonly<Record<PairingField, PairingField | null>> = {
  commitment: null,
  nonce: 'commitment',
  enc: 'nonce',
  payload: 'enc',
};

function recordOf(r: Record<string, unknown>): StoredRecord {
  return {
    id: String(r.record_id),
    revision: int(r.revision),
    body: bytes(r.body),
    change: int(r.change),
  };
}

class Replay extends Error {}
class Quota extends Error {}

export class SyncStore {
  readonly #db: SqlEngine;
  readonly #maxRecords: number;

  constructor(db: SqlEngine, options: { maxRecordsPerAccount: number }) {
    this.#db = db;
    this.#maxRecords = options.maxRecordsPerAccount;
  }

  get kind(): SqlEngine['kind'] {
    return this.#db.kind;
  }

  /** The engine itself, for migrations and for tests that read the tables directly. */
  get sql(): Sql {
    return this.#db;
  }

  /** Spends a nonce and makes the account row if needed; throws {@link Replay} if spent. */
  async #begin(tx: Sql, auth: WriteAuth): Promise<void> {
    const spent = await tx.query(
      `INSERT INTO sync_nonces (account_id, nonce, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING RETURNING 1 AS ok`,
      [auth.accountId, auth.nonce, auth.nonceExpiresAt],
    );
    if (spent.length === 0) throw new Replay();
    await tx.query('INSERT INTO sync_accounts (account_id) VALUES ($1) ON CONFLICT DO NOTHING', [
      auth.accountId,
    ]);
  }

  /** Next change number of the account (locks its row until the transaction ends). */
  async #nextChange(tx: Sql, accountId: string): Promise<number> {
    const rows = await tx.query(
      'UPDATE sync_accounts SET last_change = last_change + 1 WHERE account_id = $1 RETURNING last_change',
      [accountId],
    );
    return int(rows[0]!.last_change);
  }

  async #current(tx: Sql, accountId: string, id: string): Promise<StoredRecord | null> {
    const rows = await tx.query(
      'SELECT record_id, revision, body, change FROM sync_records WHERE account_id = $1 AND record_id = $2',
      [accountId, id],
    );
    return rows[0] ? recordOf(rows[0]) : null;
  }

  /**
   * Spends the nonce of a request that writes nothing else (a read), so a
   * captured read cannot be replayed either. Returns false if it was spent.
   */
  async spendNonce(auth: WriteAuth): Promise<boolean> {
    const rows = await this.#db.query(
      `INSERT INTO sync_nonces (account_id, nonce, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING RETURNING 1 AS ok`,
      [auth.accountId, auth.nonce, auth.nonceExpiresAt],
    );
    return rows.length === 1;
  }

  /**
   * Writes `body` (or deletes, with `body` null) if the record's current
   * revision is `expected` (0: it must not exist yet).
   */
  async write(
    auth: WriteAuth,
    id: string,
    expected: number,
    body: Uint8Array | null,
  ): Promise<WriteResult> {
    try {
      return await this.#db.transaction(async (tx): Promise<WriteResult> => {
        await this.#begin(tx, auth);
        const change = await this.#nextChange(tx, auth.accountId);
        let rows: Record<string, unknown>[];
        if (expected === 0) {
          if (body === null) throw new Conflict(await this.#current(tx, auth.accountId, id));
          const count = await tx.query(
            'UPDATE sync_accounts SET record_count = record_count + 1 WHERE account_id = $1 RETURNING record_count',
            [auth.accountId],
          );
          if (int(count[0]!.record_count) > this.#maxRecords) throw new Quota();
          rows = await tx.query(
            `INSERT INTO sync_records (account_id, record_id, revision, body, change)
             VALUES ($1, $2, 1, $3, $4) ON CONFLICT DO NOTHING
             RETURNING record_id, revision, body, change`,
            [auth.accountId, id, body, change],
          );
        } else {
          rows = await tx.query(
            `UPDATE sync_records SET revision = revision + 1, body = $4, change = $5
             WHERE account_id = $1 AND record_id = $2 AND revision = $3
             RETURNING record_id, revision, body, change`,
            [auth.accountId, id, expected, body, change],
          );
        }
        if (rows.length === 1) return { ok: true, record: recordOf(rows[0]!) };
        // Nothing written: roll back the change number and count, answer with the current record.
        throw new Conflict(await this.#current(tx, auth.accountId, id));
      });
    } catch (e) {
      if (e instanceof Replay) return { ok: false, reason: 'replay' };
      if (e instanceof Quota) return { ok: false, reason: 'quota' };
      if (e instanceof Conflict) {
        // The write rolled back; the nonce is still spent, so the request cannot be replayed.
        if (!(await this.spendNonce(auth))) return { ok: false, reason: 'replay' };
        return { ok: false, reason: 'conflict', current: e.current };
      }
      throw e;
    }
  }

  /** One record, or null. */
  async get(accountId: string, id: string): Promise<StoredRecord | null> {
    return this.#current(this.#db, accountId, id);
  }

  /** Records changed after `since`, oldest change first, at most `limit`. */
  async changes(accountId: string, since: number, limit: number): Promise<StoredRecord[]> {
    const rows = await this.#db.query(
      `SELECT record_id, revision, body, change FROM sync_records
       WHERE account_id = $1 AND change > $2 ORDER BY change LIMIT $3`,
      [accountId, since, limit],
    );
    return rows.map(recordOf);
  }

  /** Opens a pairing slot; false if the code is taken. Expired slots are removed first. */
  async openPairing(
    code: string,
    publicKey: Uint8Array,
    now: number,
    ttlMs: number,
  ): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      await tx.query('DELETE FROM sync_pairings WHERE expires_at < $1', [now]);
      const rows = await tx.query(
        `INSERT INTO sync_pairings (code, public_key, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING RETURNING 1 AS ok`,
        [code, publicKey, now + ttlMs],
      );
      return rows.length === 1;
    });
  }

  /** A live pairing slot, or null. */
  async pairing(code: string, now: number): Promise<PairingSlot | null> {
    const rows = await this.#db.query(
      `SELECT code, public_key, account_id, commitment, nonce, enc, payload FROM sync_pairings
       WHERE code = $1 AND expires_at >= $2`,
      [code, now],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      code: String(r.code),
      publicKey: bytes(r.public_key)!,
      accountId: r.account_id === null ? null : String(r.account_id),
      commitment: bytes(r.commitment),
      nonce: bytes(r.nonce),
      enc: bytes(r.enc),
      payload: bytes(r.payload),
    };
  }

  /**
   * Writes one pairing field, once, in order. The approving account's fields
   * (`commitment`, `enc`, `payload`) bind the slot to that account; `nonce` is
   * the new device's and needs no account. Returns false if the slot is gone,
   * the field is set, the previous one is not, or another account holds the slot.
   */
  async setPairingField(
    code: string,
    field: PairingField,
    value: Uint8Array,
    accountId: string | null,
    now: number,
  ): Promise<boolean> {
    const before = PAIRING_ORDER[field];
    const column = { commitment: 'commitment', nonce: 'nonce', enc: 'enc', payload: 'payload' }[
      field
    ];
    const ready = before === null ? 'true' : `${before} IS NOT NULL`;
    const owner =
      field === 'nonce'
        ? 'true'
        : field === 'commitment'
          ? 'account_id IS NULL'
          : 'account_id = $4';
    const setOwner = field === 'commitment' ? ', account_id = $4' : '';
    const rows = await this.#db.query(
      `UPDATE sync_pairings SET ${column} = $2${setOwner}
       WHERE code = $1 AND expires_at >= $3 AND ${column} IS NULL AND ${ready} AND ${owner}
       RETURNING 1 AS ok`,
      field === 'nonce' ? [code, value, now] : [code, value, now, accountId],
    );
    return rows.length === 1;
  }

  /** True if the account was retired (its devices moved to a new vault key). */
  async isRetired(accountId: string): Promise<boolean> {
    const rows = await this.#db.query('SELECT retired FROM sync_accounts WHERE account_id = $1', [
      accountId,
    ]);
    return rows[0]?.retired === true;
  }

  /**
   * Retires an account, in one transaction with the request's nonce: its records
   * are deleted, the handovers for the devices that stay are stored, and from
   * then on every signed request of the account is refused. False: a replay.
   */
  async retire(auth: WriteAuth, handovers: ReadonlyMap<string, Uint8Array>): Promise<boolean> {
    try {
      await this.#db.transaction(async (tx) => {
        await this.#begin(tx, auth);
        await tx.query(
          'UPDATE sync_accounts SET retired = true, record_count = 0 WHERE account_id = $1',
          [auth.accountId],
        );
        await tx.query('DELETE FROM sync_records WHERE account_id = $1', [auth.accountId]);
        for (const [deviceId, body] of handovers) {
          await tx.query(
            `INSERT INTO sync_handovers (account_id, device_id, body) VALUES ($1, $2, $3)
             ON CONFLICT (account_id, device_id) DO UPDATE SET body = EXCLUDED.body`,
            [auth.accountId, deviceId, body],
          );
        }
      });
      return true;
    } catch (e) {
      if (e instanceof Replay) return false;
      throw e;
    }
  }

  /** The handover a retired account left for a device, or null. */
  async handover(accountId: string, deviceId: string): Promise<Uint8Array | null> {
    const rows = await this.#db.query(
      `SELECT h.body FROM sync_handovers h JOIN sync_accounts a USING (account_id)
       WHERE h.account_id = $1 AND h.device_id = $2 AND a.retired`,
      [accountId, deviceId],
    );
    return rows[0] ? bytes(rows[0].body) : null;
  }

  /** Forgets nonces past their expiry. */
  async purgeNonces(now: number): Promise<void> {
    await this.#db.query('DELETE FROM sync_nonces WHERE expires_at < $1', [now]);
  }

  close(): Promise<void> {
    return this.#db.close();
  }
}

class Conflict extends Error {
  readonly current: StoredRecord | null;
  constructor(current: StoredRecord | null) {
    super('conflict');
    this.current = current;
  }
}

/**
 * The vault: one random 32-byte vault key seals every history record; it is
 * stored only wrapped under a KEK derived from the passkey's PRF output
 * (protocol sealed/vault-key.ts, DESIGN.md "History").
 *
 * Where the unwrapped key lives while unlocked: a {@link KeyHolder}. In the
 * extension that is `chrome.storage.session` (memory only, never written to
 * disk, emptied when the browser closes, readable only by trusted extension
 * contexts — not content scripts) plus a copy in worker memory. Pure worker
 * memory would relock every time Chrome stops the idle MV3 worker (~30 s);
 * session storage survives that but not a browser restart, which is the
 * "locks when the browser closes" rule. An idle timer ({@link IdleTimer},
 * `chrome.alarms` in the extension) locks after the configured minutes
 * without use; `lock()` locks on demand.
 */
import {
  equalBytes,
  generateVaultKey,
  LockedError,
  lockVaultKey,
  unlockVaultKey,
} from '@sotto/protocol';
import type { VaultState, VaultStatus } from '../messaging';
import { toBase64Url } from '../messaging';
import type { SottoDb, VaultRow } from './db';
import { ServiceFailure } from './failure';

/** Holds the unwrapped vault key while unlocked. */
export interface KeyHolder {
  load(): Promise<Uint8Array | undefined>;
  save(key: Uint8Array): Promise<void>;
  clear(): Promise<void>;
}

/** Locks the vault after a quiet spell. `arm` restarts the countdown. */
export interface IdleTimer {
  arm(minutes: number): Promise<void>;
  disarm(): Promise<void>;
}

export interface VaultOptions {
  holder: KeyHolder;
  /** Minutes without use before locking; 0 = never (until the browser closes). */
  idleLockMinutes: () => Promise<number>;
  timer?: IdleTimer;
  /** Told on every lock, unlock and erase, to update open panels. */
  onChange?: (state: VaultState) => void;
  now?: () => number;
}

const PRF_BYTES = 32;

function noVault(): ServiceFailure {
  return new ServiceFailure({
    code: 'no-vault',
    message: 'Sotto is not set up yet. Create a passkey to make your encrypted vault.',
    messageKey: 'errors.noVault',
    retryable: false,
  });
}

function vaultExists(): ServiceFailure {
  return new ServiceFailure({
    code: 'vault-exists',
    message: 'A vault already exists. Unlock it, or erase everything first.',
    messageKey: 'errors.vaultExists',
    retryable: false,
  });
}

function locked(): ServiceFailure {
  return new ServiceFailure({
    code: 'locked',
    message: 'Sotto is locked. Unlock it with your passkey.',
    messageKey: 'errors.locked',
    retryable: false,
  });
}

function wrongPasskey(cause?: unknown): ServiceFailure {
  return new ServiceFailure(
    {
      code: 'wrong-passkey',
      message:
        'That passkey does not unlock this vault. Use the passkey you set Sotto up with. Nothing was decrypted and nothing was erased.',
      messageKey: 'errors.wrongPasskey',
      retryable: false,
    },
    { cause },
  );
}

function checkBytes(b: Uint8Array, n: number | undefined, what: string): void {
  if (!(b instanceof Uint8Array) || (n !== undefined && b.length !== n) || b.length === 0) {
    throw new ServiceFailure({
      code: 'invalid',
      message: `${what} must be ${n ?? 'non-empty'} bytes.`,
      retryable: false,
    });
  }
}

/** The vault state machine: no-vault → (create) unlocked ⇄ locked; erase → no-vault. */
export class VaultService {
  readonly #db: SottoDb;
  readonly #opts: VaultOptions;
  #key: Uint8Array | undefined;

  constructor(db: SottoDb, options: VaultOptions) {
    this.#db = db;
    this.#opts = options;
  }

  async #row(): Promise<VaultRow | undefined> {
    return this.#db.vault.get('vault');
  }

  async #loadKey(): Promise<Uint8Array | undefined> {
    if (!this.#key) this.#key = await this.#opts.holder.load();
    return this.#key;
  }

  /** The state and the public values the passkey code needs. */
  async status(): Promise<VaultStatus> {
    const row = await this.#row();
    if (!row) return { state: 'no-vault' };
    const state: VaultState = (await this.#loadKey()) ? 'unlocked' : 'locked';
    return {
      state,
      credentialId: toBase64Url(row.credentialId),
      prfSalt: toBase64Url(row.prfSalt),
    };
  }

  /**
   * Makes the vault: a fresh vault key (or a paired device's), wrapped under the KEK from `prf`, bound to `credentialId`.
   * @throws {ServiceFailure} `vault-exists` when one exists; `invalid` for bad sizes.
   */
  async create(input: {
    prf: Uint8Array;
    salt: Uint8Array;
    credentialId: Uint8Array;
    /** Pairing: the vault key another device of this account sent (sealed end to end). */
    vaultKey?: Uint8Array;
  }): Promise<VaultStatus> {
    checkBytes(input.prf, PRF_BYTES, 'The PRF output');
    checkBytes(input.salt, undefined, 'The PRF salt');
    checkBytes(input.credentialId, undefined, 'The credential id');
    if (input.vaultKey !== undefined) checkBytes(input.vaultKey, 32, 'The vault key');
    const vaultKey = input.vaultKey?.slice() ?? generateVaultKey();
    const lockedKey = lockVaultKey(input.prf, vaultKey, { credentialId: input.credentialId });
    const row: VaultRow = {
      key: 'vault',
      credentialId: input.credentialId.slice(),
      prfSalt: input.salt.slice(),
      kekSalt: lockedKey.salt,
      wrapped: lockedKey.wrapped,
      createdAt: (this.#opts.now ?? Date.now)(),
    };
    await this.#db.transaction('rw', this.#db.vault, async () => {
      if (await this.#db.vault.get('vault')) throw vaultExists();
      await this.#db.vault.add(row);
    });
    await this.#setKey(vaultKey);
    return this.status();
  }

  /**
   * Makes the vault from an existing wrapped key (a backup's envelope): the PRF output
   * must unwrap it, so only the passkey that made it can restore it.
   * @throws {ServiceFailure} `vault-exists`; `wrong-passkey` (nothing stored).
   */
  async restore(input: {
    prf: Uint8Array;
    salt: Uint8Array;
    credentialId: Uint8Array;
    locked: { salt: Uint8Array; wrapped: Uint8Array };
  }): Promise<VaultStatus> {
    checkBytes(input.prf, PRF_BYTES, 'The PRF output');
    checkBytes(input.salt, undefined, 'The PRF salt');
    checkBytes(input.credentialId, undefined, 'The credential id');
    if (await this.#row()) throw vaultExists();
    let vaultKey: Uint8Array;
    try {
      vaultKey = unlockVaultKey(input.prf, input.locked, { credentialId: input.credentialId });
    } catch (e) {
      if (e instanceof LockedError) throw wrongPasskey(e);
      throw e;
    }
    await this.#db.transaction('rw', this.#db.vault, async () => {
      if (await this.#db.vault.get('vault')) throw vaultExists();
      await this.#db.vault.add({
        key: 'vault',
        credentialId: input.credentialId.slice(),
        prfSalt: input.salt.slice(),
        kekSalt: input.locked.salt.slice(),
        wrapped: input.locked.wrapped.slice(),
        createdAt: (this.#opts.now ?? Date.now)(),
      });
    });
    await this.#setKey(vaultKey);
    return this.status();
  }

  /**
   * Unlocks with one assertion's PRF output.
   * @throws {ServiceFailure} `no-vault`; `wrong-passkey` (other credential, or the PRF
   *   does not unwrap the key) — nothing is decrypted and nothing is erased.
   */
  async unlock(input: { prf: Uint8Array; credentialId: Uint8Array }): Promise<VaultStatus> {
    const { key: vaultKey } = await this.#unwrap(input);
    await this.#setKey(vaultKey);
    return this.status();
  }

  /**
   * The vault key this passkey's PRF output unwraps, and the stored row.
   * @throws {ServiceFailure} `no-vault`; `wrong-passkey` (other credential, or the PRF
   *   does not unwrap the key).
   */
  async #unwrap(input: { prf: Uint8Array; credentialId: Uint8Array }) {
    const row = await this.#row();
    if (!row) throw noVault();
    checkBytes(input.prf, PRF_BYTES, 'The PRF output');
    if (
      !(input.credentialId instanceof Uint8Array) ||
      !equalBytes(input.credentialId, row.credentialId)
    ) {
      throw wrongPasskey();
    }
    try {
      const key = unlockVaultKey(
        input.prf,
        { salt: row.kekSalt, wrapped: row.wrapped },
        { credentialId: row.credentialId },
      );
      return { key, row };
    } catch (e) {
      if (e instanceof LockedError) throw wrongPasskey(e);
      throw e;
    }
  }

  /**
   * Device removal (issue 14): a fresh vault key wrapped under the same passkey, whose
   * PRF output must open the current one. `reseal` moves history to the new key in the
   * same transaction as the new wrapped key, so the database never holds a mix.
   * @throws {ServiceFailure} `no-vault`, `wrong-passkey` (nothing changed).
   */
  async rotate(
    input: { prf: Uint8Array; credentialId: Uint8Array },
    reseal: (oldKey: Uint8Array, newKey: Uint8Array) => Promise<void>,
  ): Promise<VaultStatus> {
    const { key: oldKey, row } = await this.#unwrap(input);
    const newKey = generateVaultKey();
    const locked = lockVaultKey(input.prf, newKey, { credentialId: row.credentialId });
    await this.#db.transaction(
      'rw',
      [this.#db.conversations, this.#db.messages, this.#db.settings, this.#db.vault],
      async () => {
        await reseal(oldKey, newKey);
        await this.#db.vault.put({ ...row, kekSalt: locked.salt, wrapped: locked.wrapped });
      },
    );
    await this.#setKey(newKey);
    return this.status();
  }

  /** Forgets the unwrapped key everywhere. */
  async lock(): Promise<VaultStatus> {
    const wasUnlocked = Boolean(this.#key) || Boolean(await this.#opts.holder.load());
    this.#key?.fill(0);
    this.#key = undefined;
    await this.#opts.holder.clear();
    await this.#opts.timer?.disarm();
    if (wasUnlocked) this.#opts.onChange?.('locked');
    return this.status();
  }

  /**
   * The vault key, for sealing and opening records; restarts the idle countdown.
   * @throws {ServiceFailure} `no-vault` or `locked`.
   */
  async key(): Promise<Uint8Array> {
    const k = await this.#loadKey();
    if (!k) {
      if (!(await this.#row())) throw noVault();
      throw locked();
    }
    await this.#armIdle();
    return k;
  }

  /** The wrapped key and its public parameters, for a backup's envelope. @throws {ServiceFailure} `no-vault`. */
  async lockedKey(): Promise<VaultRow> {
    const row = await this.#row();
    if (!row) throw noVault();
    return row;
  }

  /**
   * Deletes the vault row and forgets the key (history must be erased with it).
   * Open panels are told `no-vault`, so they offer onboarding, not an unlock that cannot work.
   */
  async erase(): Promise<void> {
    await this.lock();
    await this.#db.vault.clear();
    this.#opts.onChange?.('no-vault');
  }

  /** Restarts the idle countdown with the current setting (call after settings change). */
  async #armIdle(): Promise<void> {
    const timer = this.#opts.timer;
    if (!timer) return;
    const minutes = await this.#opts.idleLockMinutes();
    if (minutes > 0) await timer.arm(minutes);
    else await timer.disarm();
  }

  async #setKey(key: Uint8Array): Promise<void> {
    this.#key = key;
    await this.#opts.holder.save(key);
    await this.#armIdle();
    this.#opts.onChange?.('unlocked');
  }
}

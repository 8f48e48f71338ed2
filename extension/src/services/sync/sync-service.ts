/**
 * The extension's sync client (issue 14), offline first: history is always
 * written locally (`history.ts`); `syncNow` then reconciles with the sync
 * service through a `@sotto/protocol` SyncReplica, which verifies everything
 * it pulls (a tampering server is reported, nothing from it is applied).
 *
 * Per conversation, against the version both sides last agreed on:
 * - only the server moved → its copy replaces the local one;
 * - only this device moved (an edit made offline, or a new conversation) → pushed;
 * - both moved → merged (`mergeManifests`: messages append-only, renames and
 *   deletes last-writer-wins), written locally and pushed;
 * - synced before and now gone locally → the deletion is pushed as a tombstone;
 * - messages a tombstone would drop that its deleter never saw → kept in a copy;
 * - a rename that lost to a later concurrent one → a copy under the losing title.
 * A push that meets a newer server copy merges and retries (the replica), and
 * the next round brings its messages down.
 */
import {
  type ConversationCopy,
  DeviceRemovedError,
  deriveAccountKey,
  emptyReplicaState,
  IntegrityError,
  type DeviceInfo,
  fromBase64Url,
  mergeManifests,
  openHandover,
  openJson,
  type ReplicaState,
  sealHandover,
  sealJson,
  SyncClient,
  SyncReplica,
  toBase64Url,
  UnreachableError,
} from '@sotto/protocol';
import type { SettingsRow, SottoDb } from '../db';
import {
  newId,
  type HistoryService,
  type MessagePlain,
  MESSAGE_TYPE,
  SCHEMA_VERSION,
} from '../history';
import { SYNC_STATE_KEY } from '../history-ledger';
import type { SyncStatus } from '../../sync-messaging';
import type { VaultService } from '../vault';
import { ServiceFailure } from '../failure';
import type { MessageKey } from '../../i18n';
import { newDeviceSecret, openDeviceSecret, openPendingKey, sealPendingKey } from './device-keys';
import { completeCopy, readLocalCopies, resealHistory, writeLocalCopy } from './history-bridge';

const messageMeta = (id: string) => ({ id, type: MESSAGE_TYPE, schemaVersion: SCHEMA_VERSION });

interface StoredSync {
  url: string;
  deviceId: string;
  /** The replica; its `cursor` (the server's change number, not a secret) makes listings incremental. */
  replica: ReplicaState;
  /** When the whole account was last listed and checked (ms), not only what changed. */
  fullAt?: number;
  /** When a sync last finished without error (ms), for the panel's "synced … ago". */
  syncedAt?: number;
  /** This device's name in the account's device list (sealed there; only devices read it). */
  label?: string;
  /** This device's handover key pair, sealed under the vault key (`device-keys.ts`). */
  deviceSecret?: string;
  /** A new vault key another device handed over, sealed under the current one, until confirmed. */
  pendingKey?: string;
  /**
   * A removal whose old account is not retired yet (the server was unreachable): the old
   * key and the handovers, sealed under the current key; each sync tries again first.
   */
  pendingRetire?: string;
}

/** A device as the options page lists it. */
export interface DeviceView {
  deviceId: string;
  label: string;
  addedAt: number;
  self: boolean;
}

const ROUNDS = 3;
/**
 * How often the whole account is listed again (ms). Between, a sync lists only
 * changes after the stored cursor: what changed is still checked in full
 * (freshness, membership, index), but a record the server dropped without a
 * change is only noticed by the next full listing.
 */
export const FULL_LISTING_INTERVAL_MS = 24 * 60 * 60 * 1000;
/** The worker's periodic sync alarm (edits made offline upload on the next one). */
export const SYNC_ALARM = 'sotto-sync';

const retireMeta = (deviceId: string) => ({
  id: deviceId,
  type: 'sotto/sync/pending-retire',
  schemaVersion: 1,
});

/** `messageKey`: the locale key the pages show instead of `message`. */
function invalid(message: string, messageKey: MessageKey): ServiceFailure {
  return new ServiceFailure({ code: 'invalid', message, messageKey, retryable: false });
}

export class SyncService {
  readonly #db: SottoDb;
  readonly #vault: VaultService;
  readonly #history: HistoryService;
  readonly #fetch: typeof fetch | undefined;
  readonly #now: () => number;
  #last: SyncStatus | undefined;
  #running: Promise<SyncStatus> | undefined;
  /** A vault-key rotation is under way: no sync may start (it would seal with the old key). */
  #rotating = false;

  constructor(
    db: SottoDb,
    vault: VaultService,
    history: HistoryService,
    options: { fetch?: typeof fetch; now?: () => number } = {},
  ) {
    this.#db = db;
    this.#vault = vault;
    this.#history = history;
    this.#fetch = options.fetch;
    this.#now = options.now ?? Date.now;
  }

  async #stored(): Promise<StoredSync | null> {
    const row = (await this.#db.settings.get(SYNC_STATE_KEY as SettingsRow['key'])) as
      { value: StoredSync } | undefined;
    return row?.value ?? null;
  }

  async #save(value: StoredSync): Promise<void> {
    await this.#db.settings.put({ key: SYNC_STATE_KEY as SettingsRow['key'], value });
  }

  /** Turns sync on with a server URL (or off with null). Turning off forgets the replica, not history. */
  async configure(url: string | null, label?: string): Promise<SyncStatus> {
    if (url === null) {
      await this.#db.settings.delete(SYNC_STATE_KEY as SettingsRow['key']);
      this.#last = undefined;
      return { state: 'off', pending: 0 };
    }
    const clean = new URL(url);
    if (clean.protocol !== 'http:' && clean.protocol !== 'https:')
      throw new TypeError('sync URL must be http(s)');
    const current = await this.#stored();
    const same = current?.url === clean.origin;
    await this.#save({
      url: clean.origin,
      deviceId: current?.deviceId ?? newId(),
      replica: same ? current.replica : emptyReplicaState(),
      ...(current?.deviceSecret ? { deviceSecret: current.deviceSecret } : {}),
      ...(label?.trim() || current?.label
        ? { label: (label?.trim() || current?.label)!.slice(0, 64) }
        : {}),
    });
    return this.status();
  }

  /** The state as of the last attempt, with the count of local changes not yet pushed. */
  async status(): Promise<SyncStatus> {
    const stored = await this.#stored();
    if (!stored) return { state: 'off', pending: 0 };
    let pending = 0;
    try {
      pending = await this.#pendingCount(await this.#vault.key(), stored.replica);
    } catch {
      return { state: 'locked', pending: 0, url: stored.url };
    }
    if (stored.pendingKey) {
      return {
        state: 'rekey',
        pending,
        url: stored.url,
        detail:
          'Another device removed a device and changed the sync key. Confirm with your passkey to keep syncing.',
      };
    }
    const last = this.#last;
    const extra = {
      url: stored.url,
      ...(this.#running ? { syncing: true } : {}),
      ...(stored.syncedAt !== undefined ? { syncedAt: stored.syncedAt } : {}),
    };
    if (last && last.state !== 'synced' && last.state !== 'pending')
      return { ...last, pending, ...extra };
    return { state: pending > 0 || !last ? 'pending' : 'synced', pending, ...extra };
  }

  async #pendingCount(key: Uint8Array, replica: ReplicaState): Promise<number> {
    const { copies } = await readLocalCopies(this.#db, key);
    const local = new Set(copies.map((c) => c.manifest.conversationId));
    let n = copies.filter(
      (c) => replica.remembered[c.manifest.conversationId]?.version !== c.manifest.version,
    ).length;
    for (const id of Object.keys(replica.remembered)) if (!local.has(id)) n++; // deleted here, not yet there
    return n;
  }

  /** One sync, or the one already running. Never throws: the outcome is the status. */
  syncNow(): Promise<SyncStatus> {
    if (this.#rotating) return this.status();
    this.#running ??= this.#sync()
      .finally(() => {
        this.#running = undefined;
      })
      .then(() => this.status());
    return this.#running;
  }

  async #sync(): Promise<void> {
    let stored = await this.#stored();
    if (!stored) return;
    let key: Uint8Array;
    try {
      key = await this.#vault.key();
    } catch {
      return; // locked: the status says so
    }
    const client = new SyncClient({
      baseUrl: stored.url,
      account: deriveAccountKey(key),
      ...(this.#fetch ? { fetch: this.#fetch } : {}),
    });
    if (stored.pendingRetire) {
      if (!(await this.#retirePending(key))) return;
      stored = (await this.#stored()) ?? stored;
    }
    const replica = new SyncReplica(client, () => key, stored.replica);
    let conflict = false;
    let fullAt = stored.fullAt;
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const before = replica.state();
        const now = this.#now();
        const full =
          before.cursor === 0 || fullAt === undefined || now - fullAt >= FULL_LISTING_INTERVAL_MS;
        const remote = await replica.pull({ full });
        if (full) fullAt = now;
        if (round === 0) await replica.publishDevice(await this.#device(key, stored));
        const pushed = await this.#reconcile(key, replica, before, remote, stored.deviceId);
        conflict ||= pushed.conflict;
        await this.#save({ ...stored, replica: replica.state(), ...(fullAt ? { fullAt } : {}) });
        if (pushed.count === 0) break;
      }
      await this.#save({
        ...stored,
        replica: replica.state(),
        ...(fullAt ? { fullAt } : {}),
        syncedAt: this.#now(),
      });
      this.#last = conflict
        ? { state: 'conflict', pending: 0, detail: 'A conflicting edit was kept as a copy.' }
        : { state: 'synced', pending: 0 };
    } catch (e) {
      // After a refused listing the next one is full again, whatever the clock says.
      if (e instanceof IntegrityError) fullAt = undefined;
      await this.#save({ ...stored, replica: replica.state(), ...(fullAt ? { fullAt } : {}) });
      if (e instanceof DeviceRemovedError && (await this.#handedOver(key, client, stored))) {
        this.#last = undefined; // the status says 'rekey'
      } else if (e instanceof DeviceRemovedError) {
        this.#last = {
          state: 'removed',
          pending: 0,
          detail: 'This device was removed from sync. Pair it again to rejoin.',
        };
      } else if (e instanceof IntegrityError) {
        this.#last = {
          state: 'tampered',
          pending: 0,
          detail:
            'The sync server changed or lost history it was given; nothing from it was applied.',
        };
      } else if (e instanceof UnreachableError) {
        this.#last = {
          state: 'unreachable',
          pending: 0,
          detail: 'The sync server cannot be reached; edits wait here.',
        };
      } else {
        this.#last = {
          state: 'unreachable',
          pending: 0,
          detail: 'The sync server refused the request.',
        };
      }
    }
  }

  async #reconcile(
    key: Uint8Array,
    replica: SyncReplica,
    before: ReplicaState,
    remote: ConversationCopy[],
    deviceId: string,
  ): Promise<{ count: number; conflict: boolean }> {
    const { copies } = await readLocalCopies(this.#db, key);
    const local = new Map(copies.map((c) => [c.manifest.conversationId, c]));
    const toPush: ConversationCopy[] = [];
    let conflict = false;
    for (const r of remote) await completeCopy(r, local.get(r.manifest.conversationId), replica);
    for (const r of remote) {
      const id = r.manifest.conversationId;
      const agreed = before.remembered[id]?.version;
      const l = local.get(id);
      local.delete(id);
      const remoteMoved = r.manifest.version !== agreed;
      if (!l) {
        if (agreed !== undefined && !remoteMoved && !r.manifest.deleted) {
          // synced before, deleted here since: push the tombstone
          toPush.push({
            manifest: {
              ...r.manifest,
              version: r.manifest.version + 1,
              deleted: { at: this.#now(), by: deviceId },
            },
            messages: new Map(),
          });
        } else if (!r.manifest.deleted) {
          await writeLocalCopy(this.#db, key, r);
        }
        continue;
      }
      const localMoved = l.manifest.version !== agreed;
      if (!localMoved) {
        if (remoteMoved) await writeLocalCopy(this.#db, key, r);
        continue;
      }
      if (!remoteMoved) {
        toPush.push(l);
        continue;
      }
      const { merged, orphans, lostTitle } = mergeManifests(
        l.manifest,
        r.manifest,
        replica.knownManifest(id, before),
      );
      // The server's bytes for ids both have: the merged manifest lists their digests (after a
      // key rotation both sides re-sealed the same messages, with different bytes).
      const messages = new Map([...l.messages, ...r.messages]);
      if (orphans.length > 0) {
        conflict = true;
        await this.#keepCopy(key, `${merged.title} (copy)`, merged.kind, messages, orphans);
      }
      const copy = { manifest: merged, messages };
      if (lostTitle !== undefined && !merged.deleted) {
        conflict = true;
        await this.#keepRename(key, `${lostTitle} (copy)`, copy);
      }
      await writeLocalCopy(this.#db, key, copy);
      toPush.push(copy);
    }
    for (const l of local.values()) toPush.push(l); // new here
    for (const copy of toPush) {
      const { manifest, orphans, lostTitles } = await replica.push(copy);
      if (orphans.length > 0) {
        conflict = true;
        await this.#keepCopy(
          key,
          `${manifest.title} (copy)`,
          manifest.kind,
          copy.messages,
          orphans,
        );
      }
      if (!manifest.deleted) {
        for (const lost of lostTitles) {
          conflict = true;
          await this.#keepRename(key, `${lost} (copy)`, { manifest, messages: copy.messages });
        }
      }
      const complete = manifest.messages.every((m) => copy.messages.has(m.id));
      if (manifest.deleted) await writeLocalCopy(this.#db, key, { manifest, messages: new Map() });
      else if (complete) await writeLocalCopy(this.#db, key, { manifest, messages: copy.messages });
      // else: the server had newer messages; the next round pulls them
    }
    return { count: toPush.length, conflict };
  }

  /** This device as the account lists it; makes its handover key pair on first use. */
  async #device(key: Uint8Array, stored: StoredSync): Promise<DeviceInfo> {
    let pair = openDeviceSecret(key, stored.deviceId, stored.deviceSecret);
    if (!pair) {
      const made = newDeviceSecret(key, stored.deviceId);
      pair = made.pair;
      stored.deviceSecret = made.sealed; // the caller's later saves keep it
      await this.#save(stored);
    }
    return {
      deviceId: stored.deviceId,
      label: stored.label ?? `Device ${stored.deviceId.slice(0, 4)}`,
      publicKey: pair.publicKey,
      addedAt: this.#now(),
    };
  }

  /**
   * The account was retired: if a device that stays left this one a handover,
   * keeps the new key (sealed under the current one) until the person confirms
   * it with the passkey ({@link followRemoval}). True if there was one.
   */
  async #handedOver(key: Uint8Array, client: SyncClient, stored: StoredSync): Promise<boolean> {
    const pair = openDeviceSecret(key, stored.deviceId, stored.deviceSecret);
    if (!pair) return false;
    try {
      const oldAccount = client.accountId!;
      const sealed = await client.handover(oldAccount, stored.deviceId);
      if (!sealed) return false;
      const next = await openHandover(pair.privateKey, stored.deviceId, oldAccount, sealed);
      await this.#save({ ...stored, pendingKey: sealPendingKey(key, stored.deviceId, next) });
      next.fill(0);
      return true;
    } catch {
      return false; // unreachable, or not a handover for this device: told it was removed
    }
  }

  /** The account's devices as of the last sync (labels open only with the vault key). */
  async devices(): Promise<DeviceView[]> {
    const stored = await this.#stored();
    if (!stored) return [];
    const key = await this.#vault.key();
    const replica = new SyncReplica(
      new SyncClient({ baseUrl: stored.url }),
      () => key,
      stored.replica,
    );
    return replica.devices().map((d) => ({
      deviceId: d.deviceId,
      label: d.label,
      addedAt: d.addedAt,
      self: d.deviceId === stored.deviceId,
    }));
  }

  /**
   * Removes one device (issue 14): the vault key is rotated under this device's
   * passkey and history re-sealed under it; everything is uploaded to the new
   * key's account; then the old account is retired, leaving each device that
   * stays the new key sealed to its own handover key. The removed device is
   * refused from then on and cannot read anything written afterwards.
   * @throws {ServiceFailure} sync is off, not this device, unknown device; `wrong-passkey`.
   */
  async removeDevice(
    deviceId: string,
    input: { prf: Uint8Array; credentialId: Uint8Array },
  ): Promise<SyncStatus> {
    const stored = await this.#stored();
    if (!stored) throw invalid('Turn sync on first.', 'errors.syncOff');
    if (deviceId === stored.deviceId)
      throw invalid('This device cannot remove itself.', 'errors.syncSelf');
    const listed = await this.devices();
    if (!listed.some((d) => d.deviceId === deviceId))
      throw invalid('No such device.', 'errors.syncNoDevice');
    const key = await this.#vault.key();
    const stays = new SyncReplica(
      new SyncClient({ baseUrl: stored.url }),
      () => key,
      stored.replica,
    )
      .devices()
      .filter((d) => d.deviceId !== deviceId && d.deviceId !== stored.deviceId);
    return this.#rotateAway(stored, input, stays);
  }

  /**
   * Removes every other device: as {@link removeDevice}, with no handovers, so
   * devices that stay pair again.
   * @throws {ServiceFailure} sync is off; `wrong-passkey` (nothing changed).
   */
  async removeOtherDevices(input: {
    prf: Uint8Array;
    credentialId: Uint8Array;
  }): Promise<SyncStatus> {
    const stored = await this.#stored();
    if (!stored) throw invalid('Turn sync on first.', 'errors.syncOff');
    return this.#rotateAway(stored, input, []);
  }

  async #rotateAway(
    stored: StoredSync,
    input: { prf: Uint8Array; credentialId: Uint8Array },
    stays: DeviceInfo[],
    given?: Uint8Array,
  ): Promise<SyncStatus> {
    let retiredKey: Uint8Array | undefined;
    let newKey: Uint8Array | undefined;
    // A sync that is running holds the old key: let it finish, and start none until the move is done.
    this.#rotating = true;
    try {
      await this.#running;
      await this.#vault.rotate(
        input,
        async (oldKey, next) => {
          retiredKey = oldKey;
          newKey = next;
          await resealHistory(this.#db, oldKey, next);
        },
        given,
      );
      // A new account: a fresh handover key, sealed under the new vault key.
      const { pendingKey: _followed, deviceSecret: _old, fullAt: _f, ...rest } = stored;
      await this.#save({ ...rest, replica: emptyReplicaState() });
    } finally {
      this.#rotating = false;
    }
    const old = retiredKey!;
    const handovers = new Map<string, Uint8Array>();
    const oldAccount = deriveAccountKey(old);
    for (const d of stays)
      handovers.set(d.deviceId, await sealHandover(d, oldAccount.accountId, newKey!));
    // Upload everything under the new key first, so the devices that follow find it there.
    const status = await this.syncNow();
    if (given) {
      old.fill(0);
      return status; // following another device's removal: the old account is retired
    }
    const current = await this.#stored();
    if (current) {
      // Kept until the server confirms, so an unreachable server only delays the retirement.
      const sealed = sealJson(newKey!, retireMeta(current.deviceId), {
        oldKey: toBase64Url(old),
        handovers: Object.fromEntries([...handovers].map(([d, h]) => [d, toBase64Url(h)])),
      });
      await this.#save({ ...current, pendingRetire: toBase64Url(sealed) });
    }
    old.fill(0);
    return (await this.#retirePending(newKey!)) ? status : this.status();
  }

  /**
   * Retires the old account of a removal made here, if one waits. True when none
   * waits any more. New records are already under a key the removed device never had.
   */
  async #retirePending(key: Uint8Array): Promise<boolean> {
    const stored = await this.#stored();
    if (!stored?.pendingRetire) return true;
    let old: Uint8Array;
    let handovers: Map<string, Uint8Array>;
    try {
      const o = openJson(key, retireMeta(stored.deviceId), fromBase64Url(stored.pendingRetire)) as {
        oldKey: string;
        handovers: Record<string, string>;
      };
      old = fromBase64Url(o.oldKey);
      handovers = new Map(Object.entries(o.handovers).map(([d, h]) => [d, fromBase64Url(h)]));
    } catch {
      const { pendingRetire: _drop, ...rest } = stored;
      await this.#save(rest); // sealed under another key: nothing this device can still do
      return true;
    }
    const oldClient = new SyncClient({
      baseUrl: stored.url,
      account: deriveAccountKey(old),
      ...(this.#fetch ? { fetch: this.#fetch } : {}),
    });
    try {
      await oldClient.retire(handovers);
    } catch (e) {
      if (!(e instanceof DeviceRemovedError)) {
        this.#last = {
          state: 'unreachable',
          pending: 0,
          detail: 'The removed device is not cut off yet: the sync server must confirm it.',
        };
        return false;
      }
      // already retired
    } finally {
      old.fill(0);
    }
    const { pendingRetire: _done, ...rest } = (await this.#stored()) ?? stored;
    await this.#save(rest);
    return true;
  }

  /**
   * Follows a device removal made on another device: moves the vault key to the
   * one it handed over (wrapped under this device's passkey, history re-sealed)
   * and syncs with the new account.
   * @throws {ServiceFailure} nothing to follow; `wrong-passkey` (nothing changed).
   */
  async followRemoval(input: { prf: Uint8Array; credentialId: Uint8Array }): Promise<SyncStatus> {
    const stored = await this.#stored();
    const key = await this.#vault.key();
    const next = stored && openPendingKey(key, stored.deviceId, stored.pendingKey);
    if (!stored || !next) throw invalid('There is no new sync key to confirm.', 'errors.syncNoKey');
    try {
      return await this.#rotateAway(stored, input, [], next);
    } finally {
      next.fill(0);
    }
  }

  /**
   * Nothing a user wrote is lost: a rename that lost to a later one on another
   * device is kept as a copy of the conversation (the messages this device has) under that title.
   */
  async #keepRename(key: Uint8Array, title: string, copy: ConversationCopy): Promise<void> {
    const m = copy.manifest;
    await this.#keepCopy(
      key,
      title,
      m.kind,
      copy.messages,
      m.messages.filter((e) => copy.messages.has(e.id)),
    );
  }

  /** Nothing a user wrote is lost: messages a deletion never saw go to a new conversation. */
  async #keepCopy(
    key: Uint8Array,
    title: string,
    kind: string,
    sealed: ReadonlyMap<string, Uint8Array>,
    entries: readonly { id: string }[],
  ): Promise<void> {
    const conversationId = newId();
    const messages = entries
      .filter((e) => sealed.has(e.id))
      .map((e) => {
        const plain = openJson(key, messageMeta(e.id), sealed.get(e.id)!) as MessagePlain;
        const { conversationId: _old, ...rest } = plain;
        return { ...rest, conversationId };
      });
    await this.#history.append({
      conversationId,
      conversation: { title, kind: kind as 'chat' },
      messages,
    });
  }
}

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
 * - messages a tombstone would drop that its deleter never saw → kept in a copy.
 * A push that meets a newer server copy merges and retries (the replica), and
 * the next round brings its messages down.
 */
import {
  type ConversationCopy,
  DeviceRemovedError,
  deriveAccountKey,
  emptyReplicaState,
  IntegrityError,
  mergeManifests,
  openJson,
  recordDigest,
  type ReplicaState,
  sealJson,
  SyncClient,
  SyncReplica,
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
import { readLocalCopies, writeLocalCopy } from './history-bridge';

const messageMeta = (id: string) => ({ id, type: MESSAGE_TYPE, schemaVersion: SCHEMA_VERSION });

interface StoredSync {
  url: string;
  deviceId: string;
  replica: ReplicaState;
}

const ROUNDS = 3;
/** The worker's periodic sync alarm (edits made offline upload on the next one). */
export const SYNC_ALARM = 'sotto-sync';

export class SyncService {
  readonly #db: SottoDb;
  readonly #vault: VaultService;
  readonly #history: HistoryService;
  readonly #fetch: typeof fetch | undefined;
  readonly #now: () => number;
  #last: SyncStatus | undefined;
  #pulledFull = false;
  #running: Promise<SyncStatus> | undefined;

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
  async configure(url: string | null): Promise<SyncStatus> {
    if (url === null) {
      await this.#db.settings.delete(SYNC_STATE_KEY as SettingsRow['key']);
      this.#last = undefined;
      return { state: 'off', pending: 0 };
    }
    const clean = new URL(url);
    if (clean.protocol !== 'http:' && clean.protocol !== 'https:')
      throw new TypeError('sync URL must be http(s)');
    const current = await this.#stored();
    await this.#save({
      url: clean.origin,
      deviceId: current?.deviceId ?? newId(),
      replica: current?.url === clean.origin ? current.replica : emptyReplicaState(),
    });
    this.#pulledFull = false;
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
    const last = this.#last;
    const url = stored.url;
    if (last && last.state !== 'synced' && last.state !== 'pending')
      return { ...last, pending, url };
    return { state: pending > 0 || !last ? 'pending' : 'synced', pending, url };
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
    this.#running ??= this.#sync().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #sync(): Promise<SyncStatus> {
    const stored = await this.#stored();
    if (!stored) return { state: 'off', pending: 0 };
    let key: Uint8Array;
    try {
      key = await this.#vault.key();
    } catch {
      return { state: 'locked', pending: 0 };
    }
    const client = new SyncClient({
      baseUrl: stored.url,
      account: deriveAccountKey(key),
      ...(this.#fetch ? { fetch: this.#fetch } : {}),
    });
    const replica = new SyncReplica(client, () => key, stored.replica);
    let conflict = false;
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const before = replica.state();
        const remote = await replica.pull({ full: !this.#pulledFull });
        this.#pulledFull = true;
        const pushed = await this.#reconcile(key, replica, before, remote, stored.deviceId);
        conflict ||= pushed.conflict;
        await this.#save({ ...stored, replica: replica.state() });
        if (pushed.count === 0) break;
      }
      this.#last = conflict
        ? { state: 'conflict', pending: 0, detail: 'A conflicting edit was kept as a copy.' }
        : { state: 'synced', pending: 0 };
    } catch (e) {
      await this.#save({ ...stored, replica: replica.state() });
      if (e instanceof DeviceRemovedError) {
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
    return this.status();
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
      const { merged, orphans } = mergeManifests(l.manifest, r.manifest);
      const messages = new Map([...r.messages, ...l.messages]);
      if (orphans.length > 0) {
        conflict = true;
        await this.#keepCopy(
          key,
          merged.title,
          merged.kind,
          orphans.map((o) => messages.get(o.id)!),
          orphans.map((o) => o.id),
        );
      }
      const copy = { manifest: merged, messages };
      await writeLocalCopy(this.#db, key, copy);
      toPush.push(copy);
    }
    for (const l of local.values()) toPush.push(l); // new here
    for (const copy of toPush) {
      const { manifest, orphans } = await replica.push(copy);
      if (orphans.length > 0) {
        conflict = true;
        const kept = orphans.filter((o) => copy.messages.has(o.id));
        await this.#keepCopy(
          key,
          manifest.title,
          manifest.kind,
          kept.map((o) => copy.messages.get(o.id)!),
          kept.map((o) => o.id),
        );
      }
      const complete = manifest.messages.every((m) => copy.messages.has(m.id));
      if (manifest.deleted) await writeLocalCopy(this.#db, key, { manifest, messages: new Map() });
      else if (complete) await writeLocalCopy(this.#db, key, { manifest, messages: copy.messages });
      // else: the server had newer messages; the next round pulls them
    }
    return { count: toPush.length, conflict };
  }

  /**
   * Removes every other device (issue 14): the vault key is rotated (this device's
   * passkey wraps the new one), history is re-sealed under it, the old account is
   * left holding only a sealed "removed" notice, and everything is uploaded again
   * to the new key's account. Devices that stay pair again. A removed device keeps
   * what it had, but cannot read, list or sign for anything written afterwards.
   * @throws {ServiceFailure} sync is off; `wrong-passkey` (nothing changed).
   */
  async removeOtherDevices(input: {
    prf: Uint8Array;
    credentialId: Uint8Array;
  }): Promise<SyncStatus> {
    const stored = await this.#stored();
    if (!stored) {
      throw new ServiceFailure({
        code: 'invalid',
        message: 'Turn sync on first.',
        messageKey: 'errors.syncOff',
        retryable: false,
      });
    }
    let retiredKey: Uint8Array | undefined;
    await this.#vault.rotate(input, async (oldKey, newKey) => {
      retiredKey = oldKey;
      const { copies } = await readLocalCopies(this.#db, oldKey);
      for (const c of copies) {
        const messages = new Map<string, Uint8Array>();
        const entries = c.manifest.messages.map((e) => {
          const sealed = sealJson(
            newKey,
            messageMeta(e.id),
            openJson(oldKey, messageMeta(e.id), c.messages.get(e.id)!),
          );
          messages.set(e.id, sealed);
          return { ...e, digest: recordDigest(sealed) };
        });
        await writeLocalCopy(this.#db, newKey, {
          manifest: { ...c.manifest, version: c.manifest.version + 1, messages: entries },
          messages,
        });
      }
    });
    const old = retiredKey!;
    const oldClient = new SyncClient({
      baseUrl: stored.url,
      account: deriveAccountKey(old),
      ...(this.#fetch ? { fetch: this.#fetch } : {}),
    });
    try {
      await new SyncReplica(oldClient, () => old, stored.replica).retire(this.#now());
    } catch {
      // Best effort: new records are already under a key the removed device never had.
    } finally {
      old.fill(0);
    }
    await this.#save({ ...stored, replica: emptyReplicaState() });
    this.#pulledFull = false;
    return this.syncNow();
  }

  /** Nothing a user wrote is lost: messages a deletion never saw go to a new conversation. */
  async #keepCopy(
    key: Uint8Array,
    title: string,
    kind: string,
    sealed: Uint8Array[],
    ids: string[],
  ): Promise<void> {
    const conversationId = newId();
    const messages = sealed.map((s, i) => {
      const plain = openJson(
        key,
        { id: ids[i]!, type: MESSAGE_TYPE, schemaVersion: SCHEMA_VERSION },
        s,
      ) as MessagePlain;
      const { conversationId: _old, ...rest } = plain;
      return { ...rest, conversationId };
    });
    await this.#history.append({
      conversationId,
      conversation: { title: `${title} (copy)`, kind: kind as 'chat' },
      messages,
    });
  }
}

/**
 * A device's replica of its sync account: a mirror of the server's records,
 * the manifest versions this device has accepted, and the two operations the
 * extension (and tests) build on:
 *
 * - `pull`: fetches changes (or, with `full`, everything), and returns every
 *   conversation only after its manifest passed the freshness check and its
 *   messages the membership check (`integrity.ts`); a server that dropped,
 *   reordered, duplicated, rolled back or replayed anything makes it throw an
 *   `IntegrityError` and nothing is returned;
 * - `push`: uploads a conversation's new message records (write-once) and its
 *   manifest; on `409` it checks the server's manifest as a pull would, merges
 *   (`merge.ts`) and retries, returning the merged manifest and any orphans.
 *
 * Record ids on the server: `c:<conversation id>` for manifests and
 * `m:<conversation id>:<message id>` for messages, `d:<device id>` for the
 * account's devices (`devices.ts`). The server learns how many
 * conversations and messages there are and their sizes, never their content.
 */

import { DeviceRemovedError, IntegrityError, MalformedError } from '../errors';
import { openJson } from '../sealed/record';
import type { SyncClient } from './client';
import { type DeviceInfo, deviceRecordId, openDevice, sealDevice } from './devices';
import {
  checkFreshness,
  checkIndex,
  type FetchedRecord,
  type HeldRecord,
  type RememberedManifest,
  verifyMembership,
} from './integrity';
import {
  type ConversationManifest,
  type ManifestEntry,
  openManifest,
  recordDigest,
  sealManifest,
} from './manifest';
import { mergeManifests } from './merge';
import { fromBase64Url, toBase64Url } from './request-signature';

/** A conversation with its sealed messages, keyed by message id. */
export interface ConversationCopy {
  manifest: ConversationManifest;
  messages: Map<string, Uint8Array>;
}

/**
 * One mirrored record: its base64url body (null: deleted), or, for a message an
 * accepted manifest lists, only its digest: the bytes are the device's own local
 * copy (and on the server), so the mirror does not hold history a second time.
 */
export type MirroredRecord = { revision: number; body: string | null } | HeldEntry;
export interface HeldEntry {
  revision: number;
  digest: string;
}

/** What a device persists between runs (JSON-safe). */
export interface ReplicaState {
  cursor: number;
  /** Mirror of the server: record id → revision and body or digest. */
  records: Record<string, MirroredRecord>;
  /** Manifests this device accepted, per conversation. */
  remembered: Record<string, RememberedManifest>;
}

export const emptyReplicaState = (): ReplicaState => ({ cursor: 0, records: {}, remembered: {} });

const ID = /^[A-Za-z0-9_-]{1,60}$/;
const bodyOf = (r: MirroredRecord | undefined): string | null | undefined =>
  r === undefined ? undefined : 'digest' in r ? undefined : r.body;
/** True if the mirror knows this record as present (with its bytes or its digest). */
const isPresent = (r: MirroredRecord | undefined): boolean =>
  r !== undefined && ('digest' in r || r.body !== null);
export const manifestRecordId = (conversationId: string) => `c:${conversationId}`;
/**
 * A sealed "removed" notice that builds before server-side retirement left in an
 * account its devices moved away from; still honoured when it is there.
 */
export const RETIRED_RECORD_ID = 'x:retired';
const RETIRED_META = { id: RETIRED_RECORD_ID, type: 'sotto/sync/retired', schemaVersion: 1 };
export const messageRecordId = (conversationId: string, messageId: string) =>
  `m:${conversationId}:${messageId}`;

function checkId(id: string, what: string): void {
  if (!ID.test(id)) throw new MalformedError(`sync: ${what} id cannot be synced`);
}

/** How many times `push` merges and retries before giving up. */
const MAX_PUSH_ATTEMPTS = 8;

export class SyncReplica {
  readonly #client: SyncClient;
  readonly #key: () => Uint8Array;
  #state: ReplicaState;

  /** `vaultKey` is read on each use (it may be locked or rotated between calls). */
  constructor(client: SyncClient, vaultKey: () => Uint8Array, state?: ReplicaState) {
    this.#client = client;
    this.#key = vaultKey;
    this.#state = state ? structuredClone(state) : emptyReplicaState();
  }

  /** A copy of the state to persist. */
  state(): ReplicaState {
    return structuredClone(this.#state);
  }

  /**
   * Fetches and verifies. With `full`, the mirror is rebuilt from the whole
   * listing, so a record the server removed or rewrote silently is noticed.
   * @throws {IntegrityError} anything the server did not get from this account's devices.
   * @throws {UnreachableError} / {ServiceError} from the client. The state is unchanged on any throw.
   */
  async pull(options: { full?: boolean } = {}): Promise<ConversationCopy[]> {
    const full = options.full === true;
    const { records, next } = await this.#client.changes(full ? 0 : this.#state.cursor);
    const mirror = full ? {} : { ...this.#state.records };
    const seen = new Set<string>();
    for (const r of records) {
      if (full && seen.has(r.id))
        throw new IntegrityError('duplicated', 'a record was listed twice');
      seen.add(r.id);
      mirror[r.id] = { revision: r.revision, body: r.body === null ? null : toBase64Url(r.body) };
    }
    const { copies, remembered } = this.#verify(mirror);
    // The caller keeps what it was handed; the mirror keeps digests of listed messages.
    for (const c of copies) {
      for (const e of c.manifest.deleted ? [] : c.manifest.messages) {
        const rid = messageRecordId(c.manifest.conversationId, e.id);
        const m = mirror[rid];
        if (m && !('digest' in m)) mirror[rid] = { revision: m.revision, digest: e.digest };
      }
    }
    this.#state = {
      cursor: full ? next : Math.max(next, this.#state.cursor),
      records: mirror,
      remembered,
    };
    return copies;
  }

  #verify(mirror: ReplicaState['records']): {
    copies: ConversationCopy[];
    remembered: Record<string, RememberedManifest>;
  } {
    const key = this.#key();
    const remembered = { ...this.#state.remembered };
    const byConversation = new Map<string, (FetchedRecord | HeldRecord)[]>();
    const manifests = new Map<string, Uint8Array>();
    const retired = bodyOf(mirror[RETIRED_RECORD_ID]);
    if (retired) {
      try {
        openJson(key, RETIRED_META, fromBase64Url(retired));
      } catch (cause) {
        throw new IntegrityError('tampered', 'a record this account never wrote', { cause });
      }
      throw new DeviceRemovedError('this device was removed from sync: pair again to rejoin');
    }
    for (const [rid, r] of Object.entries(mirror)) {
      if (rid === RETIRED_RECORD_ID) continue;
      const parts = rid.split(':');
      if (parts[0] === 'm' && parts.length === 3) {
        if (!isPresent(r)) continue;
        const list = byConversation.get(parts[1]!) ?? [];
        list.push(
          'digest' in r
            ? { id: parts[2]!, digest: r.digest }
            : { id: parts[2]!, sealed: fromBase64Url(r.body!) },
        );
        byConversation.set(parts[1]!, list);
        continue;
      }
      const body = bodyOf(r);
      if (body === undefined)
        throw new IntegrityError('unexpected', 'a record this client never writes');
      if (parts[0] === 'c' && parts.length === 2) {
        if (body === null) continue; // a removed manifest: caught by the index check below
        manifests.set(parts[1]!, fromBase64Url(body));
      } else if (parts[0] === 'd' && parts.length === 2) {
        if (body === null) continue;
        try {
          openDevice(key, parts[1]!, fromBase64Url(body));
        } catch (cause) {
          throw new IntegrityError('tampered', 'a device record does not open', { cause });
        }
      } else {
        throw new IntegrityError('unexpected', 'a record this client never writes');
      }
    }
    const copies: ConversationCopy[] = [];
    const present = new Map<string, number>();
    for (const [cid, sealed] of manifests) {
      let manifest: ConversationManifest;
      try {
        manifest = openManifest(key, cid, sealed);
      } catch (cause) {
        throw new IntegrityError('tampered', 'a conversation record does not open', { cause });
      }
      remembered[cid] = checkFreshness(manifest, sealed, remembered[cid]);
      present.set(cid, manifest.version);
      const fetched = byConversation.get(cid) ?? [];
      byConversation.delete(cid);
      if (manifest.deleted) {
        copies.push({ manifest, messages: new Map() });
        continue;
      }
      const ordered = verifyMembership(manifest, fetched, { ignoreUnlisted: true });
      const messages = new Map<string, Uint8Array>();
      for (const r of ordered) if ('sealed' in r) messages.set(r.id, r.sealed);
      copies.push({ manifest, messages });
    }
    // Messages of a conversation with no manifest yet are uploads in flight: not shown.
    checkIndex(this.#state.remembered, present);
    return { copies, remembered };
  }

  /**
   * Uploads a conversation: message records first (write-once), then the
   * manifest; merges on conflict. Returns what the server now holds for it.
   * @throws {IntegrityError} the server's copy fails a check, or a message id holds other bytes.
   * @throws {UnreachableError} / {ServiceError} from the client (nothing is lost: push again later).
   */
  async push(copy: ConversationCopy): Promise<{
    manifest: ConversationManifest;
    orphans: ManifestEntry[];
    /** Titles of concurrent renames that lost to a later one (keep them). */
    lostTitles: string[];
  }> {
    const cid = copy.manifest.conversationId;
    checkId(cid, 'conversation');
    const key = this.#key();
    let manifest = copy.manifest;
    const orphans: ManifestEntry[] = [];
    const lostTitles: string[] = [];
    for (let attempt = 0; attempt < MAX_PUSH_ATTEMPTS; attempt++) {
      if (!manifest.deleted) await this.#uploadMessages(cid, manifest, copy.messages);
      const known = this.#state.remembered[cid];
      if (known && manifest.version <= known.version)
        manifest = { ...manifest, version: known.version + 1 };
      const sealed = sealManifest(key, manifest);
      const rid = manifestRecordId(cid);
      const r = await this.#client.put(rid, this.#state.records[rid]?.revision ?? 0, sealed);
      if (r.ok) {
        this.#written(rid, r.record, sealed);
        this.#state.remembered[cid] = checkFreshness(manifest, sealed, known);
        if (manifest.deleted) await this.#deleteMessages(cid);
        return { manifest, orphans, lostTitles };
      }
      if (!r.current || r.current.body === null) {
        throw new IntegrityError('dropped', 'the server lost a conversation it had');
      }
      let remote: ConversationManifest;
      try {
        remote = openManifest(key, cid, r.current.body);
      } catch (cause) {
        throw new IntegrityError('tampered', 'a conversation record does not open', { cause });
      }
      this.#state.remembered[cid] = checkFreshness(remote, r.current.body, known);
      const agreed = this.knownManifest(cid); // what this edit was made against
      this.#mirror(rid, r.current.revision, r.current.body);
      const merged = mergeManifests(manifest, remote, agreed);
      manifest = merged.merged;
      orphans.push(...merged.orphans);
      if (merged.lostTitle !== undefined) lostTitles.push(merged.lostTitle);
    }
    throw new IntegrityError('forked', 'the conversation keeps changing on the server; try again');
  }

  /**
   * A listed message's bytes from the server, for one whose bytes this device
   * no longer has (the mirror keeps only digests of listed messages).
   * @throws {IntegrityError} `dropped` (gone) or `tampered` (other bytes than the manifest lists).
   */
  async fetchMessage(cid: string, entry: ManifestEntry): Promise<Uint8Array> {
    const r = await this.#client.get(messageRecordId(cid, entry.id));
    if (!r?.body)
      throw new IntegrityError('dropped', 'a message the conversation lists is missing');
    if (recordDigest(r.body) !== entry.digest) {
      throw new IntegrityError('tampered', 'a message differs from the one the conversation lists');
    }
    return r.body;
  }

  /** The account's devices as last pulled (each record verified when it was mirrored). */
  devices(): DeviceInfo[] {
    const key = this.#key();
    const out: DeviceInfo[] = [];
    for (const [rid, r] of Object.entries(this.#state.records)) {
      const body = bodyOf(r);
      if (!rid.startsWith('d:') || !body) continue;
      out.push(openDevice(key, rid.slice(2), fromBase64Url(body)));
    }
    return out.sort((a, b) => a.addedAt - b.addedAt || a.deviceId.localeCompare(b.deviceId));
  }

  /**
   * Files this device's record (its label and handover key) unless the mirror
   * already holds exactly that device.
   * @throws {UnreachableError} / {ServiceError} from the client.
   */
  async publishDevice(device: DeviceInfo): Promise<void> {
    const rid = deviceRecordId(device.deviceId);
    const known = this.devices().find((d) => d.deviceId === device.deviceId);
    if (
      known &&
      known.label === device.label &&
      toBase64Url(known.publicKey) === toBase64Url(device.publicKey)
    )
      return;
    const sealed = sealDevice(this.#key(), device);
    const r = await this.#client.put(rid, this.#state.records[rid]?.revision ?? 0, sealed);
    const rev = r.ok ? r.record.revision : r.current?.revision;
    if (!r.ok && rev !== undefined) {
      const again = await this.#client.put(rid, rev, sealed);
      if (again.ok) this.#written(rid, again.record, sealed);
      return;
    }
    if (r.ok) this.#written(rid, r.record, sealed);
  }

  /**
   * The conversation's manifest as this device last mirrored it (already
   * verified when it was mirrored), or undefined if there is none or it does not open.
   */
  knownManifest(cid: string, state: ReplicaState = this.#state): ConversationManifest | undefined {
    const body = bodyOf(state.records[manifestRecordId(cid)]);
    if (!body) return undefined;
    try {
      return openManifest(this.#key(), cid, fromBase64Url(body));
    } catch {
      return undefined;
    }
  }

  /**
   * Mirrors this device's own accepted write. When it took the account's very
   * next change number the cursor moves past it, so the next listing does not
   * bring this device's own writes back (nothing else can hide in that step).
   */
  #written(
    rid: string,
    record: { revision: number; change: number },
    body: Uint8Array | null,
  ): void {
    this.#mirror(rid, record.revision, body);
    if (record.change === this.#state.cursor + 1) this.#state.cursor = record.change;
  }

  #mirror(rid: string, revision: number, body: Uint8Array | null): void {
    this.#state.records[rid] = { revision, body: body === null ? null : toBase64Url(body) };
  }

  async #uploadMessages(
    cid: string,
    manifest: ConversationManifest,
    messages: ReadonlyMap<string, Uint8Array>,
  ): Promise<void> {
    for (const entry of manifest.messages) {
      const rid = messageRecordId(cid, entry.id);
      if (isPresent(this.#state.records[rid])) continue;
      const sealed = messages.get(entry.id);
      if (!sealed) continue; // another device's message: it uploaded it
      checkId(entry.id, 'message');
      if (recordDigest(sealed) !== entry.digest)
        throw new MalformedError('sync: a message differs from its manifest entry');
      const r = await this.#client.put(rid, 0, sealed);
      if (r.ok) {
        this.#written(rid, r.record, sealed);
        this.#state.records[rid] = { revision: r.record.revision, digest: entry.digest };
      } else if (r.current?.body && recordDigest(r.current.body) === entry.digest) {
        this.#state.records[rid] = { revision: r.current.revision, digest: entry.digest };
      } else {
        throw new IntegrityError('tampered', 'the server holds other bytes under a message id');
      }
    }
  }

  async #deleteMessages(cid: string): Promise<void> {
    const prefix = `m:${cid}:`;
    for (const [rid, r] of Object.entries(this.#state.records)) {
      if (!rid.startsWith(prefix) || !isPresent(r)) continue;
      const d = await this.#client.delete(rid, r.revision);
      if (d.ok) this.#written(rid, d.record, null);
    }
  }
}

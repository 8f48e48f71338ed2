/**
 * Integrity checks a client runs on what a sync server (or the local database)
 * hands back, against the sealed manifests of `manifest.ts` and what this
 * device remembers:
 *
 * - rollback: a manifest whose version is lower than the one this device last
 *   accepted for that conversation (`rolled-back`), or the same version with
 *   different bytes (`forked`);
 * - membership: every message the manifest lists must be present with the exact
 *   sealed bytes it names (`dropped`, `tampered`); a record it does not list is
 *   refused (`unexpected`), a record given twice too (`duplicated`), and a
 *   record whose bytes belong to another listed message (`reordered`);
 * - order: messages are returned in the manifest's order, never the server's.
 *
 * Every failure is an {@link IntegrityError}; nothing is partly accepted.
 */

import { IntegrityError } from '../errors';
import type { ConversationManifest } from './manifest';
import { recordDigest } from './manifest';

/** What a device keeps per conversation after accepting a manifest. */
export interface RememberedManifest {
  version: number;
  /** {@link recordDigest} of the sealed manifest bytes it accepted. */
  digest: string;
}

/**
 * Checks a manifest against what this device accepted before.
 * @throws {IntegrityError} `rolled-back` or `forked`.
 */
export function checkFreshness(
  manifest: ConversationManifest,
  sealedManifest: Uint8Array,
  remembered: RememberedManifest | undefined,
): RememberedManifest {
  const digest = recordDigest(sealedManifest);
  if (remembered) {
    if (manifest.version < remembered.version) {
      throw new IntegrityError('rolled-back', 'a conversation went back to an older version');
    }
    if (manifest.version === remembered.version && digest !== remembered.digest) {
      throw new IntegrityError('forked', 'a conversation version changed its content');
    }
  }
  return { version: manifest.version, digest };
}

/** A message record as fetched: its id and sealed bytes. */
export interface FetchedRecord {
  id: string;
  sealed: Uint8Array;
}

/** A message record known by its digest only (its bytes are kept elsewhere, e.g. local history). */
export interface HeldRecord {
  id: string;
  digest: string;
}

/**
 * Matches fetched message records to the manifest. Returns them in the
 * manifest's order. `ignoreUnlisted` (a sync server's listing) leaves out
 * records no manifest lists yet instead of refusing them.
 * @throws {IntegrityError} `duplicated`, `unexpected`, `reordered`, `tampered`, `dropped`.
 */
export function verifyMembership<T extends FetchedRecord | HeldRecord = FetchedRecord>(
  manifest: Pick<ConversationManifest, 'messages'>,
  records: readonly T[],
  options: { ignoreUnlisted?: boolean } = {},
): T[] {
  const listed = new Map(manifest.messages.map((m, i) => [m.id, { entry: m, index: i }]));
  const byDigest = new Map(manifest.messages.map((m) => [m.digest, m.id]));
  const found = new Map<string, T>();
  for (const r of records) {
    if (found.has(r.id)) throw new IntegrityError('duplicated', 'a message was returned twice');
    const at = listed.get(r.id);
    if (!at) {
      // On a sync server a message may be uploaded before the manifest that lists it:
      // until a manifest lists it, it is not part of the conversation and is not shown.
      if (options.ignoreUnlisted) continue;
      throw new IntegrityError('unexpected', 'a message the conversation does not list');
    }
    const digest = 'sealed' in r ? recordDigest(r.sealed) : r.digest;
    if (digest !== at.entry.digest) {
      const owner = byDigest.get(digest);
      if (owner !== undefined && owner !== r.id) {
        throw new IntegrityError('reordered', 'messages were moved between positions');
      }
      throw new IntegrityError('tampered', 'a message differs from the one the conversation lists');
    }
    found.set(r.id, r);
  }
  if (found.size !== manifest.messages.length) {
    throw new IntegrityError('dropped', 'a message the conversation lists is missing');
  }
  return manifest.messages.map((m) => found.get(m.id)!);
}

/** The account index: the latest manifest version this device accepted per conversation. */
export type RememberedIndex = Readonly<Record<string, RememberedManifest>>;

/**
 * Checks that a server's listing still holds every conversation this device has
 * accepted, none older than accepted. `present` maps conversation id to the
 * manifest version the server returned.
 * @throws {IntegrityError} `dropped` (a conversation vanished) or `rolled-back`.
 */
export function checkIndex(
  remembered: RememberedIndex,
  present: ReadonlyMap<string, number>,
): void {
  for (const [id, r] of Object.entries(remembered)) {
    const v = present.get(id);
    if (v === undefined) throw new IntegrityError('dropped', 'a conversation is missing');
    if (v < r.version) throw new IntegrityError('rolled-back', 'a conversation went back');
  }
}

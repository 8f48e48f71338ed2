/**
 * Merging two versions of one conversation's manifest (after a `409` from the
 * sync server, or when a device comes back online). Rules (issue 14):
 *
 * - messages are append-only: the merged list is the union, the server's order
 *   first and this device's new messages after it by creation time;
 * - a rename is last-writer-wins on (titleAt, titleBy); when both sides renamed
 *   since the version they last agreed on (`agreed`), the losing title is returned
 *   as `lostTitle`, for the caller to keep (nothing a user wrote is lost);
 * - a delete is a tombstone, last-writer-wins against renames; messages the
 *   deleting device never saw are not lost: they are returned as `orphans`,
 *   for the caller to keep in a copy of the conversation;
 * - the merged version is one above both, so every device moves forward.
 *
 * Pure: no I/O, no clock; the caller passes what it needs.
 */

import type { ConversationManifest, ManifestEntry } from './manifest';

/** The merge result. */
export interface MergeResult {
  merged: ConversationManifest;
  /** Messages a tombstone would drop that its deleter never saw: keep them in a copy. */
  orphans: ManifestEntry[];
  /** A concurrent rename that lost to a later one (only with `agreed`): keep it. */
  lostTitle?: string;
}

function titleWins(a: ConversationManifest, b: ConversationManifest): boolean {
  return a.titleAt > b.titleAt || (a.titleAt === b.titleAt && a.titleBy > b.titleBy);
}

function union(first: readonly ManifestEntry[], second: readonly ManifestEntry[]): ManifestEntry[] {
  const ids = new Set(first.map((m) => m.id));
  const extra = second
    .filter((m) => !ids.has(m.id))
    .map((m, i) => ({ m, i }))
    .sort((x, y) => x.m.createdAt - y.m.createdAt || x.i - y.i)
    .map(({ m }) => m);
  return [...first, ...extra];
}

/** The later action of a manifest: its rename or its deletion. */
function lastAction(m: ConversationManifest): number {
  return Math.max(m.titleAt, m.deleted?.at ?? -1);
}

/**
 * Merges this device's manifest with the server's current one. `agreed`,
 * when known, is the version both last agreed on; it tells a concurrent rename from
 * a title one side never changed. All must be for the same conversation (the
 * caller opened them as such).
 */
export function mergeManifests(
  local: ConversationManifest,
  remote: ConversationManifest,
  agreed?: Pick<ConversationManifest, 'titleAt'>,
): MergeResult {
  const version = Math.max(local.version, remote.version) + 1;
  const messages = union(remote.messages, local.messages);
  const title = titleWins(local, remote) ? local : remote;
  const loser = title === local ? remote : local;
  const lostTitle =
    agreed !== undefined &&
    local.titleAt > agreed.titleAt &&
    remote.titleAt > agreed.titleAt &&
    loser.title !== title.title
      ? loser.title
      : undefined;
  const base: ConversationManifest = {
    ...remote,
    version,
    title: title.title,
    titleAt: title.titleAt,
    titleBy: title.titleBy,
    createdAt: Math.min(local.createdAt, remote.createdAt),
    updatedAt: Math.max(local.updatedAt, remote.updatedAt),
    messages,
  };
  delete base.deleted;
  const tombstone =
    local.deleted && remote.deleted
      ? local.deleted.at >= remote.deleted.at
        ? local.deleted
        : remote.deleted
      : (local.deleted ?? remote.deleted);
  if (!tombstone) return { merged: base, orphans: [], ...(lostTitle ? { lostTitle } : {}) };

  const deleter =
    local.deleted && (!remote.deleted || local.deleted === tombstone) ? local : remote;
  const other = deleter === local ? remote : local;
  if (!other.deleted && lastAction(other) > tombstone.at) {
    // Renamed after the deletion: the later action wins and the conversation stays.
    return { merged: base, orphans: [], ...(lostTitle ? { lostTitle } : {}) };
  }
  const seen = new Set(deleter.messages.map((m) => m.id));
  const orphans = other.deleted ? [] : other.messages.filter((m) => !seen.has(m.id));
  const deletedIds = new Set(orphans.map((m) => m.id));
  return {
    merged: {
      ...base,
      deleted: tombstone,
      messages: messages.filter((m) => !deletedIds.has(m.id)),
    },
    orphans,
  };
}

/**
 * Conversation manifests: the authenticated order and membership of one
 * conversation (DESIGN.md "History"). A manifest is a sealed record (see
 * `sealed/record.ts`) under the vault key with
 *   meta = { id: conversation id, type: "sotto/sync/manifest", schemaVersion: 1 }
 * and a JSON plaintext that holds the conversation's header (title, kind, page,
 * times), a monotonic `version`, an optional tombstone, and the ordered list of
 * its messages, each as (record id, SHA-256 of the message's sealed bytes,
 * createdAt). Message records are immutable: a new message is a new record.
 *
 * Because the list, the times and the count live inside the sealed manifest,
 * neither a sync server nor someone editing the local database can drop,
 * reorder, duplicate or swap a message, or roll back a rename, without the
 * manifest check (`integrity.ts`) saying so.
 */

import { isBytes, toHex } from '../bytes';
import { MalformedError } from '../errors';
import { openJson, type RecordMeta, type SealOptions, sealJson } from '../sealed/record';
import { sha256Digest } from './request-signature';

export const MANIFEST_TYPE = 'sotto/sync/manifest';
export const MANIFEST_SCHEMA_VERSION = 1;
/** Most messages one conversation may list. */
export const MAX_MANIFEST_MESSAGES = 10_000;
const MAX_TEXT_CHARS = 4096;
const MAX_ID_CHARS = 128;

/** One message as its conversation's manifest lists it. */
export interface ManifestEntry {
  /** The message record's id. */
  id: string;
  /** Lower-case hex SHA-256 of the message record's sealed bytes. */
  digest: string;
  createdAt: number;
}

/** A deletion: who deleted and when; the ids it deleted stay listed in `messages`. */
export interface Tombstone {
  at: number;
  by: string;
}

/** The plaintext of a manifest. */
export interface ConversationManifest {
  conversationId: string;
  /** Starts at 1; every change writes version + 1. */
  version: number;
  title: string;
  /** When the title was last set, and by which device (last-writer-wins). */
  titleAt: number;
  titleBy: string;
  kind: string;
  pageUrl?: string;
  pageTitle?: string;
  createdAt: number;
  updatedAt: number;
  deleted?: Tombstone;
  messages: ManifestEntry[];
}

/** The sealed-record meta a manifest is bound to. */
export function manifestMeta(conversationId: string): RecordMeta {
  return { id: conversationId, type: MANIFEST_TYPE, schemaVersion: MANIFEST_SCHEMA_VERSION };
}

/** Lower-case hex SHA-256 of a sealed record's bytes, as manifests list it. */
export function recordDigest(sealed: Uint8Array): string {
  if (!isBytes(sealed)) throw new MalformedError('record digest: bytes expected');
  return toHex(sha256Digest(sealed));
}

function text(v: unknown, what: string, max = MAX_TEXT_CHARS): string {
  if (typeof v !== 'string' || v.length > max) throw new MalformedError(`manifest: bad ${what}`);
  return v;
}

function id(v: unknown, what: string): string {
  const s = text(v, what, MAX_ID_CHARS);
  if (s.length === 0) throw new MalformedError(`manifest: empty ${what}`);
  return s;
}

function time(v: unknown, what: string): number {
  if (!Number.isSafeInteger(v) || (v as number) < 0)
    throw new MalformedError(`manifest: bad ${what}`);
  return v as number;
}

/**
 * Checks that an opened value is a well-formed manifest for `conversationId`:
 * every field typed and bounded, no message listed twice.
 * @throws {MalformedError}
 */
export function parseManifest(value: unknown, conversationId: string): ConversationManifest {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MalformedError('manifest: not an object');
  }
  const o = value as Record<string, unknown>;
  if (o.conversationId !== conversationId) {
    throw new MalformedError('manifest: names another conversation');
  }
  const version = o.version;
  if (!Number.isSafeInteger(version) || (version as number) < 1) {
    throw new MalformedError('manifest: bad version');
  }
  if (!Array.isArray(o.messages) || o.messages.length > MAX_MANIFEST_MESSAGES) {
    throw new MalformedError('manifest: bad message list');
  }
  const seen = new Set<string>();
  const messages = o.messages.map((m: unknown): ManifestEntry => {
    if (typeof m !== 'object' || m === null) throw new MalformedError('manifest: bad entry');
    const e = m as Record<string, unknown>;
    const entry = {
      id: id(e.id, 'message id'),
      digest: text(e.digest, 'digest'),
      createdAt: time(e.createdAt, 'message time'),
    };
    if (!/^[0-9a-f]{64}$/.test(entry.digest)) throw new MalformedError('manifest: bad digest');
    if (seen.has(entry.id)) throw new MalformedError('manifest: a message is listed twice');
    seen.add(entry.id);
    return entry;
  });
  const out: ConversationManifest = {
    conversationId,
    version: version as number,
    title: text(o.title, 'title'),
    titleAt: time(o.titleAt, 'title time'),
    titleBy: text(o.titleBy, 'title device', MAX_ID_CHARS),
    kind: text(o.kind, 'kind', MAX_ID_CHARS),
    createdAt: time(o.createdAt, 'creation time'),
    updatedAt: time(o.updatedAt, 'update time'),
    messages,
  };
  if (o.pageUrl !== undefined) out.pageUrl = text(o.pageUrl, 'page URL');
  if (o.pageTitle !== undefined) out.pageTitle = text(o.pageTitle, 'page title');
  if (o.deleted !== undefined) {
    if (typeof o.deleted !== 'object' || o.deleted === null) {
      throw new MalformedError('manifest: bad tombstone');
    }
    const d = o.deleted as Record<string, unknown>;
    out.deleted = {
      at: time(d.at, 'deletion time'),
      by: text(d.by, 'deleting device', MAX_ID_CHARS),
    };
  }
  return out;
}

/**
 * Seals a manifest under the vault key.
 * @throws {MalformedError} the manifest is not well formed (checked as {@link parseManifest}).
 */
export function sealManifest(
  vaultKey: Uint8Array,
  manifest: ConversationManifest,
  options?: SealOptions,
): Uint8Array {
  const clean = parseManifest(manifest, manifest.conversationId);
  return sealJson(vaultKey, manifestMeta(clean.conversationId), clean, options);
}

/**
 * Opens and checks a sealed manifest for `conversationId`.
 * @throws {DecryptError} wrong key, another conversation's manifest, or tampering.
 * @throws {MalformedError} authenticated but not a well-formed manifest.
 */
export function openManifest(
  vaultKey: Uint8Array,
  conversationId: string,
  sealed: Uint8Array,
): ConversationManifest {
  return parseManifest(openJson(vaultKey, manifestMeta(conversationId), sealed), conversationId);
}

/**
 * Sealed history records: XChaCha20-Poly1305 under the 32-byte vault key,
 * a fresh 24-byte random nonce per record, and associated data that binds
 * the record's id, type and schema version, so a record cannot be swapped
 * with another, replayed under another id, or read as another type.
 *
 * Layout (version 1):
 *   sealed = 0x01 || nonce (24) || ciphertext || tag (16)
 *   AAD    = lp("sotto/record") || lp(0x01) || lp(UTF-8 id) || lp(UTF-8 type) || u32be(schemaVersion)
 * where lp(x) = u32be(len x) || x. The version byte is authenticated too.
 */

import { concat, fromUtf8, isBytes, utf8 } from '../bytes';
import { DecryptError, MalformedError } from '../errors';
import { lengthPrefixed, strictUtf8, u32be } from './aad';
import {
  XCHACHA_KEY_BYTES,
  XCHACHA_NONCE_BYTES,
  XCHACHA_TAG_BYTES,
  xchachaOpen,
  xchachaSeal,
} from './aead';
import { type RandomSource, randomSource } from './random';

/** Leading byte of every version-1 sealed record. */
export const SEALED_RECORD_V1 = 0x01;
/** Bytes a version-1 record adds to its plaintext. */
export const SEALED_RECORD_OVERHEAD_BYTES = 1 + XCHACHA_NONCE_BYTES + XCHACHA_TAG_BYTES;

const LABEL = utf8('sotto/record');

/** What a record is bound to: its id, its type and the schema version of its plaintext. */
export interface RecordMeta {
  id: string;
  type: string;
  schemaVersion: number;
}

/** Options for sealing; `random` is a test-only hook. */
export interface SealOptions {
  random?: RandomSource;
}

/** AAD for a record (layout above). @throws {MalformedError} empty id/type, ill-formed text, bad version. */
export function recordAad(meta: RecordMeta, version = SEALED_RECORD_V1): Uint8Array {
  if (!meta || typeof meta.id !== 'string' || meta.id.length === 0) {
    throw new MalformedError('sealed record: id must be a non-empty string');
  }
  if (typeof meta.type !== 'string' || meta.type.length === 0) {
    throw new MalformedError('sealed record: type must be a non-empty string');
  }
  return concat(
    lengthPrefixed(
      LABEL,
      Uint8Array.of(version),
      strictUtf8(meta.id, 'record id'),
      strictUtf8(meta.type, 'record type'),
    ),
    u32be(meta.schemaVersion),
  );
}

function checkVaultKey(key: Uint8Array): void {
  if (!isBytes(key) || key.length !== XCHACHA_KEY_BYTES) {
    throw new MalformedError('sealed record: vault key must be 32 bytes');
  }
}

/**
 * Seals `plaintext` as the record `meta` names.
 * @throws {MalformedError} vault key not 32 bytes, or invalid `meta`.
 * @throws {ConfigurationError} `options.random` outside a test runner.
 */
export function sealRecord(
  vaultKey: Uint8Array,
  meta: RecordMeta,
  plaintext: Uint8Array,
  options?: SealOptions,
): Uint8Array {
  checkVaultKey(vaultKey);
  const aad = recordAad(meta);
  const nonce = randomSource(options?.random)(XCHACHA_NONCE_BYTES);
  return concat(
    Uint8Array.of(SEALED_RECORD_V1),
    nonce,
    xchachaSeal(vaultKey, nonce, aad, plaintext),
  );
}

/**
 * Opens a record sealed by {@link sealRecord} for the same `meta`.
 * @throws {DecryptError} on any failure: wrong key, wrong id/type/schema
 *   version, tampering, truncation, unknown version, invalid arguments.
 */
export function openRecord(vaultKey: Uint8Array, meta: RecordMeta, sealed: Uint8Array): Uint8Array {
  try {
    checkVaultKey(vaultKey);
    if (!isBytes(sealed) || sealed.length < SEALED_RECORD_OVERHEAD_BYTES) {
      throw new MalformedError('sealed record: too short');
    }
    if (sealed[0] !== SEALED_RECORD_V1) throw new MalformedError('sealed record: unknown version');
    const nonce = sealed.subarray(1, 1 + XCHACHA_NONCE_BYTES);
    return xchachaOpen(vaultKey, nonce, recordAad(meta), sealed.subarray(1 + XCHACHA_NONCE_BYTES));
  } catch (cause) {
    if (cause instanceof DecryptError) throw cause;
    throw new DecryptError('sealed record: cannot open', { cause });
  }
}

/**
 * Seals a JSON value (UTF-8 of `JSON.stringify(value)`).
 * @throws {MalformedError} value not serialisable to JSON, or as {@link sealRecord}.
 */
export function sealJson(
  vaultKey: Uint8Array,
  meta: RecordMeta,
  value: unknown,
  options?: SealOptions,
): Uint8Array {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (cause) {
    throw new MalformedError('sealed record: value is not JSON', { cause });
  }
  if (text === undefined) throw new MalformedError('sealed record: value is not JSON');
  return sealRecord(vaultKey, meta, utf8(text), options);
}

/**
 * Opens a record sealed by {@link sealJson} and parses it.
 * @throws {DecryptError} as {@link openRecord}.
 * @throws {MalformedError} the authenticated content is not JSON.
 */
export function openJson(vaultKey: Uint8Array, meta: RecordMeta, sealed: Uint8Array): unknown {
  const bytes = openRecord(vaultKey, meta, sealed);
  try {
    return JSON.parse(fromUtf8(bytes));
  } catch (cause) {
    throw new MalformedError('sealed record: content is not JSON', { cause });
  }
}

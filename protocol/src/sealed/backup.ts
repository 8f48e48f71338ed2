/**
 * Encrypted export file for a whole vault.
 *
 * The export is sealed under a key derived from the VAULT KEY (not the KEK):
 *   backupKey = HKDF-SHA256(ikm = vault key, salt = 32 random bytes per
 *               backup, info = "sotto/backup/v1", 32)                  (RFC 5869)
 * so a backup opens wherever the vault itself can be unlocked, survives the
 * vault key being re-wrapped for another passkey, and never shares a key with
 * a record. To restore on a fresh device the file may carry, in the clear,
 * the passkey credential id and the locked (wrapped) vault key with its KEK
 * salt — safe to expose, as only that passkey's PRF output unwraps it.
 *
 * Layout (version 1):
 *   "SOTTO-BACKUP" (12) || 0x01 || u32be(len E) || E || salt (32) || nonce (24) || ciphertext || tag (16)
 *   E   = empty, or lp(credential id) || lp(KEK salt) || lp(wrapped vault key)
 *   AAD = every byte before the nonce
 * where lp(x) = u32be(len x) || x.
 */

import { concat, equalBytes, isBytes, utf8 } from '../bytes';
import { LimitExceededError, MalformedError, UnsupportedError } from '../errors';
import { lengthPrefixed, u32be } from './aad';
import { XCHACHA_NONCE_BYTES, XCHACHA_TAG_BYTES, xchachaOpen, xchachaSeal } from './aead';
import { hkdfSha256 } from './hkdf';
import { type RandomSource, randomSource } from './random';
import { type LockedVaultKey, VAULT_KEY_BYTES } from './vault-key';

const MAGIC = utf8('SOTTO-BACKUP');
export const BACKUP_V1 = 0x01;
const SALT_BYTES = 32;
const INFO = utf8('sotto/backup/v1');
/** Largest envelope a reader accepts. */
export const MAX_BACKUP_ENVELOPE_BYTES = 4096;

/** What a fresh device needs, besides the passkey, to unlock the vault key. */
export interface BackupEnvelope {
  credentialId: Uint8Array;
  locked: LockedVaultKey;
}

function readU32(b: Uint8Array, off: number): number {
  if (off + 4 > b.length) throw new MalformedError('backup: truncated');
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}

/** Parses the clear header. Returns the envelope (if any) and where the salt starts. */
function parseHeader(backup: Uint8Array): { envelope: BackupEnvelope | undefined; saltAt: number } {
  if (!isBytes(backup) || backup.length < MAGIC.length + 1) {
    throw new MalformedError('backup: truncated');
  }
  if (!equalBytes(backup.subarray(0, MAGIC.length), MAGIC))
    throw new MalformedError('backup: not a Sotto backup');
  if (backup[MAGIC.length] !== BACKUP_V1) throw new UnsupportedError('backup: unknown version');
  let off = MAGIC.length + 1;
  const envLength = readU32(backup, off);
  off += 4;
  if (envLength > MAX_BACKUP_ENVELOPE_BYTES)
    throw new LimitExceededError('backup: envelope too large');
  if (off + envLength > backup.length) throw new MalformedError('backup: truncated');
  const env = backup.subarray(off, off + envLength);
  off += envLength;
  if (off + SALT_BYTES + XCHACHA_NONCE_BYTES + XCHACHA_TAG_BYTES > backup.length) {
    throw new MalformedError('backup: truncated');
  }
  if (env.length === 0) return { envelope: undefined, saltAt: off };
  const items: Uint8Array[] = [];
  let e = 0;
  while (e < env.length) {
    const n = readU32(env, e);
    e += 4;
    if (n > env.length - e) throw new MalformedError('backup: envelope item overruns');
    items.push(env.slice(e, e + n));
    e += n;
  }
  const [credentialId, salt, wrapped] = items;
  if (items.length !== 3 || !credentialId || !salt || !wrapped) {
    throw new MalformedError('backup: envelope must hold three items');
  }
  return { envelope: { credentialId, locked: { salt, wrapped } }, saltAt: off };
}

/**
 * Seals a vault export. `options.envelope` lets a fresh device unlock the
 * vault key from the file with the passkey alone.
 * @throws {MalformedError} vault key not 32 bytes.
 * @throws {LimitExceededError} envelope larger than {@link MAX_BACKUP_ENVELOPE_BYTES}.
 * @throws {ConfigurationError} `options.random` outside a test runner.
 */
export function sealBackup(
  vaultKey: Uint8Array,
  payload: Uint8Array,
  options?: { envelope?: BackupEnvelope; random?: RandomSource },
): Uint8Array {
  if (!isBytes(vaultKey) || vaultKey.length !== VAULT_KEY_BYTES) {
    throw new MalformedError('backup: vault key must be 32 bytes');
  }
  const envelope = options?.envelope;
  const env = envelope
    ? lengthPrefixed(envelope.credentialId, envelope.locked.salt, envelope.locked.wrapped)
    : new Uint8Array(0);
  if (env.length > MAX_BACKUP_ENVELOPE_BYTES)
    throw new LimitExceededError('backup: envelope too large');
  const random = randomSource(options?.random);
  const salt = random(SALT_BYTES);
  const nonce = random(XCHACHA_NONCE_BYTES);
  const header = concat(MAGIC, Uint8Array.of(BACKUP_V1), u32be(env.length), env, salt);
  const key = hkdfSha256(vaultKey, salt, INFO, 32);
  return concat(header, nonce, xchachaSeal(key, nonce, header, payload));
}

/**
 * Reads the clear envelope of a backup without opening it.
 * @throws {MalformedError} not a backup, or truncated. @throws {UnsupportedError} unknown version.
 * @throws {LimitExceededError} envelope too large.
 */
export function readBackupEnvelope(backup: Uint8Array): BackupEnvelope | undefined {
  return parseHeader(backup).envelope;
}

/**
 * Opens a backup sealed by {@link sealBackup}.
 * @throws {DecryptError} wrong vault key, or the file was altered.
 * @throws {MalformedError} / {UnsupportedError} / {LimitExceededError} as {@link readBackupEnvelope}.
 */
export function openBackup(vaultKey: Uint8Array, backup: Uint8Array): Uint8Array {
  if (!isBytes(vaultKey) || vaultKey.length !== VAULT_KEY_BYTES) {
    throw new MalformedError('backup: vault key must be 32 bytes');
  }
  const { saltAt } = parseHeader(backup);
  const nonceAt = saltAt + SALT_BYTES;
  const key = hkdfSha256(vaultKey, backup.subarray(saltAt, nonceAt), INFO, 32);
  return xchachaOpen(
    key,
    backup.subarray(nonceAt, nonceAt + XCHACHA_NONCE_BYTES),
    backup.subarray(0, nonceAt),
    backup.subarray(nonceAt + XCHACHA_NONCE_BYTES),
  );
}

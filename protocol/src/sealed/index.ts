/** Sealed history: records under the vault key, the vault key under a passkey, encrypted backups. */

export {
  XCHACHA_KEY_BYTES,
  XCHACHA_NONCE_BYTES,
  XCHACHA_TAG_BYTES,
  xchachaOpen,
  xchachaSeal,
} from './aead';
export {
  type BackupEnvelope,
  MAX_BACKUP_ENVELOPE_BYTES,
  openBackup,
  readBackupEnvelope,
  sealBackup,
} from './backup';
export { hkdfSha256 } from './hkdf';
export type { RandomSource } from './random';
export {
  openJson,
  openRecord,
  type RecordMeta,
  recordAad,
  SEALED_RECORD_OVERHEAD_BYTES,
  SEALED_RECORD_V1,
  type SealOptions,
  sealJson,
  sealRecord,
} from './record';
export {
  deriveKek,
  generateKekSalt,
  generateVaultKey,
  type LockedVaultKey,
  lockVaultKey,
  unlockVaultKey,
  unwrapVaultKey,
  type VaultKeyContext,
  WRAPPED_VAULT_KEY_BYTES,
  wrapVaultKey,
} from './vault-key';

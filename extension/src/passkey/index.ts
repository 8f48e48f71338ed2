/** Passkey ceremonies for the vault (extension pages only). */
export { NO_PRF_MESSAGE, PasskeyError, type PasskeyErrorCode } from './errors';
export {
  type Ask,
  createPasskeyVault,
  type PasskeyOptions,
  prfSaltV1,
  restoreFromBackup,
  unlockWithPasskey,
} from './passkey';
export { PRF_OUTPUT_BYTES, prfOutput } from './prf';

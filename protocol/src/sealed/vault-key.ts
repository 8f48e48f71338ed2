/**
 * The vault key and its wrapping under a passkey.
 *
 * The vault key is 32 random bytes; every history record is sealed under it
 * (`record.ts`). It is stored only wrapped, under a key-encryption key
 *   KEK = HKDF-SHA256(ikm = WebAuthn PRF output (32 bytes), salt (32 random
 *         bytes, stored beside the wrapped key), info = "sotto/kek/v1")   (RFC 5869)
 * and wrapped with XChaCha20-Poly1305:
 *   wrapped = 0x01 || nonce (24) || ciphertext (32) || tag (16)            (73 bytes)
 *   AAD     = lp("sotto/vault-key/v1") || lp(0x01) || lp(credential id)
 * where lp(x) = u32be(len x) || x, so a wrapped key is bound to the passkey
 * credential it was made for.
 */

import { concat, isBytes, utf8 } from '../bytes';
import { DecryptError, LockedError, MalformedError, UnsupportedError } from '../errors';
import { lengthPrefixed } from './aad';
import {
  XCHACHA_KEY_BYTES,
  XCHACHA_NONCE_BYTES,
  XCHACHA_TAG_BYTES,
  xchachaOpen,
  xchachaSeal,
} from './aead';
import { hkdfSha256 } from './hkdf';
import { type RandomSource, randomSource } from './random';

export const VAULT_KEY_BYTES = 32;
export const PRF_OUTPUT_BYTES = 32;
export const KEK_SALT_BYTES = 32;
export const WRAPPED_VAULT_KEY_V1 = 0x01;
export const WRAPPED_VAULT_KEY_BYTES =
  1 + XCHACHA_NONCE_BYTES + VAULT_KEY_BYTES + XCHACHA_TAG_BYTES;

const KEK_INFO = utf8('sotto/kek/v1');
const WRAP_LABEL = utf8('sotto/vault-key/v1');

/** What a wrapped vault key is bound to. */
export interface VaultKeyContext {
  /** The WebAuthn credential (raw id) whose PRF output derives the KEK. */
  credentialId: Uint8Array;
}

/** A wrapped vault key and the salt its KEK was derived with; both may be stored in the clear. */
export interface LockedVaultKey {
  salt: Uint8Array;
  wrapped: Uint8Array;
}

function checkLength(b: Uint8Array, n: number, what: string): void {
  if (!isBytes(b) || b.length !== n) throw new MalformedError(`${what} must be ${n} bytes`);
}

/** A fresh random 32-byte vault key. `random` is a test-only hook. */
export function generateVaultKey(random?: RandomSource): Uint8Array {
  return randomSource(random)(VAULT_KEY_BYTES);
}

/** A fresh random 32-byte KEK salt. `random` is a test-only hook. */
export function generateKekSalt(random?: RandomSource): Uint8Array {
  return randomSource(random)(KEK_SALT_BYTES);
}

/**
 * KEK = HKDF-SHA256(prf, salt, "sotto/kek/v1", 32).
 * @throws {MalformedError} `prf` or `salt` not 32 bytes.
 */
export function deriveKek(prf: Uint8Array, salt: Uint8Array): Uint8Array {
  checkLength(prf, PRF_OUTPUT_BYTES, 'PRF output');
  checkLength(salt, KEK_SALT_BYTES, 'KEK salt');
  return hkdfSha256(prf, salt, KEK_INFO, XCHACHA_KEY_BYTES);
}

function wrapAad(context: VaultKeyContext): Uint8Array {
  if (!isBytes(context?.credentialId) || context.credentialId.length === 0) {
    throw new MalformedError('vault key: credential id must be non-empty bytes');
  }
  return lengthPrefixed(WRAP_LABEL, Uint8Array.of(WRAPPED_VAULT_KEY_V1), context.credentialId);
}

/**
 * Wraps the vault key under the KEK (layout above).
 * @throws {MalformedError} key sizes wrong or empty credential id.
 */
export function wrapVaultKey(
  kek: Uint8Array,
  vaultKey: Uint8Array,
  context: VaultKeyContext,
  options?: { random?: RandomSource },
): Uint8Array {
  checkLength(kek, XCHACHA_KEY_BYTES, 'KEK');
  checkLength(vaultKey, VAULT_KEY_BYTES, 'vault key');
  const nonce = randomSource(options?.random)(XCHACHA_NONCE_BYTES);
  return concat(
    Uint8Array.of(WRAPPED_VAULT_KEY_V1),
    nonce,
    xchachaSeal(kek, nonce, wrapAad(context), vaultKey),
  );
}

/**
 * Unwraps a vault key.
 * @throws {LockedError} the KEK is wrong (wrong passkey or salt), the
 *   credential id differs, or the wrapped key was altered.
 * @throws {MalformedError} wrong sizes. @throws {UnsupportedError} unknown version.
 */
export function unwrapVaultKey(
  kek: Uint8Array,
  wrapped: Uint8Array,
  context: VaultKeyContext,
): Uint8Array {
  checkLength(kek, XCHACHA_KEY_BYTES, 'KEK');
  checkLength(wrapped, WRAPPED_VAULT_KEY_BYTES, 'wrapped vault key');
  if (wrapped[0] !== WRAPPED_VAULT_KEY_V1)
    throw new UnsupportedError('wrapped vault key: unknown version');
  const nonce = wrapped.subarray(1, 1 + XCHACHA_NONCE_BYTES);
  try {
    return xchachaOpen(kek, nonce, wrapAad(context), wrapped.subarray(1 + XCHACHA_NONCE_BYTES));
  } catch (cause) {
    if (cause instanceof DecryptError) throw new LockedError('wrong passkey', { cause });
    throw cause;
  }
}

/**
 * Locks a vault key under a passkey's PRF output: fresh salt, KEK, wrap.
 * @throws {MalformedError} as {@link deriveKek} and {@link wrapVaultKey}.
 */
export function lockVaultKey(
  prf: Uint8Array,
  vaultKey: Uint8Array,
  context: VaultKeyContext,
  options?: { random?: RandomSource },
): LockedVaultKey {
  const salt = generateKekSalt(options?.random);
  return { salt, wrapped: wrapVaultKey(deriveKek(prf, salt), vaultKey, context, options) };
}

/**
 * Unlocks a vault key with a passkey's PRF output.
 * @throws {LockedError} wrong passkey. @throws {MalformedError} / {UnsupportedError} as {@link unwrapVaultKey}.
 */
export function unlockVaultKey(
  prf: Uint8Array,
  locked: LockedVaultKey,
  context: VaultKeyContext,
): Uint8Array {
  return unwrapVaultKey(deriveKek(prf, locked.salt), locked.wrapped, context);
}

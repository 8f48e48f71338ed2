/**
 * The sync account: an Ed25519 key pair (RFC 8032) derived from the vault key,
 * so every device that holds the vault key is the same account and nothing
 * else identifies it (no e-mail, no user name, no cookie). The server stores
 * only the public key.
 *
 *   seed = HKDF-SHA256(ikm = vault key, salt = empty, info = "sotto/sync/account/v1", 32)   (RFC 5869)
 *   (secret key, public key) = Ed25519 key pair of `seed`                               (RFC 8032 §5.1.5)
 *
 * The info string separates this key from every other use of the vault key
 * (record sealing, backups), so the account key reveals nothing about them.
 */

import { ed25519 } from '@noble/curves/ed25519.js';
import { isBytes, utf8 } from '../bytes';
import { MalformedError } from '../errors';
import { hkdfSha256 } from '../sealed/hkdf';
import { toBase64Url } from './request-signature';

const INFO = utf8('sotto/sync/account/v1');

/** The account's key pair and id (base64url of the public key). */
export interface AccountKey {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
  accountId: string;
}

/**
 * Derives the account key pair from a 32-byte vault key (layout above).
 * @throws {MalformedError} the vault key is not 32 bytes.
 */
export function deriveAccountKey(vaultKey: Uint8Array): AccountKey {
  if (!isBytes(vaultKey) || vaultKey.length !== 32) {
    throw new MalformedError('sync account: vault key must be 32 bytes');
  }
  const secretKey = hkdfSha256(vaultKey, new Uint8Array(0), INFO, 32);
  const publicKey = ed25519.getPublicKey(secretKey);
  return { secretKey, publicKey, accountId: toBase64Url(publicKey) };
}

/**
 * KEM dispatch by id, RFC 9180 §4 (Encap/Decap) for the two KEMs Sotto speaks:
 * DHKEM(X25519, HKDF-SHA256) in ./dhkem-x25519 and X-Wing in ./xwing. The key
 * schedule, the contexts and everything above them are KEM-agnostic.
 */

import { MalformedError, UnsupportedError } from '../errors';
import { X25519RecipientKey, x25519Decap, x25519Encap } from './dhkem-x25519';
import type { RecipientKey } from './recipient-key';
import { type HpkeSuite, KEM_X25519_HKDF_SHA256, KEM_XWING, type KemId } from './suite';
import { XWingRecipientKey, xwingEncap } from './xwing';

/**
 * A recipient key for `kemId` from its serialized private key (Nsk bytes; copied).
 * @throws {MalformedError} if the bytes have the wrong length.
 */
export function recipientKey(kemId: KemId, privateKey: Uint8Array): RecipientKey {
  switch (kemId) {
    case KEM_X25519_HKDF_SHA256:
      return new X25519RecipientKey(privateKey);
    case KEM_XWING:
      return new XWingRecipientKey(privateKey);
  }
}

/**
 * Encap(pkR). `fixed` is the test-only ephemeral input: skEm (32 bytes) for
 * DHKEM(X25519), `eseed` (64 bytes) for X-Wing.
 * @throws {MalformedError} if `pkR` is not Npk bytes or not a usable public key.
 */
export async function encap(
  suite: HpkeSuite,
  recipientPublicKey: Uint8Array,
  fixed?: Uint8Array,
): Promise<{ sharedSecret: Uint8Array; enc: Uint8Array }> {
  if (recipientPublicKey.length !== suite.publicKeyBytes)
    throw new MalformedError('HPKE public key has the wrong length');
  switch (suite.kemId) {
    case KEM_X25519_HKDF_SHA256:
      return x25519Encap(suite, recipientPublicKey, fixed);
    case KEM_XWING:
      return xwingEncap(recipientPublicKey, fixed);
  }
}

/**
 * Decap(enc, skR).
 * @throws {MalformedError} if `enc` is not Nenc bytes or is refused by the KEM.
 * @throws {UnsupportedError} if the key belongs to another KEM than the suite.
 * @throws {UnknownKeyError} if the key was erased.
 */
export async function decap(
  suite: HpkeSuite,
  enc: Uint8Array,
  key: RecipientKey,
): Promise<Uint8Array> {
  if (enc.length !== suite.encBytes) throw new MalformedError('HPKE enc has the wrong length');
  if (key.kemId !== suite.kemId) throw new UnsupportedError('HPKE key is for another KEM');
  if (key instanceof X25519RecipientKey) return x25519Decap(suite, enc, key);
  if (key instanceof XWingRecipientKey) return key.decap(enc);
  throw new UnsupportedError('HPKE key of an unknown kind');
}

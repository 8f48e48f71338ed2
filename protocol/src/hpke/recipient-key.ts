/**
 * A gateway's private key, held so that it can be erased (DESIGN.md, "Forward
 * secrecy"): never as a JWK or any other exportable copy. Each KEM file
 * implements it: DHKEM(X25519) as a non-extractable WebCrypto `CryptoKey` once
 * first used (zeroable bytes where WebCrypto lacks X25519), X-Wing as its
 * 32-byte seed (draft-connolly-cfrg-xwing-kem §"Key derivation"), zeroed on
 * erase. After `erase()` the key opens nothing: decapsulation throws.
 */

import type { KemId } from './suite';

export interface RecipientKey {
  readonly kemId: KemId;
  /** The serialized public key (Npk bytes). */
  readonly publicKey: Uint8Array;
  /** True once {@link erase} ran. */
  readonly erased: boolean;
  /** Zeroes every byte of private key material this object holds and drops any CryptoKey. */
  erase(): void;
}

/**
 * Oblivious HTTP key configuration, RFC 9458 §3: one config (§3.1) and the
 * `application/ohttp-keys` list (§3.2), plus the gateway's key-pair
 * generator, the client's choice of config from a list, and a fingerprint
 * for UIs. Decoding is strict: every length is checked before use (Npk is
 * per KEM: 32 for X25519, 1216 for X-Wing) and trailing bytes are refused.
 */

import { sha256 } from '@noble/hashes/sha2.js';
import { concat, toHex, u16be } from '../bytes';
import { LimitExceededError, MalformedError, UnsupportedError } from '../errors';
import { generateX25519KeyPair, X25519RecipientKey } from '../hpke/dhkem-x25519';
import type { RecipientKey } from '../hpke/recipient-key';
import {
  AEAD_AES_128_GCM,
  AEAD_CHACHA20_POLY1305,
  type AeadId,
  isSupportedAead,
  isSupportedKdf,
  isSupportedKem,
  KDF_HKDF_SHA256,
  KEM_X25519_HKDF_SHA256,
  KEM_XWING,
  type KemId,
  kemSizes,
} from '../hpke/suite';
import { generateXWingKeyPair, XWingRecipientKey } from '../hpke/xwing';

/** Media type of the key config list, RFC 9458 §3.2 and §9.1. */
export const OHTTP_KEYS_MEDIA_TYPE = 'application/ohttp-keys';

/** One (KDF, AEAD) pair a key config offers, RFC 9458 §3.1. Ids may be ones this build does not speak. */
export interface SymmetricAlgorithms {
  readonly kdfId: number;
  readonly aeadId: number;
}

/** A decoded key config, RFC 9458 §3.1. */
export interface KeyConfig {
  /** Key Identifier, 0..255. */
  readonly keyId: number;
  readonly kemId: KemId;
  /** Npk bytes (32 for X25519, 1216 for X-Wing). */
  readonly publicKey: Uint8Array;
  /** At least one entry; at least one of them is supported by this build. */
  readonly symmetric: readonly SymmetricAlgorithms[];
}

/**
 * A gateway's key: the public config and its private key, held in memory only
 * and erasable ({@link RecipientKey}: non-extractable or zeroable, never a JWK).
 */
export interface GatewayKey {
  readonly config: KeyConfig;
  readonly privateKey: RecipientKey;
}

/** HPKE Symmetric Algorithms Length (16) = 4..65532, RFC 9458 §3.1. */
const MAX_SYMMETRIC_BYTES = 65532;

/**
 * Encodes one key config, RFC 9458 §3.1.
 * @throws {MalformedError} if a field is out of range.
 * @throws {UnsupportedError} if the KEM is not one this build speaks.
 */
export function encodeKeyConfig(config: KeyConfig): Uint8Array {
  checkKeyId(config.keyId);
  if (!isSupportedKem(config.kemId)) throw new UnsupportedError('key config: unsupported KEM');
  if (config.publicKey.length !== kemSizes(config.kemId).publicKeyBytes)
    throw new MalformedError('key config: public key has the wrong length');
  const n = config.symmetric.length * 4;
  if (n < 4 || n > MAX_SYMMETRIC_BYTES)
    throw new MalformedError('key config: 1..16383 algorithm pairs required');
  const sym = new Uint8Array(n);
  config.symmetric.forEach((s, i) => {
    checkU16(s.kdfId);
    checkU16(s.aeadId);
    sym.set(u16be(s.kdfId), 4 * i);
    sym.set(u16be(s.aeadId), 4 * i + 2);
  });
  // RFC 9458 §3.1: Key Identifier (8), HPKE KEM ID (16), HPKE Public Key (Npk * 8),
  // HPKE Symmetric Algorithms Length (16), HPKE Symmetric Algorithms (32) ...
  return concat(
    new Uint8Array([config.keyId]),
    u16be(config.kemId),
    config.publicKey,
    u16be(n),
    sym,
  );
}

/**
 * Decodes exactly one key config, RFC 9458 §3.1.
 * @throws {MalformedError} if truncated, followed by trailing bytes, or with a bad algorithms length.
 * @throws {UnsupportedError} if the KEM is unknown, or no (KDF, AEAD) pair is one this build speaks.
 */
export function decodeKeyConfig(bytes: Uint8Array): KeyConfig {
  const { config, end } = readKeyConfig(bytes, 0);
  if (end !== bytes.length) throw new MalformedError('key config: trailing bytes');
  return config;
}

function readKeyConfig(b: Uint8Array, start: number): { config: KeyConfig; end: number } {
  let o = start;
  if (b.length - o < 3) throw new MalformedError('key config: truncated header');
  const keyId = b[o]!;
  const kemId = (b[o + 1]! << 8) | b[o + 2]!;
  o += 3;
  // Npk depends on the KEM: an unknown KEM cannot even be delimited.
  if (!isSupportedKem(kemId)) throw new UnsupportedError('key config: unsupported KEM');
  const npk = kemSizes(kemId).publicKeyBytes;
  if (b.length - o < npk + 2) throw new MalformedError('key config: truncated public key');
  const publicKey = b.slice(o, o + npk);
  o += npk;
  const n = (b[o]! << 8) | b[o + 1]!;
  o += 2;
  if (n < 4 || n % 4 !== 0) throw new MalformedError('key config: bad symmetric algorithms length');
  if (b.length - o < n) throw new MalformedError('key config: truncated symmetric algorithms');
  const symmetric: SymmetricAlgorithms[] = [];
  for (let i = 0; i < n; i += 4) {
    symmetric.push({
      kdfId: (b[o + i]! << 8) | b[o + i + 1]!,
      aeadId: (b[o + i + 2]! << 8) | b[o + i + 3]!,
    });
  }
  o += n;
  if (!symmetric.some((s) => isSupportedKdf(s.kdfId) && isSupportedAead(s.aeadId))) {
    throw new UnsupportedError('key config: no supported (KDF, AEAD) pair');
  }
  return { config: { keyId, kemId, publicKey, symmetric }, end: o };
}

/**
 * Encodes the `application/ohttp-keys` list, RFC 9458 §3.2: each config prefixed by its 2-byte length.
 * @throws {MalformedError} if the list is empty or a config cannot be encoded.
 */
export function encodeKeyConfigList(configs: readonly KeyConfig[]): Uint8Array {
  if (configs.length === 0) throw new MalformedError('key config list: empty');
  return concat(
    ...configs.flatMap((c) => {
      const e = encodeKeyConfig(c);
      return [u16be(e.length), e];
    }),
  );
}

/**
 * Decodes an `application/ohttp-keys` list, RFC 9458 §3.2. Configs this build
 * cannot use (unknown KEM, no supported algorithm pair) are skipped, so a
 * gateway can add new KEMs without breaking older clients.
 * @throws {MalformedError} on a zero, truncated or inconsistent length prefix, or a malformed config.
 * @throws {UnsupportedError} if no config in the list is usable.
 * @throws {LimitExceededError} if the list holds more than `maxConfigs` entries (default 64).
 */
export function decodeKeyConfigList(bytes: Uint8Array, maxConfigs = 64): KeyConfig[] {
  if (bytes.length === 0) throw new MalformedError('key config list: empty');
  const out: KeyConfig[] = [];
  let o = 0;
  let count = 0;
  while (o < bytes.length) {
    if (++count > maxConfigs) throw new LimitExceededError('key config list: too many entries');
    if (bytes.length - o < 2) throw new MalformedError('key config list: truncated length prefix');
    const len = (bytes[o]! << 8) | bytes[o + 1]!;
    o += 2;
    if (len === 0) throw new MalformedError('key config list: zero-length entry');
    if (bytes.length - o < len)
      throw new MalformedError('key config list: entry runs past the end');
    const entry = bytes.subarray(o, o + len);
    o += len;
    try {
      out.push(decodeKeyConfig(entry));
    } catch (e) {
      if (e instanceof UnsupportedError) continue;
      throw e;
    }
  }
  if (out.length === 0) throw new UnsupportedError('key config list: no usable key config');
  return out;
}

/**
 * Picks the (KDF, AEAD) pair a client should use: the first of `preference`
 * that the config offers with HKDF-SHA256. AES-128-GCM first by default
 * (WebCrypto, DESIGN.md).
 * @throws {UnsupportedError} if none is offered.
 */
export function selectSymmetric(
  config: KeyConfig,
  preference: readonly AeadId[] = [AEAD_AES_128_GCM, AEAD_CHACHA20_POLY1305],
): { kdfId: typeof KDF_HKDF_SHA256; aeadId: AeadId } {
  for (const aeadId of preference) {
    if (config.symmetric.some((s) => s.kdfId === KDF_HKDF_SHA256 && s.aeadId === aeadId)) {
      return { kdfId: KDF_HKDF_SHA256, aeadId };
    }
  }
  throw new UnsupportedError('key config offers no acceptable AEAD');
}

/** The KEMs a client accepts, best first: X-Wing (post-quantum hybrid), then X25519. */
export const DEFAULT_KEM_PREFERENCE: readonly KemId[] = [KEM_XWING, KEM_X25519_HKDF_SHA256];

/**
 * Picks the config a client encrypts to from a decoded list: the first KEM of
 * `preference` that the list offers (X-Wing whenever it is there), and within
 * it the first config with an acceptable AEAD. The list must be the one the
 * attestation report binds: then no relay can downgrade the choice, because
 * removing or reordering a config breaks the binding.
 * @throws {UnsupportedError} if no config of an accepted KEM has an acceptable AEAD.
 */
export function selectKeyConfig(
  configs: readonly KeyConfig[],
  preference: readonly KemId[] = DEFAULT_KEM_PREFERENCE,
  aeadPreference?: readonly AeadId[],
): KeyConfig {
  for (const kemId of preference) {
    for (const c of configs) {
      if (c.kemId !== kemId) continue;
      try {
        selectSymmetric(c, aeadPreference);
        return c;
      } catch (e) {
        if (!(e instanceof UnsupportedError)) throw e;
      }
    }
  }
  throw new UnsupportedError('key config list offers no acceptable KEM and AEAD');
}

/**
 * Generates a fresh gateway key for `kemId` (X25519 unless told): a key pair
 * and its config offering HKDF-SHA256 with each of `aeadIds`. The private key
 * is handed over as an erasable {@link RecipientKey}; the raw bytes made here
 * are zeroed.
 * @throws {MalformedError} if `keyId` is not 0..255 or `aeadIds` is empty.
 * @throws {UnsupportedError} if an AEAD or KEM id is not supported.
 */
export function generateKeyConfig(
  keyId: number,
  aeadIds: readonly AeadId[] = [AEAD_AES_128_GCM, AEAD_CHACHA20_POLY1305],
  kemId: KemId = KEM_X25519_HKDF_SHA256,
): GatewayKey {
  checkKeyId(keyId);
  if (aeadIds.length === 0) throw new MalformedError('key config: at least one AEAD required');
  for (const a of aeadIds)
    if (!isSupportedAead(a)) throw new UnsupportedError('key config: unsupported AEAD');
  if (!isSupportedKem(kemId)) throw new UnsupportedError('key config: unsupported KEM');
  let privateKey: RecipientKey;
  let publicKey: Uint8Array;
  if (kemId === KEM_XWING) {
    const kp = generateXWingKeyPair();
    privateKey = new XWingRecipientKey(kp.privateKey, kp.publicKey);
    publicKey = kp.publicKey;
    kp.privateKey.fill(0);
  } else {
    const kp = generateX25519KeyPair();
    privateKey = new X25519RecipientKey(kp.privateKey);
    publicKey = kp.publicKey;
    kp.privateKey.fill(0);
  }
  return {
    config: {
      keyId,
      kemId,
      publicKey,
      symmetric: aeadIds.map((aeadId) => ({ kdfId: KDF_HKDF_SHA256, aeadId })),
    },
    privateKey,
  };
}

/**
 * A stable identifier for UIs and logs: lowercase hex SHA-256 of the encoded key config.
 * @throws as {@link encodeKeyConfig}.
 */
export function keyConfigFingerprint(config: KeyConfig): string {
  return toHex(sha256(encodeKeyConfig(config)));
}

function checkKeyId(keyId: number): void {
  if (!Number.isInteger(keyId) || keyId < 0 || keyId > 255)
    throw new MalformedError('key config: key id must be 0..255');
}

function checkU16(n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff)
    throw new MalformedError('key config: algorithm id must be 0..65535');
}

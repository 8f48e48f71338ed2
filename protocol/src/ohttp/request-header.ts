/**
 * The request header shared by Oblivious HTTP (RFC 9458 §4.1, §4.3) and
 * chunked Oblivious HTTP (draft-ietf-ohai-chunked-ohttp-08 §4, §6.1): key id,
 * algorithm ids, the HPKE `info` string, and the gateway's key lookup.
 */

import { concat, u16be, utf8 } from '../bytes';
import { MalformedError, UnknownKeyError, UnsupportedError } from '../errors';
import { type HpkeSuite, hpkeSuite } from '../hpke/suite';
import type { GatewayKey, KeyConfig } from './key-config';

/** `message/ohttp-req`, RFC 9458 §9.2. */
export const OHTTP_REQUEST_MEDIA_TYPE = 'message/ohttp-req';
/** `message/ohttp-res`, RFC 9458 §9.3. */
export const OHTTP_RESPONSE_MEDIA_TYPE = 'message/ohttp-res';
/** `message/ohttp-chunked-req`, draft-ietf-ohai-chunked-ohttp-08 §9.1. */
export const OHTTP_CHUNKED_REQUEST_MEDIA_TYPE = 'message/ohttp-chunked-req';
/** `message/ohttp-chunked-res`, draft-ietf-ohai-chunked-ohttp-08 §9.2. */
export const OHTTP_CHUNKED_RESPONSE_MEDIA_TYPE = 'message/ohttp-chunked-res';

/** HPKE info / export labels, RFC 9458 §4.3 and §4.4; draft-ietf-ohai-chunked-ohttp-08 §6. */
export const LABEL_REQUEST = 'message/bhttp request';
export const LABEL_RESPONSE = 'message/bhttp response';
export const LABEL_CHUNKED_REQUEST = 'message/bhttp chunked request';
export const LABEL_CHUNKED_RESPONSE = 'message/bhttp chunked response';

/** Key Identifier (8) + KEM (16) + KDF (16) + AEAD (16). */
export const REQUEST_HEADER_BYTES = 7;

/** The fixed part of an encapsulated request, RFC 9458 §4.1. */
export interface RequestHeader {
  readonly keyId: number;
  readonly kemId: number;
  readonly kdfId: number;
  readonly aeadId: number;
}

/**
 * Where a gateway finds its keys: a map or a function from key id to key
 * (current and, during rotation, the previous one).
 */
export type KeyStore =
  | ReadonlyMap<number, GatewayKey>
  | ((keyId: number) => GatewayKey | undefined | Promise<GatewayKey | undefined>);

/** hdr = key_id || kem_id || kdf_id || aead_id, RFC 9458 §4.3. */
export function encodeRequestHeader(h: RequestHeader): Uint8Array {
  return concat(new Uint8Array([h.keyId]), u16be(h.kemId), u16be(h.kdfId), u16be(h.aeadId));
}

/**
 * Reads the 7-byte header at the start of `b`.
 * @throws {MalformedError} if `b` is shorter than 7 bytes.
 */
export function decodeRequestHeader(b: Uint8Array): RequestHeader {
  if (b.length < REQUEST_HEADER_BYTES) throw new MalformedError('OHTTP request: truncated header');
  return {
    keyId: b[0]!,
    kemId: (b[1]! << 8) | b[2]!,
    kdfId: (b[3]! << 8) | b[4]!,
    aeadId: (b[5]! << 8) | b[6]!,
  };
}

/** info = label || 0x00 || hdr, RFC 9458 §4.3. */
export function requestInfo(label: string, header: Uint8Array): Uint8Array {
  return concat(utf8(label), new Uint8Array([0]), header);
}

/**
 * Finds the key named by the header and checks that the header's algorithms
 * are ones that key's config offers.
 * @throws {UnknownKeyError} if the store holds no key with that id.
 * @throws {UnsupportedError} if the KEM, KDF or AEAD is not offered by that key or not supported.
 */
export async function resolveGatewayKey(
  store: KeyStore,
  h: RequestHeader,
): Promise<{ key: GatewayKey; suite: HpkeSuite }> {
  const key = typeof store === 'function' ? await store(h.keyId) : store.get(h.keyId);
  if (key === undefined || key.config.keyId !== h.keyId)
    throw new UnknownKeyError('OHTTP request: unknown key id');
  if (h.kemId !== key.config.kemId)
    throw new UnsupportedError('OHTTP request: KEM does not match the key config');
  if (!key.config.symmetric.some((s) => s.kdfId === h.kdfId && s.aeadId === h.aeadId)) {
    throw new UnsupportedError('OHTTP request: algorithms not offered by the key config');
  }
  return { key, suite: hpkeSuite(h.kemId, h.kdfId, h.aeadId) };
}

/** Header and suite a client uses for `config` with the chosen algorithms. */
export function clientHeader(
  config: KeyConfig,
  kdfId: number,
  aeadId: number,
): { header: Uint8Array; suite: HpkeSuite } {
  const suite = hpkeSuite(config.kemId, kdfId, aeadId);
  return {
    header: encodeRequestHeader({ keyId: config.keyId, kemId: config.kemId, kdfId, aeadId }),
    suite,
  };
}

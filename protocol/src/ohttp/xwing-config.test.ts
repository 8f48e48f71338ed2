/**
 * X-Wing in Oblivious HTTP: key configs with a 1216-byte public key (RFC 9458
 * §3.1 with Npk from the KEM), the two-KEM `application/ohttp-keys` list, the
 * client's choice from it (X-Wing first, never downgraded by order or by what a
 * request names), and the gateway's refusals: truncated configs, wrong-length
 * encapsulated keys, key ids mixed up across KEMs.
 */
import { describe, expect, it } from 'vitest';
import { concat, u16be, utf8 } from '../bytes';
import { MalformedError, TruncatedStreamError, UnsupportedError } from '../errors';
import {
  AEAD_AES_128_GCM,
  AEAD_CHACHA20_POLY1305,
  KEM_X25519_HKDF_SHA256,
  KEM_XWING,
} from '../hpke/suite';
import { streamOf } from '../../test/ohttp/streams';
import { createChunkedRequest } from './chunked-client';
import { openChunkedRequest } from './chunked-gateway';
import {
  decodeKeyConfig,
  decodeKeyConfigList,
  encodeKeyConfig,
  encodeKeyConfigList,
  generateKeyConfig,
  selectKeyConfig,
} from './key-config';
import { decapsulateRequest, encapsulateRequest } from './ohttp';
import { encodeRequestHeader, REQUEST_HEADER_BYTES } from './request-header';

const XW = generateKeyConfig(10, undefined, KEM_XWING);
const X2 = generateKeyConfig(11);
const KEYS = new Map([
  [10, XW],
  [11, X2],
]);
const frame = (...entries: Uint8Array[]) => concat(...entries.flatMap((e) => [u16be(e.length), e]));

describe('X-Wing key configs', () => {
  it('round-trip with a 1216-byte public key, alone and in a list beside X25519', () => {
    const enc = encodeKeyConfig(XW.config);
    expect(enc).toHaveLength(1 + 2 + 1216 + 2 + 8);
    expect(decodeKeyConfig(enc)).toEqual(XW.config);
    const list = encodeKeyConfigList([XW.config, X2.config]);
    expect(decodeKeyConfigList(list)).toEqual([XW.config, X2.config]);
  });

  it('refuses a truncated X-Wing public key, alone and inside a list (never skipped)', () => {
    const enc = encodeKeyConfig(XW.config);
    for (const n of [3, 35, 100, 1218, 1220]) {
      expect(() => decodeKeyConfig(enc.subarray(0, n)), `${n} bytes`).toThrow(MalformedError);
      expect(() =>
        decodeKeyConfigList(frame(enc.subarray(0, n), encodeKeyConfig(X2.config))),
      ).toThrow(MalformedError);
    }
    // An X25519-sized public key labelled X-Wing: the rest of the config is misread, and refused.
    const relabelled = encodeKeyConfig(X2.config).slice();
    relabelled.set(u16be(KEM_XWING), 1);
    expect(() => decodeKeyConfig(relabelled)).toThrow(MalformedError);
    expect(() =>
      encodeKeyConfig({ ...XW.config, publicKey: XW.config.publicKey.subarray(0, 1215) }),
    ).toThrow(MalformedError);
  });
});

describe('the client chooses X-Wing whenever the list offers it', () => {
  it('whatever the order of the list', () => {
    expect(selectKeyConfig([XW.config, X2.config]).kemId).toBe(KEM_XWING);
    expect(selectKeyConfig([X2.config, XW.config]).kemId).toBe(KEM_XWING);
  });

  it('falls back to X25519 only when no X-Wing config is offered, or none with an acceptable AEAD', () => {
    expect(selectKeyConfig([X2.config]).kemId).toBe(KEM_X25519_HKDF_SHA256);
    const xwChacha = generateKeyConfig(12, [AEAD_CHACHA20_POLY1305], KEM_XWING).config;
    expect(selectKeyConfig([xwChacha, X2.config], undefined, [AEAD_AES_128_GCM]).kemId).toBe(
      KEM_X25519_HKDF_SHA256,
    );
    expect(() => selectKeyConfig([X2.config], [KEM_XWING])).toThrow(UnsupportedError);
    expect(() => selectKeyConfig([])).toThrow(UnsupportedError);
  });

  it('seals with X-Wing: 1120-byte enc, about 1.1 KB more than X25519 on the wire', async () => {
    const body = utf8('hello');
    const pq = await encapsulateRequest(selectKeyConfig([X2.config, XW.config]), body);
    const classic = await encapsulateRequest(X2.config, body);
    expect(pq.encapsulated[2]).toBe(0x7a);
    expect(pq.encapsulated.length - classic.encapsulated.length).toBe(1120 - 32);
    expect((await decapsulateRequest(pq.encapsulated, KEYS)).request).toEqual(body);
  });
});

describe('the gateway with both keys', () => {
  it('still accepts a request sealed to its X25519 key (the client never sends one while X-Wing is bound)', async () => {
    const req = await encapsulateRequest(X2.config, utf8('classic'));
    expect((await decapsulateRequest(req.encapsulated, KEYS)).request).toEqual(utf8('classic'));
    const chunked = await createChunkedRequest(X2.config);
    const opened = await openChunkedRequest(
      streamOf([await chunked.encapsulate(utf8('classic'))]),
      KEYS,
    );
    expect(opened.suite.kemId).toBe(KEM_X25519_HKDF_SHA256);
  });

  it('refuses key ids mixed up across KEMs with UnsupportedError', async () => {
    const toXw = await encapsulateRequest(XW.config, utf8('a'));
    const toX2 = await encapsulateRequest(X2.config, utf8('b'));
    // The X-Wing key's id with the X25519 KEM id, and the other way round.
    const swapKem = (m: Uint8Array, kemId: number) => {
      const c = m.slice();
      c.set(u16be(kemId), 1);
      return c;
    };
    await expect(decapsulateRequest(swapKem(toXw.encapsulated, 0x20), KEYS)).rejects.toThrow(
      UnsupportedError,
    );
    await expect(decapsulateRequest(swapKem(toX2.encapsulated, KEM_XWING), KEYS)).rejects.toThrow(
      UnsupportedError,
    );
    // The other key's id with a consistent KEM id: header and key disagree.
    const swapId = (m: Uint8Array, keyId: number) => {
      const c = m.slice();
      c[0] = keyId;
      return c;
    };
    await expect(decapsulateRequest(swapId(toXw.encapsulated, 11), KEYS)).rejects.toThrow(
      UnsupportedError,
    );
    await expect(decapsulateRequest(swapId(toX2.encapsulated, 10), KEYS)).rejects.toThrow(
      UnsupportedError,
    );
  });

  it('refuses wrong-length encapsulated keys: an X25519-sized enc under the X-Wing header, cut-short enc', async () => {
    const x2 = await encapsulateRequest(X2.config, utf8('short'));
    const header = encodeRequestHeader({ keyId: 10, kemId: KEM_XWING, kdfId: 1, aeadId: 1 });
    // Whole message: 32-byte enc and a short ciphertext where 1120 bytes of enc belong.
    const forged = concat(header, x2.encapsulated.subarray(REQUEST_HEADER_BYTES));
    await expect(decapsulateRequest(forged, KEYS)).rejects.toThrow(MalformedError);
    // Chunked: the body ends inside the 1120-byte enc.
    const chunked = await createChunkedRequest(XW.config);
    const whole = await chunked.encapsulate(utf8('x'));
    for (const n of [REQUEST_HEADER_BYTES + 32, REQUEST_HEADER_BYTES + 1119]) {
      await expect(openChunkedRequest(streamOf([whole.subarray(0, n)]), KEYS)).rejects.toThrow(
        TruncatedStreamError,
      );
    }
  });
});

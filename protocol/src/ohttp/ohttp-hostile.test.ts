import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { concat, fromHex } from '../bytes';
import {
  ConfigurationError,
  DecryptError,
  LimitExceededError,
  MalformedError,
  type SottoError,
  UnknownKeyError,
  UnsupportedError,
} from '../errors';
import { recipientKey } from '../hpke/kem';
import { AEAD_AES_128_GCM } from '../hpke/suite';
import { decodeKeyConfig, type GatewayKey, generateKeyConfig } from './key-config';
import { decapsulateRequest, encapsulateRequest } from './ohttp';

const A = JSON.parse(
  readFileSync(
    new URL('../../../../shared/vectors/ohttp/rfc9458_appendixA.json', import.meta.url),
    'utf8',
  ),
) as Record<string, string>;
const hex = (k: string) => fromHex(A[k] ?? '');
const KEY: GatewayKey = {
  config: decodeKeyConfig(hex('key_config')),
  privateKey: recipientKey(0x0020, hex('server_sk_x25519')),
};
const OTHER = generateKeyConfig(2);
const KEYS = new Map([
  [1, KEY],
  [2, OTHER],
]);
const REQ = hex('encapsulated_request'); // 7 header + 32 enc + 41 ciphertext
const RES = hex('encapsulated_response'); // 16 nonce + 19 ciphertext

function flip(b: Uint8Array, i: number, bit = 1): Uint8Array {
  const c = b.slice();
  const j = i < 0 ? c.length + i : i;
  c[j] = c[j]! ^ bit;
  return c;
}
function patch(b: Uint8Array, at: number, bytes: number[]): Uint8Array {
  const c = b.slice();
  c.set(bytes, at);
  return c;
}

type ErrorClass = new (...args: never[]) => SottoError;

describe('OHTTP request decapsulation, hostile input (RFC 9458 §4.3)', () => {
  const cases: [string, Uint8Array, ErrorClass][] = [
    ['empty', new Uint8Array(0), MalformedError],
    ['6-byte header', REQ.subarray(0, 6), MalformedError],
    ['header only', REQ.subarray(0, 7), MalformedError],
    ['header and half of enc', REQ.subarray(0, 23), MalformedError],
    ['header, enc, 15 bytes of ciphertext', REQ.subarray(0, 7 + 32 + 15), MalformedError],
    ['unknown key id', patch(REQ, 0, [9]), UnknownKeyError],
    ['KEM 0x0021 for a X25519 key', patch(REQ, 1, [0x00, 0x21]), UnsupportedError],
    ['KEM 0x0010', patch(REQ, 1, [0x00, 0x10]), UnsupportedError],
    ['KDF 0x0002', patch(REQ, 3, [0x00, 0x02]), UnsupportedError],
    ['AEAD 0x0002 (not offered)', patch(REQ, 5, [0x00, 0x02]), UnsupportedError],
    ['AEAD 0xffff (export-only)', patch(REQ, 5, [0xff, 0xff]), UnsupportedError],
    [
      'AEAD switched to ChaCha20-Poly1305 (offered, wrong)',
      patch(REQ, 5, [0x00, 0x03]),
      DecryptError,
    ],
    ['key id of another held key', patch(REQ, 0, [2]), DecryptError],
    ['bit flip in enc', flip(REQ, 7 + 5), DecryptError],
    ['bit flip in the last enc byte', flip(REQ, 7 + 31, 0x40), DecryptError],
    ['low-order enc (all zero)', patch(REQ, 7, new Array(32).fill(0)), MalformedError],
    ['low-order enc (u = 1)', patch(REQ, 7, [1, ...new Array(31).fill(0)]), MalformedError],
    ['bit flip in ciphertext', flip(REQ, 7 + 32 + 2), DecryptError],
    ['bit flip in tag', flip(REQ, -1, 0x80), DecryptError],
    ['last byte dropped', REQ.subarray(0, REQ.length - 1), DecryptError],
    ['extra byte appended', concat(REQ, new Uint8Array([0])), DecryptError],
    ['ciphertext replaced by zeros', concat(REQ.subarray(0, 39), new Uint8Array(41)), DecryptError],
  ];
  it.each(cases)('%s', async (_name, bytes, cls) => {
    await expect(decapsulateRequest(bytes, KEYS)).rejects.toThrow(cls);
  });

  it('over the size bound', async () => {
    await expect(decapsulateRequest(REQ, KEYS, REQ.length - 1)).rejects.toThrow(LimitExceededError);
  });

  it('key store function that knows no key', async () => {
    await expect(decapsulateRequest(REQ, () => undefined)).rejects.toThrow(UnknownKeyError);
  });

  it('key store that answers with a key of another id', async () => {
    await expect(decapsulateRequest(REQ, () => OTHER)).rejects.toThrow(UnknownKeyError);
  });
});

describe('OHTTP response decapsulation, hostile input (RFC 9458 §4.4)', () => {
  const client = () =>
    encapsulateRequest(KEY.config, hex('request_bhttp'), {
      __unsafeTestOnlyEphemeralPrivateKey: hex('client_ephemeral_sk'),
    });
  const cases: [string, Uint8Array, ErrorClass][] = [
    ['empty', new Uint8Array(0), MalformedError],
    ['short nonce (10 bytes)', RES.subarray(0, 10), MalformedError],
    ['nonce only', RES.subarray(0, 16), MalformedError],
    ['nonce and 15 bytes', RES.subarray(0, 31), MalformedError],
    ['bit flip in nonce', flip(RES, 0), DecryptError],
    ['bit flip in ciphertext', flip(RES, 17), DecryptError],
    ['bit flip in tag', flip(RES, -1), DecryptError],
    ['last byte dropped', RES.subarray(0, RES.length - 1), DecryptError],
    ['byte appended', concat(RES, new Uint8Array([0])), DecryptError],
  ];
  it.each(cases)('%s', async (_name, bytes, cls) => {
    await expect((await client()).decapsulateResponse(bytes)).rejects.toThrow(cls);
  });

  it('response to a different request', async () => {
    const other = await encapsulateRequest(KEY.config, hex('request_bhttp'), {
      aeadPreference: [AEAD_AES_128_GCM],
    });
    await expect(other.decapsulateResponse(RES)).rejects.toThrow(DecryptError);
  });

  it('over the size bound', async () => {
    await expect((await client()).decapsulateResponse(RES, 34)).rejects.toThrow(LimitExceededError);
  });
});

describe('test-only parameters refuse to work outside a test harness', () => {
  async function outsideTests<T>(f: () => Promise<T>): Promise<T> {
    const saved = process.env.VITEST;
    delete process.env.VITEST;
    try {
      return await f();
    } finally {
      process.env.VITEST = saved;
    }
  }

  it('fixed ephemeral key', async () => {
    const f = () =>
      encapsulateRequest(KEY.config, hex('request_bhttp'), {
        __unsafeTestOnlyEphemeralPrivateKey: hex('client_ephemeral_sk'),
      });
    await expect(outsideTests(f)).rejects.toThrow(ConfigurationError);
  });

  it('fixed response nonce', async () => {
    const g = await decapsulateRequest(REQ, KEYS);
    const f = () =>
      g.encapsulateResponse(new Uint8Array(1), {
        __unsafeTestOnlyResponseNonce: hex('response_nonce'),
      });
    await expect(outsideTests(f)).rejects.toThrow(ConfigurationError);
  });

  it('globalThis.__SOTTO_TEST__ is the harness flag where there is no process (browser test pages)', async () => {
    const f = async () => {
      globalThis.__SOTTO_TEST__ = true;
      try {
        const r = await encapsulateRequest(KEY.config, hex('request_bhttp'), {
          __unsafeTestOnlyEphemeralPrivateKey: hex('client_ephemeral_sk'),
        });
        return r.encapsulated;
      } finally {
        globalThis.__SOTTO_TEST__ = undefined;
      }
    };
    expect(await outsideTests(f)).toEqual(REQ);
  });
});

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { concat, fromHex, toHex, u16be } from '../bytes';
import { LimitExceededError, MalformedError, type SottoError, UnsupportedError } from '../errors';
import { AEAD_AES_128_GCM, AEAD_CHACHA20_POLY1305, type AeadId } from '../hpke/suite';
import {
  decodeKeyConfig,
  decodeKeyConfigList,
  encodeKeyConfig,
  encodeKeyConfigList,
  generateKeyConfig,
  type KeyConfig,
  keyConfigFingerprint,
  selectSymmetric,
} from './key-config';

// RFC 9458 Appendix A key config.
const VALID = fromHex(
  '01002031e1f05a740102115220e9af918f738674aec95f54db6e04eb705aae8e79815500080001000100010003',
);
const PK = VALID.slice(3, 35);
const cfg = (kem: number, sym: Uint8Array, pk = PK) =>
  concat(new Uint8Array([7]), u16be(kem), pk, u16be(sym.length), sym);
const pair = (kdf: number, aead: number) => concat(u16be(kdf), u16be(aead));
const list = (...entries: Uint8Array[]) => concat(...entries.flatMap((e) => [u16be(e.length), e]));

type ErrorClass = new (...args: never[]) => SottoError;

describe('key config decoding, hostile input (RFC 9458 §3)', () => {
  const single: [string, Uint8Array, ErrorClass][] = [
    ['empty', new Uint8Array(0), MalformedError],
    ['key id only', VALID.subarray(0, 1), MalformedError],
    ['header without public key', VALID.subarray(0, 3), MalformedError],
    ['truncated public key', VALID.subarray(0, 20), MalformedError],
    ['missing algorithms length', VALID.subarray(0, 35), MalformedError],
    ['half an algorithms length', VALID.subarray(0, 36), MalformedError],
    ['algorithms length 0 (zero suites)', cfg(0x20, new Uint8Array(0)), MalformedError],
    ['algorithms length 3', cfg(0x20, new Uint8Array(3)), MalformedError],
    ['algorithms length 6, not a multiple of 4', cfg(0x20, new Uint8Array(6)), MalformedError],
    [
      'algorithms length past the end',
      concat(VALID.subarray(0, 35), u16be(12), pair(1, 1)),
      MalformedError,
    ],
    ['truncated last pair', VALID.subarray(0, VALID.length - 1), MalformedError],
    ['trailing byte', concat(VALID, new Uint8Array([0])), MalformedError],
    ['two configs without list framing', concat(VALID, VALID), MalformedError],
    ['unknown KEM 0x0010 (P-256)', cfg(0x0010, pair(1, 1)), UnsupportedError],
    ['unknown KEM 0x0021 (X448)', cfg(0x0021, pair(1, 1)), UnsupportedError],
    ['unknown KEM 0xffff', cfg(0xffff, pair(1, 1)), UnsupportedError],
    ['only an unknown KDF', cfg(0x20, pair(2, 1)), UnsupportedError],
    ['only an unknown AEAD (AES-256-GCM)', cfg(0x20, pair(1, 2)), UnsupportedError],
    ['only export-only AEAD 0xffff', cfg(0x20, pair(1, 0xffff)), UnsupportedError],
    [
      'several pairs, none supported',
      cfg(0x20, concat(pair(2, 1), pair(3, 3), pair(1, 0))),
      UnsupportedError,
    ],
  ];
  it.each(single)('decodeKeyConfig: %s', (_name, bytes, cls) => {
    expect(() => decodeKeyConfig(bytes)).toThrow(cls);
  });

  const lists: [string, Uint8Array, ErrorClass][] = [
    ['empty list', new Uint8Array(0), MalformedError],
    ['one-byte length prefix', new Uint8Array([0]), MalformedError],
    ['zero-length entry', concat(list(VALID), u16be(0)), MalformedError],
    ['length prefix past the end', concat(u16be(VALID.length + 1), VALID), MalformedError],
    [
      'length prefix shorter than the config',
      concat(u16be(VALID.length - 4), VALID.subarray(0, VALID.length - 4)),
      MalformedError,
    ],
    [
      'length prefix longer than the config (trailing bytes inside)',
      list(concat(VALID, new Uint8Array(2))),
      MalformedError,
    ],
    [
      'only unsupported configs',
      list(cfg(0x0010, pair(1, 1)), cfg(0x20, pair(2, 2))),
      UnsupportedError,
    ],
    ['valid entry then a dangling byte', concat(list(VALID), new Uint8Array([1])), MalformedError],
  ];
  it.each(lists)('decodeKeyConfigList: %s', (_name, bytes, cls) => {
    expect(() => decodeKeyConfigList(bytes)).toThrow(cls);
  });

  it('decodeKeyConfigList: more entries than the bound', () => {
    expect(() => decodeKeyConfigList(list(VALID, VALID, VALID), 2)).toThrow(LimitExceededError);
  });

  const encodeCases: [string, () => unknown, ErrorClass][] = [
    [
      'key id 256',
      () => encodeKeyConfig({ ...decodeKeyConfig(VALID), keyId: 256 }),
      MalformedError,
    ],
    [
      '31-byte public key',
      () => encodeKeyConfig({ ...decodeKeyConfig(VALID), publicKey: new Uint8Array(31) }),
      MalformedError,
    ],
    [
      'zero suites',
      () => encodeKeyConfig({ ...decodeKeyConfig(VALID), symmetric: [] }),
      MalformedError,
    ],
    [
      'algorithm id over 16 bits',
      () =>
        encodeKeyConfig({ ...decodeKeyConfig(VALID), symmetric: [{ kdfId: 1, aeadId: 0x10000 }] }),
      MalformedError,
    ],
    [
      'unknown KEM',
      () => encodeKeyConfig({ ...decodeKeyConfig(VALID), kemId: 0x10 as 0x20 }),
      UnsupportedError,
    ],
    ['empty list', () => encodeKeyConfigList([]), MalformedError],
    ['generate with key id -1', () => generateKeyConfig(-1), MalformedError],
    ['generate with no AEAD', () => generateKeyConfig(1, []), MalformedError],
    ['generate with unknown AEAD', () => generateKeyConfig(1, [2 as AeadId]), UnsupportedError],
    [
      'select with nothing acceptable',
      () => selectSymmetric(decodeKeyConfig(cfg(0x20, pair(1, 3))), [AEAD_AES_128_GCM]),
      UnsupportedError,
    ],
  ];
  it.each(encodeCases)('refuses: %s', (_name, f, cls) => {
    expect(f).toThrow(cls);
  });
});

describe('key config, well-formed input', () => {
  it('round-trips the RFC 9458 example and keeps unknown pairs next to known ones', () => {
    expect(toHex(encodeKeyConfig(decodeKeyConfig(VALID)))).toBe(toHex(VALID));
    const mixed = cfg(0x20, concat(pair(2, 9), pair(1, 3)));
    const c = decodeKeyConfig(mixed);
    expect(c.symmetric).toEqual([
      { kdfId: 2, aeadId: 9 },
      { kdfId: 1, aeadId: 3 },
    ]);
    expect(encodeKeyConfig(c)).toEqual(mixed);
    expect(selectSymmetric(c)).toEqual({ kdfId: 1, aeadId: AEAD_CHACHA20_POLY1305 });
  });

  it('list form: skips configs it cannot use and keeps order', () => {
    const other = cfg(0x20, pair(1, 1));
    const out = decodeKeyConfigList(list(cfg(0x0012, pair(1, 1)), VALID, other));
    expect(out.map((c) => c.keyId)).toEqual([1, 7]);
    expect(encodeKeyConfigList(out)).toEqual(list(VALID, other));
  });

  it('generates a usable key pair and a stable fingerprint', () => {
    const g = generateKeyConfig(5);
    expect(g.config.keyId).toBe(5);
    expect(g.privateKey.kemId).toBe(0x0020);
    expect(g.privateKey.publicKey).toEqual(g.config.publicKey);
    expect(g.config.symmetric).toEqual([
      { kdfId: 1, aeadId: AEAD_AES_128_GCM },
      { kdfId: 1, aeadId: AEAD_CHACHA20_POLY1305 },
    ]);
    const enc = encodeKeyConfig(g.config);
    expect(decodeKeyConfig(enc)).toEqual(g.config satisfies KeyConfig);
    const fp = keyConfigFingerprint(g.config);
    expect(fp).toMatch(/^[0-9a-f]{64}$/);
    expect(keyConfigFingerprint(decodeKeyConfig(enc))).toBe(fp);
    expect(keyConfigFingerprint(generateKeyConfig(5).config)).not.toBe(fp);
    expect(keyConfigFingerprint(decodeKeyConfig(VALID))).toBe(
      createHash('sha256').update(VALID).digest('hex'),
    );
  });
});

/**
 * Hostile Binary HTTP input (RFC 9292 §4 invalid messages and our limits):
 * every case must fail with the named Sotto error, never an untyped one,
 * and huge declared lengths must be refused before anything is read.
 */
import { describe, expect, it } from 'vitest';
import {
  type BhttpLimits,
  createResponseEncoder,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
} from '../../src/bhttp';
import { concat, fromHex, toHex, utf8 } from '../../src/bytes';
import {
  isSottoError,
  LimitExceededError,
  MalformedError,
  type SottoError,
  UnsupportedError,
} from '../../src/errors';
import { encodeVarint } from '../../src/quic-varint';

type ErrorClass = new (...args: never[]) => SottoError;

/** Varint hex. */
const v = (n: number | bigint): string => toHex(encodeVarint(n));
/** Length-prefixed string hex. */
const s = (str: string): string => v(utf8(str).length) + toHex(utf8(str));
/** Known-length field section hex from raw line hex. */
const kfs = (lines: string): string => v(lines.length / 2) + lines;
/** An 8-byte varint with the given value (non-minimal allowed). */
const v8 = (n: bigint): string => (0xc000000000000000n | n).toString(16).padStart(16, '0');

const REQ = `00${s('GET')}${s('https')}${s('')}${s('/')}`; // known-length request control data
const IREQ = `02${s('GET')}${s('https')}${s('')}${s('/')}`;
const small: Partial<BhttpLimits> = {
  maxFields: 2,
  maxContentBytes: 8,
  maxFieldSectionBytes: 32,
  maxInformational: 2,
  maxControlDataBytes: 16,
};

interface Case {
  name: string;
  hex: string;
  kind: 'request' | 'response';
  error: ErrorClass;
  limits?: Partial<BhttpLimits>;
}

const cases: Case[] = [
  // framing indicator (RFC 9292 §3.3)
  { name: 'empty input', hex: '', kind: 'request', error: MalformedError },
  { name: 'empty input (response)', hex: '', kind: 'response', error: MalformedError },
  { name: 'truncated 2-byte framing varint', hex: '40', kind: 'request', error: MalformedError },
  {
    name: 'truncated 8-byte framing varint',
    hex: 'c00000',
    kind: 'response',
    error: MalformedError,
  },
  { name: 'framing 4', hex: '04', kind: 'request', error: UnsupportedError },
  { name: 'framing 63', hex: '3f', kind: 'response', error: UnsupportedError },
  { name: 'framing 2^40 (8-byte)', hex: v8(1n << 40n), kind: 'request', error: UnsupportedError },
  { name: 'framing 2^62-1', hex: 'ffffffffffffffff', kind: 'request', error: LimitExceededError },
  {
    name: 'response framing to request decoder',
    hex: '0140c80000',
    kind: 'request',
    error: MalformedError,
  },
  {
    name: 'request framing to response decoder',
    hex: `${REQ}000000`,
    kind: 'response',
    error: MalformedError,
  },
  // request control data (RFC 9292 §3.4)
  { name: 'method length past end', hex: '000547', kind: 'request', error: MalformedError },
  {
    name: 'method length 2^62-1',
    hex: `00${'ffffffffffffffff'}`,
    kind: 'request',
    error: LimitExceededError,
  },
  {
    name: 'method length 2^40',
    hex: `00${v8(1n << 40n)}`,
    kind: 'request',
    error: LimitExceededError,
  },
  {
    name: 'method over maxControlDataBytes',
    hex: `00${s('A'.repeat(17))}`,
    kind: 'request',
    error: LimitExceededError,
    limits: small,
  },
  {
    name: 'empty method',
    hex: `00${s('')}${s('https')}${s('')}${s('/')}000000`,
    kind: 'request',
    error: MalformedError,
  },
  {
    name: 'method with a space',
    hex: `00${s('GE T')}${s('https')}${s('')}${s('/')}000000`,
    kind: 'request',
    error: MalformedError,
  },
  {
    name: 'scheme with NUL',
    hex: `00${s('GET')}${s('ht\0tp')}${s('')}${s('/')}000000`,
    kind: 'request',
    error: MalformedError,
  },
  {
    name: 'authority with a space',
    hex: `00${s('GET')}${s('https')}${s('a b')}${s('/')}000000`,
    kind: 'request',
    error: MalformedError,
  },
  {
    name: 'path with CRLF',
    hex: `00${s('GET')}${s('https')}${s('')}${s('/\r\nx: y')}000000`,
    kind: 'request',
    error: MalformedError,
  },
  {
    name: 'path with DEL',
    hex: `00${s('GET')}${s('https')}${s('')}${s('/\x7f')}000000`,
    kind: 'request',
    error: MalformedError,
  },
  {
    name: 'path truncated',
    hex: `00${s('GET')}${s('https')}${s('')}05`,
    kind: 'request',
    error: MalformedError,
  },
  // known-length field sections (RFC 9292 §3.6): nested length overflow
  {
    name: 'field section longer than the message',
    hex: `${REQ}${v(100)}${s('a')}${s('b')}`,
    kind: 'request',
    error: MalformedError,
  },
  {
    name: 'field section over maxFieldSectionBytes',
    hex: `${REQ}${v(33)}`,
    kind: 'request',
    error: LimitExceededError,
    limits: small,
  },
  {
    name: 'field section length 2^30 (must not allocate)',
    hex: `${REQ}${v8(1n << 30n)}`,
    kind: 'request',
    error: LimitExceededError,
  },
  {
    name: 'field section length 2^62-1',
    hex: `${REQ}ffffffffffffffff`,
    kind: 'request',
    error: LimitExceededError,
  },
  {
    name: 'field name longer than its section',
    hex: `${REQ}${kfs(`05${toHex(utf8('abc'))}`)}0000`,
    kind: 'request',
    error: MalformedError,
  },
  {
    name: 'field value longer than its section',
    hex: `${REQ}${kfs(`${s('a')}09${toHex(utf8('xy'))}`)}0000`,
    kind: 'request',
    error: MalformedError,
  },
  {
    name: 'field value length missing at section end',
    hex: `${REQ}${kfs(s('a'))}0000`,
    kind: 'request',
    error: MalformedError,
  },
  {
    name: 'field varint cut by section end',
    hex: `${REQ}${kfs(`${s('a')}40`)}0000`,
    kind: 'request',
    error: MalformedError,
  },
  {
    name: 'zero-length field name',
    hex: `${REQ}${kfs(`00${s('x')}`)}0000`,
    kind: 'request',
    error: MalformedError,
  },
  {
    name: 'uppercase field name',
    hex: `${REQ}${kfs(`${s('Host')}${s('x')}`)}0000`,
    kind: 'request',
    error: MalformedError,
  },
  {
    name: 'pseudo-field :path',
    hex: `${REQ}${kfs(`${s(':path')}${s('/')}`)}0000`,
    kind: 'request',
    error: MalformedError,
  },
  {
    name: 'field name with a space',
    hex: `${REQ}${kfs(`${s('a b')}${s('x')}`)}0000`,
    kind: 'request',
    error: MalformedError,
  },
  {
    name: 'field name with a non-ASCII byte',
    hex: `${REQ}${kfs(`02c3a9${s('x')}`)}0000`,
    kind: 'request',
    error: MalformedError,
  },
  {
    name: 'field value with CR',
    hex: `${REQ}${kfs(`${s('a')}${s('x\ry')}`)}0000`,
    kind: 'request',
    error: MalformedError,
  },
  {
    name: 'field value with LF',
    hex: `${REQ}${kfs(`${s('a')}${s('x\ny')}`)}0000`,
    kind: 'request',
    error: MalformedError,
  },
  {
    name: 'field value with NUL',
    hex: `${REQ}${kfs(`${s('a')}${s('x\0y')}`)}0000`,
    kind: 'request',
    error: MalformedError,
  },
  {
    name: 'field value with invalid UTF-8',
    hex: `${REQ}${kfs(`${s('a')}02c328`)}0000`,
    kind: 'request',
    error: MalformedError,
  },
  {
    name: 'too many fields (known)',
    hex: `${REQ}${kfs(s('a') + s('1') + s('b') + s('2') + s('c') + s('3'))}0000`,
    kind: 'request',
    error: LimitExceededError,
    limits: small,
  },
  // indeterminate-length field sections
  {
    name: 'indeterminate section without terminator',
    hex: `${IREQ}${s('a')}${s('b')}`,
    kind: 'request',
    error: MalformedError,
  },
  {
    name: 'indeterminate field name past end',
    hex: `${IREQ}09${toHex(utf8('ab'))}`,
    kind: 'request',
    error: MalformedError,
  },
  {
    name: 'indeterminate field name length 2^62-1',
    hex: `${IREQ}ffffffffffffffff`,
    kind: 'request',
    error: LimitExceededError,
  },
  {
    name: 'indeterminate field value length 2^30',
    hex: `${IREQ}${s('a')}${v8(1n << 30n)}`,
    kind: 'request',
    error: LimitExceededError,
  },
  {
    name: 'indeterminate section over maxFieldSectionBytes',
    hex: `${IREQ}${s('a')}${s('x'.repeat(40))}00`,
    kind: 'request',
    error: LimitExceededError,
    limits: small,
  },
  {
    name: 'too many fields (indeterminate)',
    hex: `${IREQ}${s('a')}${s('1')}${s('b')}${s('2')}${s('c')}${s('3')}00`,
    kind: 'request',
    error: LimitExceededError,
    limits: small,
  },
  {
    name: 'uppercase name (indeterminate)',
    hex: `${IREQ}${s('X')}${s('1')}00`,
    kind: 'request',
    error: MalformedError,
  },
  // content (RFC 9292 §3.7)
  {
    name: 'known content past end',
    hex: `${REQ}00${v(10)}abcd`,
    kind: 'request',
    error: MalformedError,
  },
  {
    name: 'known content over maxContentBytes',
    hex: `${REQ}00${v(9)}${'00'.repeat(9)}00`,
    kind: 'request',
    error: LimitExceededError,
    limits: small,
  },
  {
    name: 'known content length 2^62-1',
    hex: `${REQ}00ffffffffffffffff`,
    kind: 'request',
    error: LimitExceededError,
  },
  {
    name: 'known content length 2^50 (must not allocate)',
    hex: `${REQ}00${v8(1n << 50n)}`,
    kind: 'request',
    error: LimitExceededError,
  },
  {
    name: 'indeterminate chunk past end',
    hex: `${IREQ}00${v(10)}abcd`,
    kind: 'request',
    error: MalformedError,
  },
  {
    name: 'indeterminate content without terminator',
    hex: `${IREQ}00${v(2)}abcd`,
    kind: 'request',
    error: MalformedError,
  },
  {
    name: 'indeterminate chunks over maxContentBytes',
    hex: `${IREQ}00${v(5)}${'11'.repeat(5)}${v(5)}${'11'.repeat(5)}0000`,
    kind: 'request',
    error: LimitExceededError,
    limits: small,
  },
  {
    name: 'indeterminate chunk length 2^62-1',
    hex: `${IREQ}00ffffffffffffffff`,
    kind: 'request',
    error: LimitExceededError,
  },
  // trailers and padding (RFC 9292 §3.6, §3.8)
  {
    name: 'trailer section past end',
    hex: `${REQ}0000${v(5)}${s('a')}`,
    kind: 'request',
    error: MalformedError,
  },
  {
    name: 'invalid trailer name',
    hex: `${REQ}0000${kfs(`${s('A')}${s('x')}`)}`,
    kind: 'request',
    error: MalformedError,
  },
  {
    name: 'non-zero padding (known)',
    hex: `${REQ}000000000001`,
    kind: 'request',
    error: MalformedError,
  },
  {
    name: 'non-zero padding (indeterminate)',
    hex: `${IREQ}000000${'00'.repeat(5)}80`,
    kind: 'request',
    error: MalformedError,
  },
  {
    name: 'trailing garbage after a response',
    hex: '0140c8000000ff',
    kind: 'response',
    error: MalformedError,
  },
  // response control data (RFC 9292 §3.5)
  { name: 'status 99', hex: `01${v(99)}000000`, kind: 'response', error: MalformedError },
  { name: 'status 600', hex: `01${v(600)}000000`, kind: 'response', error: MalformedError },
  { name: 'status 0', hex: '0100000000', kind: 'response', error: MalformedError },
  { name: 'status 2^62-1', hex: '01ffffffffffffffff', kind: 'response', error: LimitExceededError },
  { name: 'status varint truncated', hex: '0140', kind: 'response', error: MalformedError },
  {
    name: 'only informational responses',
    hex: `01${v(103)}00`,
    kind: 'response',
    error: MalformedError,
  },
  {
    name: 'only informational (indeterminate)',
    hex: `03${v(103)}${s('link')}${s('x')}00`,
    kind: 'response',
    error: MalformedError,
  },
  {
    name: 'too many informational responses',
    hex: `01${v(100)}00${v(100)}00${v(100)}00${v(200)}000000`,
    kind: 'response',
    error: LimitExceededError,
    limits: small,
  },
  {
    name: 'indeterminate response cut after a chunk',
    hex: `03${v(200)}00${v(2)}abcd`,
    kind: 'response',
    error: MalformedError,
  },
  {
    name: 'indeterminate response head without terminator',
    hex: `03${v(200)}${s('a')}${s('b')}`,
    kind: 'response',
    error: MalformedError,
  },
];

function decode(c: Case): unknown {
  const bytes = fromHex(c.hex);
  const opts = c.limits ? { limits: c.limits } : undefined;
  return c.kind === 'request' ? decodeRequest(bytes, opts) : decodeResponse(bytes, opts);
}

describe('hostile Binary HTTP input', () => {
  it('has at least 60 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    let thrown: unknown;
    try {
      decode(c);
    } catch (e) {
      thrown = e;
    }
    expect(isSottoError(thrown), `untyped: ${String(thrown)}`).toBe(true);
    expect(thrown).toBeInstanceOf(c.error);
  });

  it('accepts non-minimal varints (RFC 9000 §16) where the values are valid', () => {
    const req = decodeRequest(
      fromHex(
        `${v8(0n)}${v8(3n)}${toHex(utf8('GET'))}4005${toHex(utf8('https'))}4000${s('/')}800000000000`,
      ),
    );
    expect(req).toMatchObject({ method: 'GET', scheme: 'https', authority: '', path: '/' });
  });

  it('error messages carry no input text', () => {
    try {
      decodeRequest(fromHex(`${REQ}${kfs(`${s('a')}${s('secret\r\n')}`)}0000`));
      expect.unreachable();
    } catch (e) {
      expect(String((e as Error).message)).not.toContain('secret');
    }
  });
});

describe('hostile encoder input', () => {
  const base = { method: 'GET', scheme: 'https', path: '/' };
  it.each([
    ['empty field name', { ...base, headers: [['', 'x']] as [string, string][] }],
    ['field name with space', { ...base, headers: [['a b', 'x']] as [string, string][] }],
    ['pseudo-field', { ...base, headers: [[':authority', 'x']] as [string, string][] }],
    ['value with CRLF', { ...base, headers: [['a', 'x\r\nb: c']] as [string, string][] }],
    ['trailer value with NUL', { ...base, trailers: [['a', '\0']] as [string, string][] }],
    ['method with space', { ...base, method: 'G T' }],
    ['path with space', { ...base, path: '/a b' }],
  ])('encodeRequest refuses %s', (_n, req) => {
    expect(() => encodeRequest(req)).toThrow(MalformedError);
  });

  it('lowercases field names on encode', () => {
    const bytes = encodeRequest({ ...base, headers: [['Content-Type', 'text/plain']] });
    expect(decodeRequest(bytes).headers).toEqual([['content-type', 'text/plain']]);
  });

  it.each([99, 100, 199, 600, 200.5, -1])('encodeResponse refuses final status %s', (status) => {
    expect(() => encodeResponse({ status })).toThrow(MalformedError);
  });

  it.each([99, 200])('encodeResponse refuses informational status %s', (status) => {
    expect(() => encodeResponse({ status: 200, informational: [{ status }] })).toThrow(
      MalformedError,
    );
  });

  it.each([-1, 1.5, 16 * 1024 * 1024 + 1])('refuses padding %s', (padding) => {
    expect(() => encodeRequest(base, { padding })).toThrow(LimitExceededError);
  });

  it('a spent streaming encoder refuses more calls; empty chunks never terminate the content', () => {
    const enc = createResponseEncoder({ status: 200 });
    const head = enc.head();
    expect(enc.head().length).toBe(0);
    expect(enc.chunk(new Uint8Array(0)).length).toBe(0);
    const body = enc.chunk(utf8('hi'));
    const tail = enc.end([['x-done', '1']]);
    expect(() => enc.chunk(utf8('more'))).toThrow(MalformedError);
    expect(() => enc.end()).toThrow(MalformedError);
    expect(decodeResponse(concat(head, body, tail))).toMatchObject({
      status: 200,
      body: utf8('hi'),
      trailers: [['x-done', '1']],
    });
  });

  it('createResponseEncoder validates the head before anything is sent', () => {
    expect(() => createResponseEncoder({ status: 200, headers: [['bad name', 'x']] })).toThrow(
      MalformedError,
    );
    expect(() => createResponseEncoder({ status: 42 })).toThrow(MalformedError);
  });
});

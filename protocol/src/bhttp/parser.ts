/**
 * One Binary HTTP (RFC 9292) parser shared by the one-shot decoder
 * (`decode.ts`) and the streaming decoder (`stream-decoder.ts`).
 *
 * The parser is "sans I/O": a generator that asks its driver for bytes
 * (`exact`, `some`, `end`) and hands back what it found (`emit`). The driver
 * decides what running out of input means (a malformed buffer, or a truncated
 * stream). Every length read from the input is checked against the limits
 * before bytes are requested, so nothing is ever allocated from an
 * attacker-chosen length; content is streamed in pieces, never preallocated.
 */

import { concat } from '../bytes';
import { LimitExceededError, MalformedError, UnsupportedError } from '../errors';
import { decodeVarint } from '../quic-varint';
import { type ControlItem, checkControlBytes, decodeField } from './fields';
import type { BhttpLimits } from './limits';
import type { BhttpField } from './types';

/** What a parsed message yields, in wire order. */
export type ParseEvent =
  | { type: 'request-control'; method: string; scheme: string; authority: string; path: string }
  | { type: 'request-headers'; headers: BhttpField[] }
  | { type: 'informational'; status: number; headers: BhttpField[] }
  | { type: 'response-head'; status: number; headers: BhttpField[] }
  | { type: 'content'; bytes: Uint8Array }
  | { type: 'trailers'; trailers: BhttpField[] };

/**
 * A request from the parser to its driver:
 * - `exact`: reply with exactly `n` bytes (the driver fails if the input ends first);
 * - `some`: reply with 1..`max` bytes (the driver fails if the input has ended);
 * - `end`: reply `true` if the input has ended, `false` if more bytes follow;
 * - `emit`: a parsed event; reply `undefined`.
 */
export type ParseStep =
  | { op: 'exact'; n: number }
  | { op: 'some'; max: number }
  | { op: 'end' }
  | { op: 'emit'; event: ParseEvent };

export type Parser = Generator<ParseStep, void, unknown>;

/** Which message kinds the caller accepts. */
export type Expect = 'request' | 'response';

/** Largest piece of content handed on at once. */
const CONTENT_PIECE_BYTES = 64 * 1024;

function* exact(n: number): Generator<ParseStep, Uint8Array, unknown> {
  if (n === 0) return new Uint8Array(0);
  return (yield { op: 'exact', n }) as Uint8Array;
}

/** RFC 9000 §16 varint, read byte-exactly from the driver. */
function* varint(): Generator<ParseStep, number, unknown> {
  const first = yield* exact(1);
  const length = 1 << (first[0]! >> 6);
  if (length === 1) return first[0]!;
  const rest = yield* exact(length - 1);
  return decodeVarint(concat(first, rest), 0).value;
}

function* atEnd(): Generator<ParseStep, boolean, unknown> {
  return (yield { op: 'end' }) as boolean;
}

/**
 * Parses one message. With `allowTruncation` false, the truncated forms of
 * RFC 9292 §3.8 are refused (the driver reports the missing bytes). Throws `MalformedError`, `LimitExceededError` or
 * `UnsupportedError`; running out of input is the driver's to report.
 */
export function* parseMessage(limits: BhttpLimits, expect: Expect, allowTruncation = true): Parser {
  // RFC 9292 §3.3: framing indicator.
  const framing = yield* varint();
  if (framing > 3) throw new UnsupportedError('bhttp: unknown framing indicator');
  const isRequest = framing === 0 || framing === 2;
  const known = framing === 0 || framing === 1;
  if (isRequest !== (expect === 'request')) {
    throw new MalformedError(`bhttp: expected a ${expect}, got framing ${framing}`);
  }

  if (isRequest) {
    // RFC 9292 §3.4: request control data.
    const method = yield* controlItem(limits, 'method');
    const scheme = yield* controlItem(limits, 'scheme');
    const authority = yield* controlItem(limits, 'authority');
    const path = yield* controlItem(limits, 'path');
    yield { op: 'emit', event: { type: 'request-control', method, scheme, authority, path } };
    const headers = yield* fieldSection(limits, known);
    yield { op: 'emit', event: { type: 'request-headers', headers } };
  } else {
    // RFC 9292 §3.5: informational responses, then the final response control data.
    let informational = 0;
    for (;;) {
      const status = yield* varint();
      if (status < 100 || status > 599) throw new MalformedError('bhttp: invalid status code');
      const headers = yield* fieldSection(limits, known);
      if (status >= 200) {
        yield { op: 'emit', event: { type: 'response-head', status, headers } };
        break;
      }
      if (++informational > limits.maxInformational) {
        throw new LimitExceededError('bhttp: too many informational responses');
      }
      yield { op: 'emit', event: { type: 'informational', status, headers } };
    }
  }

  // RFC 9292 §3.8: a message with empty content and trailers may end here.
  if (allowTruncation && (yield* atEnd())) return;
  yield* content(limits, known);
  // RFC 9292 §3.8: a message with empty trailers may end after the content.
  if (allowTruncation && (yield* atEnd())) return;
  const trailers = yield* fieldSection(limits, known);
  yield { op: 'emit', event: { type: 'trailers', trailers } };

  // RFC 9292 §3.8: padding is zero bytes; anything else makes the message invalid (§4).
  while (!(yield* atEnd())) {
    const pad = (yield { op: 'some', max: CONTENT_PIECE_BYTES }) as Uint8Array;
    for (const b of pad) if (b !== 0) throw new MalformedError('bhttp: non-zero padding');
  }
}

function* controlItem(
  limits: BhttpLimits,
  item: ControlItem,
): Generator<ParseStep, string, unknown> {
  const n = yield* varint();
  if (n > limits.maxControlDataBytes) throw new LimitExceededError(`bhttp: ${item} too long`);
  const b = yield* exact(n);
  checkControlBytes(item, b);
  // Checked to be printable ASCII, so this decode cannot fail.
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return s;
}

/** RFC 9292 §3.6: a known-length or indeterminate-length field section. */
function* fieldSection(
  limits: BhttpLimits,
  known: boolean,
): Generator<ParseStep, BhttpField[], unknown> {
  if (known) {
    const n = yield* varint();
    if (n > limits.maxFieldSectionBytes)
      throw new LimitExceededError('bhttp: field section too large');
    return parseKnownFieldLines(yield* exact(n), limits);
  }
  const fields: BhttpField[] = [];
  let used = 0;
  const budget = (n: number): void => {
    used += n;
    if (used > limits.maxFieldSectionBytes)
      throw new LimitExceededError('bhttp: field section too large');
  };
  for (;;) {
    const nameLength = yield* varint();
    budget(1);
    // RFC 9292 §3.6: a zero name length is the Content Terminator of the section.
    if (nameLength === 0) return fields;
    if (fields.length >= limits.maxFields) throw new LimitExceededError('bhttp: too many fields');
    budget(nameLength);
    const name = yield* exact(nameLength);
    const valueLength = yield* varint();
    budget(1 + valueLength);
    const value = yield* exact(valueLength);
    fields.push(decodeField(name, value));
  }
}

/** Field lines inside a known-length section (RFC 9292 §3.6), all of `section` used. */
function parseKnownFieldLines(section: Uint8Array, limits: BhttpLimits): BhttpField[] {
  const fields: BhttpField[] = [];
  let off = 0;
  const take = (): Uint8Array => {
    const { value: n, length } = decodeVarint(section, off);
    off += length;
    if (n > section.length - off)
      throw new MalformedError('bhttp: field line overruns its section');
    const b = section.subarray(off, off + n);
    off += n;
    return b;
  };
  while (off < section.length) {
    if (fields.length >= limits.maxFields) throw new LimitExceededError('bhttp: too many fields');
    const name = take();
    // RFC 9292 §3.6: Name Length (i) = 1..
    if (name.length === 0) throw new MalformedError('bhttp: empty field name');
    const value = take();
    fields.push(decodeField(name, value));
  }
  return fields;
}

/** RFC 9292 §3.7: known-length content, or indeterminate-length chunks ending in a zero-length one. */
function* content(limits: BhttpLimits, known: boolean): Generator<ParseStep, void, unknown> {
  let total = 0;
  const piece = function* (n: number): Generator<ParseStep, void, unknown> {
    total += n;
    if (total > limits.maxContentBytes) throw new LimitExceededError('bhttp: content too large');
    let left = n;
    while (left > 0) {
      const b = (yield { op: 'some', max: Math.min(left, CONTENT_PIECE_BYTES) }) as Uint8Array;
      left -= b.length;
      yield { op: 'emit', event: { type: 'content', bytes: b } };
    }
  };
  if (known) {
    yield* piece(yield* varint());
    return;
  }
  for (;;) {
    const n = yield* varint();
    if (n === 0) return;
    yield* piece(n);
  }
}

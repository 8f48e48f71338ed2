/**
 * Binary HTTP (RFC 9292) encoding of whole requests and responses, in the
 * known-length (framing 0/1) or indeterminate-length (framing 2/3) form
 * (RFC 9292 §3.3), with optional zero padding (RFC 9292 §3.8). The encoder
 * never truncates: every section is written, so decoders of any kind accept it.
 */

import { concat, utf8 } from '../bytes';
import { LimitExceededError, MalformedError } from '../errors';
import { encodeVarint } from '../quic-varint';
import { type ControlItem, checkControlBytes, encodeField } from './fields';
import { type BhttpFraming, type BhttpRequestInit, type BhttpResponseInit, FRAMING } from './types';

/** Most zero bytes of padding an encoder will add. */
export const MAX_PADDING_BYTES = 16 * 1024 * 1024;

export interface BhttpEncodeOptions {
  /** Default `'known-length'`. */
  framing?: BhttpFraming;
  /** Zero bytes appended after the message (RFC 9292 §3.8). Default 0. */
  padding?: number;
}

type Fields = readonly (readonly [string, string])[] | undefined;

/** RFC 9292 §3.6 field section; throws `MalformedError` on an invalid name or value. */
export function encodeFieldSection(fields: Fields, known: boolean): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [name, value] of fields ?? []) {
    const [n, v] = encodeField(name, value);
    parts.push(encodeVarint(n.length), n, encodeVarint(v.length), v);
  }
  if (!known) {
    parts.push(encodeVarint(0)); // Content Terminator
    return concat(...parts);
  }
  const lines = concat(...parts);
  return concat(encodeVarint(lines.length), lines);
}

/** RFC 9292 §3.8 padding; throws `LimitExceededError` past {@link MAX_PADDING_BYTES}. */
export function paddingBytes(padding: number | undefined): Uint8Array {
  const n = padding ?? 0;
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_PADDING_BYTES) {
    throw new LimitExceededError('bhttp: invalid padding length');
  }
  return new Uint8Array(n);
}

function content(body: Uint8Array | undefined, known: boolean): Uint8Array {
  const b = body ?? new Uint8Array(0);
  if (known) return concat(encodeVarint(b.length), b);
  // RFC 9292 §3.7: one chunk (if any) then the zero-length terminator.
  return b.length === 0 ? encodeVarint(0) : concat(encodeVarint(b.length), b, encodeVarint(0));
}

/** RFC 9292 §3.5 status check: 1xx informational, 200..599 final. */
export function checkStatus(status: number, informational: boolean): void {
  const ok = informational
    ? Number.isInteger(status) && status >= 100 && status <= 199
    : Number.isInteger(status) && status >= 200 && status <= 599;
  if (!ok) throw new MalformedError('bhttp: invalid status code');
}

/**
 * Encodes a request (RFC 9292 §3.4).
 * @throws {MalformedError} invalid method, scheme, authority, path or field.
 * @throws {LimitExceededError} padding out of range.
 */
export function encodeRequest(req: BhttpRequestInit, options?: BhttpEncodeOptions): Uint8Array {
  const known = (options?.framing ?? 'known-length') === 'known-length';
  const parts: Uint8Array[] = [
    encodeVarint(known ? FRAMING.knownLengthRequest : FRAMING.indeterminateLengthRequest),
  ];
  const control: [ControlItem, string][] = [
    ['method', req.method],
    ['scheme', req.scheme],
    ['authority', req.authority ?? ''],
    ['path', req.path],
  ];
  for (const [item, value] of control) {
    const b = utf8(value);
    checkControlBytes(item, b);
    parts.push(encodeVarint(b.length), b);
  }
  parts.push(encodeFieldSection(req.headers, known));
  parts.push(content(req.body, known));
  parts.push(encodeFieldSection(req.trailers, known));
  parts.push(paddingBytes(options?.padding));
  return concat(...parts);
}

/**
 * Encodes the part of a response before its content: framing indicator,
 * informational responses and the final response head (RFC 9292 §3.5).
 * @throws {MalformedError} invalid status or field.
 */
export function encodeResponseHead(res: BhttpResponseInit, known: boolean): Uint8Array {
  const parts: Uint8Array[] = [
    encodeVarint(known ? FRAMING.knownLengthResponse : FRAMING.indeterminateLengthResponse),
  ];
  for (const info of res.informational ?? []) {
    checkStatus(info.status, true);
    parts.push(encodeVarint(info.status), encodeFieldSection(info.headers, known));
  }
  checkStatus(res.status, false);
  parts.push(encodeVarint(res.status), encodeFieldSection(res.headers, known));
  return concat(...parts);
}

/**
 * Encodes a response (RFC 9292 §3.5), informational responses included.
 * @throws {MalformedError} invalid status or field.
 * @throws {LimitExceededError} padding out of range.
 */
export function encodeResponse(res: BhttpResponseInit, options?: BhttpEncodeOptions): Uint8Array {
  const known = (options?.framing ?? 'known-length') === 'known-length';
  return concat(
    encodeResponseHead(res, known),
    content(res.body, known),
    encodeFieldSection(res.trailers, known),
    paddingBytes(options?.padding),
  );
}

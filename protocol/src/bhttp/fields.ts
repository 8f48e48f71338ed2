/**
 * Validation of what Binary HTTP (RFC 9292) carries as text: field names and
 * values (RFC 9292 §3.6, with the rules of RFC 9110 §5.1/§5.5 and, like
 * HTTP/2, RFC 9113 §8.2.1: lowercase names, no pseudo-fields) and request
 * control data (RFC 9292 §3.4). Encoders and decoders apply the same rules,
 * so anything we encode we also accept.
 */

import { fromUtf8, utf8 } from '../bytes';
import { MalformedError } from '../errors';

// RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
// "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  TCHAR[c.charCodeAt(0)] = 1;
}

function isToken(b: Uint8Array): boolean {
  if (b.length === 0) return false;
  for (const x of b) if (x >= 128 || TCHAR[x] !== 1) return false;
  return true;
}

/**
 * Checks a field name as it appears on the wire: a non-empty RFC 9110 token
 * with no uppercase letters. A leading ':' (a pseudo-field) is not a token,
 * so it is refused too.
 * @throws {MalformedError}
 */
export function checkFieldNameBytes(name: Uint8Array): void {
  if (!isToken(name)) throw new MalformedError('bhttp: invalid field name');
  for (const x of name) {
    if (x >= 0x41 && x <= 0x5a) throw new MalformedError('bhttp: uppercase field name');
  }
}

/**
 * RFC 9110 §5.5 / RFC 9113 §8.2.1: a field value must not contain NUL, CR or LF.
 * @throws {MalformedError}
 */
export function checkFieldValueBytes(value: Uint8Array): void {
  for (const x of value) {
    if (x === 0x00 || x === 0x0a || x === 0x0d) {
      throw new MalformedError('bhttp: invalid character in field value');
    }
  }
}

/** Decodes and validates one field line's name and value. @throws {MalformedError} */
export function decodeField(name: Uint8Array, value: Uint8Array): [string, string] {
  checkFieldNameBytes(name);
  checkFieldValueBytes(value);
  return [fromUtf8(name), fromUtf8(value)];
}

/**
 * Lowercases and validates a field line for encoding (RFC 9292 §3.6).
 * @throws {MalformedError} on an invalid name or value.
 */
export function encodeField(name: string, value: string): [Uint8Array, Uint8Array] {
  const n = utf8(name.toLowerCase());
  const v = utf8(value);
  checkFieldNameBytes(n);
  checkFieldValueBytes(v);
  return [n, v];
}

/** Which request control data item (RFC 9292 §3.4) a value is. */
export type ControlItem = 'method' | 'scheme' | 'authority' | 'path';

/**
 * RFC 9292 §3.4: the method is a token; scheme, authority and path may be
 * empty but carry no controls, spaces or DEL (stricter than RFC 9292 needs;
 * it keeps a request from being split if a gateway replays it over HTTP/1.1).
 * @throws {MalformedError}
 */
export function checkControlBytes(item: ControlItem, b: Uint8Array): void {
  if (item === 'method') {
    if (!isToken(b)) throw new MalformedError('bhttp: invalid method');
    return;
  }
  for (const x of b) {
    if (x <= 0x20 || x >= 0x7f) throw new MalformedError(`bhttp: invalid ${item}`);
  }
}

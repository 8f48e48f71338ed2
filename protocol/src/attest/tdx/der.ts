/**
 * A minimal strict DER reader (ITU-T X.690 §8, §10) for the two small
 * structures the TDX verifier decodes by hand: ECDSA-Sig-Value (RFC 3279
 * §2.2.3) and the SGX extension of a PCK certificate (Intel SGX PCK
 * Certificate Profile §1.3.5). Definite lengths only, minimal length
 * encodings only; anything else is `MalformedError`.
 */

import { MalformedError } from '../../errors';

export interface Tlv {
  readonly tag: number;
  readonly value: Uint8Array;
  /** Offset just past this element in the input. */
  readonly end: number;
}

/** Reads one TLV at `at`. */
export function readTlv(b: Uint8Array, at: number): Tlv {
  const tag = b[at];
  let len = b[at + 1];
  if (tag === undefined || len === undefined) throw new MalformedError('DER truncated');
  if ((tag & 0x1f) === 0x1f) throw new MalformedError('DER high tag numbers are not used here');
  let p = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3) throw new MalformedError('DER length form');
    len = 0;
    for (let i = 0; i < n; i++) {
      const x = b[p++];
      if (x === undefined) throw new MalformedError('DER truncated');
      len = len * 256 + x;
    }
    if (len < 0x80 || (n > 1 && len < 256 ** (n - 1)))
      throw new MalformedError('DER length not minimal');
  }
  if (p + len > b.length) throw new MalformedError('DER truncated');
  return { tag, value: b.subarray(p, p + len), end: p + len };
}

/** Every element of a constructed value, in order. */
export function readChildren(value: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  for (let at = 0; at < value.length;) {
    const t = readTlv(value, at);
    out.push(t);
    at = t.end;
  }
  return out;
}

/** Decodes an OBJECT IDENTIFIER value (X.690 §8.19) to dotted form. */
export function oidToString(v: Uint8Array): string {
  if (v.length === 0 || (v[v.length - 1]! & 0x80) !== 0) throw new MalformedError('DER OID');
  const arcs: number[] = [];
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    if (n === 0 && v[i] === 0x80) throw new MalformedError('DER OID not minimal');
    n = n * 128 + (v[i]! & 0x7f);
    if (n > Number.MAX_SAFE_INTEGER / 128) throw new MalformedError('DER OID arc too large');
    if ((v[i]! & 0x80) === 0) {
      arcs.push(n);
      n = 0;
    }
  }
  const first = arcs[0]!;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join('.');
}

/** A non-negative INTEGER value that fits a JS number (X.690 §8.3, minimal). */
export function derUint(v: Uint8Array): number {
  if (v.length === 0 || v.length > 6) throw new MalformedError('DER INTEGER size');
  if ((v[0]! & 0x80) !== 0) throw new MalformedError('DER INTEGER is negative');
  if (v.length > 1 && v[0] === 0 && (v[1]! & 0x80) === 0)
    throw new MalformedError('DER INTEGER not minimal');
  let n = 0;
  for (const x of v) n = n * 256 + x;
  return n;
}

/**
 * ECDSA-Sig-Value `SEQUENCE { r INTEGER, s INTEGER }` to IEEE P1363 r ‖ s
 * (`size` bytes each), as WebCrypto verifies.
 * @throws MalformedError for anything but a minimal DER pair of positive integers that fit.
 */
export function ecdsaDerToP1363(der: Uint8Array, size: number): Uint8Array<ArrayBuffer> {
  const seq = readTlv(der, 0);
  if (seq.tag !== 0x30 || seq.end !== der.length)
    throw new MalformedError('ECDSA signature is not a SEQUENCE');
  const parts = readChildren(seq.value);
  if (parts.length !== 2) throw new MalformedError('ECDSA signature must hold r and s');
  const out = new Uint8Array(2 * size);
  parts.forEach((p, i) => {
    let v = p.value;
    if (p.tag !== 0x02 || v.length === 0 || (v[0]! & 0x80) !== 0) {
      throw new MalformedError('ECDSA r/s is not a positive INTEGER');
    }
    if (v.length > 1 && v[0] === 0) {
      if ((v[1]! & 0x80) === 0) throw new MalformedError('ECDSA r/s not minimal');
      v = v.subarray(1);
    }
    if (v.length > size) throw new MalformedError('ECDSA r/s too large');
    out.set(v, i * size + size - v.length);
  });
  return out;
}

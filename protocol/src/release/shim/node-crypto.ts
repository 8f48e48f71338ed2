/**
 * Browser stand-in for the four `crypto` functions @sigstore/core calls
 * (node_modules/@sigstore/core/dist/crypto.js: createPublicKey, createHash, verify,
 * timingSafeEqual), built on @noble/curves and @noble/hashes so Sigstore verification
 * runs synchronously in an MV3 service worker. Bundlers alias `crypto` to this file for
 * browser targets only (`protocol/browser-aliases.mjs`); Node uses its own `crypto`.
 *
 * Keys: SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) for ECDSA P-256/P-384/P-521 (RFC 5480)
 * and Ed25519 (RFC 8410). Signatures: ECDSA DER (RFC 3279 §2.2.3) over the message
 * hashed with the named digest (SHA-256 when none is named, as OpenSSL does for EC
 * keys), and pure Ed25519. Anything else does not verify. The cross-check against
 * Node's crypto is protocol/test/release/shim-crypto.test.ts.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { sha3_256, sha3_384 } from '@noble/hashes/sha3.js';
import { Buffer } from 'buffer/index.js';

const EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const ED25519 = '1.3.101.112';
const CURVES = { '1.2.840.10045.3.1.7': p256, '1.3.132.0.34': p384, '1.3.132.0.35': p521 } as const;
const HASHES = { sha256, sha384, sha512, 'sha3-256': sha3_256, 'sha3-384': sha3_384 } as const;

/** The part of Node's KeyObject that @sigstore reads. */
export interface ShimKeyObject {
  readonly type: 'public';
  readonly asymmetricKeyType: 'ec' | 'ed25519' | 'unsupported';
  readonly spki: Uint8Array;
  readonly algorithm: string;
  readonly curveOid: string | undefined;
  readonly point: Uint8Array;
}

function pemToDer(pem: string): Uint8Array {
  const body = pem.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(body, 'base64'));
}

/**
 * Reads an SPKI key. A key this shim cannot use (RSA, PKCS#1, another curve, unreadable)
 * becomes an inert key that verifies nothing: a trusted root may list such keys beside
 * the ones a bundle needs, and Node would load them.
 */
export function createPublicKey(
  key: string | Uint8Array | { key: Uint8Array; format?: string; type?: string },
  type = 'spki',
): ShimKeyObject {
  let der: Uint8Array;
  if (typeof key === 'string') der = pemToDer(key);
  else if (key instanceof Uint8Array) der = key;
  else der = key.key;
  const inert: ShimKeyObject = {
    type: 'public',
    asymmetricKeyType: 'unsupported',
    spki: der,
    algorithm: '',
    curveOid: undefined,
    point: new Uint8Array(),
  };
  if (type !== 'spki') return inert;
  let info: SubjectPublicKeyInfo;
  try {
    info = AsnConvert.parse(der, SubjectPublicKeyInfo);
  } catch {
    return inert;
  }
  const algorithm = info.algorithm.algorithm;
  let curveOid: string | undefined;
  if (algorithm === EC_PUBLIC_KEY) {
    const params = info.algorithm.parameters;
    if (!params) return inert;
    try {
      curveOid = parseOid(new Uint8Array(params));
    } catch {
      return inert;
    }
    if (!(curveOid in CURVES)) return inert;
  } else if (algorithm !== ED25519) return inert;
  return {
    type: 'public',
    asymmetricKeyType: algorithm === ED25519 ? 'ed25519' : 'ec',
    spki: der,
    algorithm,
    curveOid,
    point: new Uint8Array(info.subjectPublicKey),
  };
}

/** DER OBJECT IDENTIFIER (X.690 §8.19) to dotted form. */
function parseOid(der: Uint8Array): string {
  if (der[0] !== 0x06 || der[1] === undefined || der[1] > 0x7f || der.length !== der[1] + 2) {
    throw new TypeError('bad curve identifier');
  }
  const body = der.subarray(2);
  const parts: number[] = [];
  let v = 0;
  for (const b of body) {
    v = v * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      parts.push(v);
      v = 0;
    }
  }
  const first = parts.shift() ?? 0;
  const a = first < 80 ? Math.floor(first / 40) : 2;
  return [a, first - a * 40, ...parts].join('.');
}

class Hash {
  readonly #chunks: Uint8Array[] = [];
  readonly #fn: (m: Uint8Array) => Uint8Array;
  constructor(fn: (m: Uint8Array) => Uint8Array) {
    this.#fn = fn;
  }
  update(data: Uint8Array | string): this {
    this.#chunks.push(typeof data === 'string' ? new TextEncoder().encode(data) : data);
    return this;
  }
  digest(): Buffer {
    return Buffer.from(this.#fn(Buffer.concat(this.#chunks)));
  }
}

export function createHash(algorithm: string): Hash {
  const fn = HASHES[algorithm.toLowerCase() as keyof typeof HASHES];
  if (!fn) throw new TypeError(`unsupported digest ${algorithm}`);
  return new Hash(fn);
}

export function verify(
  algorithm: string | null | undefined,
  data: Uint8Array,
  key: ShimKeyObject,
  signature: Uint8Array,
): boolean {
  try {
    if (key.asymmetricKeyType === 'unsupported') return false;
    if (key.asymmetricKeyType === 'ed25519') {
      return ed25519.verify(signature, data, key.point);
    }
    const curve = CURVES[key.curveOid as keyof typeof CURVES];
    const hash = HASHES[(algorithm ?? 'sha256').toLowerCase() as keyof typeof HASHES];
    if (!curve || !hash) return false;
    return curve.verify(signature, hash(data), key.point, {
      prehash: false,
      lowS: false,
      format: 'der',
    });
  } catch {
    return false;
  }
}

export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) throw new RangeError('different lengths');
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

export default { createPublicKey, createHash, verify, timingSafeEqual };

/**
 * X.509 certificates of the AMD SEV-SNP key hierarchy (RFC 5280), parsed with
 * @peculiar/asn1-x509, and the AMD VCEK extensions (AMD "VCEK Certificate and
 * KDS Interface Specification", pub. 57230, §3.1 Table 8). Public keys are
 * imported into WebCrypto (`globalThis.crypto.subtle`); imports are cached by
 * SubjectPublicKeyInfo bytes so a warm verification skips them.
 */

import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { equalBytes, fromBase64, toHex } from '../../bytes';
import { MalformedError } from '../../errors';
import { AMD_OID, SNP_PRODUCTS, type SnpProduct } from './constants';

/** A parsed certificate plus the exact DER pieces the checks need. */
export interface SnpCertificate {
  readonly der: Uint8Array<ArrayBuffer>;
  readonly asn: Certificate;
  /** tbsCertificate exactly as signed. */
  readonly tbs: Uint8Array<ArrayBuffer>;
  readonly signatureValue: Uint8Array<ArrayBuffer>;
  readonly spki: Uint8Array<ArrayBuffer>;
  readonly subject: Uint8Array<ArrayBuffer>;
  readonly issuer: Uint8Array<ArrayBuffer>;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The subject's common name, for error details. */
  readonly commonName: string;
}

/** Far above any AMD certificate (ARK/ASK ≈ 1.6 KiB, VCEK ≈ 1.4 KiB); bounds hostile input. */
const MAX_CERT_BYTES = 16 * 1024;

const PEM_RE = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/g;

/** DER of every CERTIFICATE block in PEM text, in order. */
export function pemCertificates(text: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const m of text.matchAll(PEM_RE)) out.push(fromBase64(m[1]!.replace(/\s+/g, '')));
  return out;
}

const CN_OID = '2.5.4.3';

function commonNameOf(asn: Certificate): string {
  for (const rdn of asn.tbsCertificate.subject) {
    for (const atv of rdn) {
      if (atv.type === CN_OID) return atv.value.toString();
    }
  }
  return '(no CN)';
}

/**
 * Parses one certificate from DER bytes or PEM text (the first block).
 * @throws MalformedError when the input is not a certificate or is over 16 KiB.
 */
export function parseSnpCertificate(input: Uint8Array | string): SnpCertificate {
  let der: Uint8Array<ArrayBuffer>;
  if (typeof input === 'string') {
    const blocks = pemCertificates(input);
    if (blocks.length < 1) throw new MalformedError('no PEM certificate found');
    der = blocks[0]!.slice();
  } else {
    der = input.slice();
  }
  if (der.length > MAX_CERT_BYTES) throw new MalformedError('certificate is too large');
  let asn: Certificate;
  try {
    asn = AsnConvert.parse(der, Certificate);
  } catch (cause) {
    throw new MalformedError('not a DER X.509 certificate', { cause });
  }
  if (!asn.tbsCertificateRaw) throw new MalformedError('certificate has no tbsCertificate');
  const tbsCert = asn.tbsCertificate;
  const time = (t: { utcTime?: Date; generalTime?: Date }) => t.utcTime ?? t.generalTime;
  const notBefore = time(tbsCert.validity.notBefore);
  const notAfter = time(tbsCert.validity.notAfter);
  if (!notBefore || !notAfter) throw new MalformedError('certificate validity is missing');
  return {
    der,
    asn,
    tbs: new Uint8Array(asn.tbsCertificateRaw),
    signatureValue: new Uint8Array(asn.signatureValue),
    spki: new Uint8Array(AsnConvert.serialize(tbsCert.subjectPublicKeyInfo)),
    subject: new Uint8Array(AsnConvert.serialize(tbsCert.subject)),
    issuer: new Uint8Array(AsnConvert.serialize(tbsCert.issuer)),
    notBefore,
    notAfter,
    commonName: commonNameOf(asn),
  };
}

/** True when the certificate names itself as issuer (a root candidate). */
export function isSelfIssued(c: SnpCertificate): boolean {
  return equalBytes(c.subject, c.issuer);
}

/** The AMD extensions of a VCEK (pub. 57230 Table 8). Absent ones are `undefined`. */
export interface VcekExtensions {
  readonly productName: string | undefined;
  /** HWID: 64 bytes (Milan, Genoa) or 8 bytes (Turin). */
  readonly hwId: Uint8Array | undefined;
  readonly bootloader: number | undefined;
  readonly tee: number | undefined;
  readonly snp: number | undefined;
  readonly microcode: number | undefined;
  /** Turin only. */
  readonly fmc: number | undefined;
  /** Present in VLEK certificates only. */
  readonly cspId: string | undefined;
}

/** Decodes a small DER INTEGER (tag 0x02, short form, non-negative, ≤ 4 bytes). */
function derSmallInt(v: Uint8Array): number {
  const len = v[1] ?? 0;
  if (v[0] !== 0x02 || v.length !== 2 + len || len < 1 || len > 4 || (v[2]! & 0x80) !== 0) {
    throw new MalformedError('AMD extension is not a small DER INTEGER');
  }
  let n = 0;
  for (let i = 2; i < v.length; i++) n = n * 256 + v[i]!;
  return n;
}

/** Decodes a DER IA5String or UTF8String with a short-form length. */
function derString(v: Uint8Array): string {
  const len = v[1] ?? 0;
  if ((v[0] !== 0x16 && v[0] !== 0x0c) || len > 127 || v.length !== 2 + len) {
    throw new MalformedError('AMD extension is not a short DER string');
  }
  let s = '';
  for (let i = 2; i < v.length; i++) {
    if (v[i]! > 0x7e || v[i]! < 0x20) throw new MalformedError('AMD extension string is not ASCII');
    s += String.fromCharCode(v[i]!);
  }
  return s;
}

/**
 * Reads the AMD extensions of a VCEK/VLEK certificate.
 * @throws MalformedError when an AMD extension is present but badly encoded.
 */
export function readVcekExtensions(c: SnpCertificate): VcekExtensions {
  const ext = new Map<string, Uint8Array>();
  for (const e of c.asn.tbsCertificate.extensions ?? []) {
    ext.set(e.extnID, new Uint8Array(e.extnValue.buffer));
  }
  const int = (oid: string) => {
    const v = ext.get(oid);
    return v === undefined ? undefined : derSmallInt(v);
  };
  const str = (oid: string) => {
    const v = ext.get(oid);
    return v === undefined ? undefined : derString(v);
  };
  return {
    productName: str(AMD_OID.PRODUCT_NAME),
    hwId: ext.get(AMD_OID.HW_ID)?.slice(),
    bootloader: int(AMD_OID.BL_SPL),
    tee: int(AMD_OID.TEE_SPL),
    snp: int(AMD_OID.SNP_SPL),
    microcode: int(AMD_OID.UCODE_SPL),
    fmc: int(AMD_OID.FMC_SPL),
    cspId: str(AMD_OID.CSP_ID),
  };
}

/**
 * The product a VCEK's product-name extension names ("Milan-B0" → Milan,
 * "Turin" → Turin), or `undefined` when absent or not a known product.
 */
export function productFromVcekName(name: string | undefined): SnpProduct | undefined {
  if (name === undefined) return undefined;
  const family = name.split('-')[0];
  return SNP_PRODUCTS.find((p) => p === family);
}

/** Imported keys by algorithm and SPKI hex. Bounded; cleared with `clearSnpKeyCache`. */
const keyCache = new Map<string, Promise<CryptoKey>>();
const KEY_CACHE_MAX_ENTRIES = 64;

/** Forgets cached key imports (the next verification is "cold" again). */
export function clearSnpKeyCache(): void {
  keyCache.clear();
}

/**
 * Imports a certificate's public key for signature verification: `rsa-pss`
 * (RSASSA-PSS, SHA-384) or `ecdsa-p384`. The promise rejects when WebCrypto
 * refuses the key (wrong type or curve).
 */
export function importCertKey(
  c: SnpCertificate,
  kind: 'rsa-pss' | 'ecdsa-p384',
): Promise<CryptoKey> {
  const id = `${kind}:${toHex(c.spki)}`;
  const hit = keyCache.get(id);
  if (hit) return hit;
  const alg =
    kind === 'rsa-pss'
      ? { name: 'RSA-PSS', hash: 'SHA-384' }
      : { name: 'ECDSA', namedCurve: 'P-384' };
  const p = globalThis.crypto.subtle.importKey('spki', c.spki, alg, false, ['verify']);
  if (keyCache.size >= KEY_CACHE_MAX_ENTRIES) keyCache.clear();
  keyCache.set(id, p);
  p.catch(() => keyCache.delete(id));
  return p;
}

/** Hex helper for parameters compared against constants. */
export function paramsHex(params: ArrayBuffer | null | undefined): string {
  return params ? toHex(new Uint8Array(params)) : '';
}

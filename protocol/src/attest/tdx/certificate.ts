/**
 * X.509 pieces of the Intel SGX/TDX hierarchy ("Intel SGX PCK Certificate
 * and Certificate Revocation List Profile Specification"): certificates and
 * CRLs (RFC 5280 §4, §5) parsed with @peculiar/asn1-x509, ECDSA P-256 /
 * SHA-256 signatures checked with WebCrypto, and the SGX extension of a PCK
 * leaf (§1.3.5: PPID, the 16 SGX TCB components, PCESVN, CPUSVN, PCE-ID,
 * FMSPC, SGX type). The certificate parser is the generic one the SEV-SNP
 * verifier uses.
 */

import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList } from '@peculiar/asn1-x509';
import { bufferSource, equalBytes, toHex } from '../../bytes';
import { MalformedError } from '../../errors';
import { parseSnpCertificate, pemCertificates, type SnpCertificate } from '../sev/certificate';
import { OID_EC_PUBLIC_KEY, OID_ECDSA_WITH_SHA256, OID_P256, SGX_OID } from './constants';
import { derUint, ecdsaDerToP1363, oidToString, readChildren, readTlv } from './der';

/** A parsed certificate (the same shape the SEV-SNP verifier uses). */
export type X509Cert = SnpCertificate;

/**
 * Parses a DER certificate or the first PEM block of a text.
 * @throws MalformedError
 */
export function parseCertificate(input: Uint8Array | string): X509Cert {
  return parseSnpCertificate(input);
}

/**
 * Splits PEM text into certificates, in order. Accepts URL-encoded PEM (as
 * Intel PCS sends issuer chains in response headers).
 * @throws MalformedError when a block does not parse or there is none.
 */
export function parseCertificateChain(text: string): X509Cert[] {
  let pem = text;
  if (pem.includes('%2D') || pem.includes('%20') || pem.includes('%0A')) {
    try {
      pem = decodeURIComponent(pem);
    } catch (cause) {
      throw new MalformedError('certificate chain is not valid URL encoding', { cause });
    }
  }
  const ders = pemCertificates(pem);
  if (ders.length === 0 || ders.length > 8) throw new MalformedError('no certificate chain found');
  return ders.map((d) => parseCertificate(d));
}

const keyCache = new Map<string, Promise<CryptoKey>>();
const KEY_CACHE_MAX_ENTRIES = 64;

/** Forgets cached key imports (the next verification is "cold" again). */
export function clearTdxKeyCache(): void {
  keyCache.clear();
}

function importP256(spkiOrRaw: Uint8Array, format: 'spki' | 'raw'): Promise<CryptoKey> {
  const id = `${format}:${toHex(spkiOrRaw)}`;
  const hit = keyCache.get(id);
  if (hit) return hit;
  const p = globalThis.crypto.subtle.importKey(
    format,
    bufferSource(spkiOrRaw),
    { name: 'ECDSA', namedCurve: 'P-256' },
    false,
    ['verify'],
  );
  if (keyCache.size >= KEY_CACHE_MAX_ENTRIES) keyCache.clear();
  keyCache.set(id, p);
  p.catch(() => keyCache.delete(id));
  return p;
}

/** True when the certificate's key is an EC P-256 key. */
export function isP256Key(c: X509Cert): boolean {
  const alg = c.asn.tbsCertificate.subjectPublicKeyInfo.algorithm;
  if (alg.algorithm !== OID_EC_PUBLIC_KEY || !alg.parameters) return false;
  try {
    const t = readTlv(new Uint8Array(alg.parameters), 0);
    return t.tag === 0x06 && oidToString(t.value) === OID_P256;
  } catch {
    return false;
  }
}

/** The certificate's P-256 key in WebCrypto; rejects when it is not one. */
export function certKey(c: X509Cert): Promise<CryptoKey> {
  if (!isP256Key(c)) return Promise.reject(new MalformedError('key is not EC P-256'));
  return importP256(c.spki, 'spki');
}

/** The QE's attestation key (raw x ‖ y, 64 bytes) as a WebCrypto key. */
export function rawP256Key(xy: Uint8Array): Promise<CryptoKey> {
  const raw = new Uint8Array(65);
  raw[0] = 0x04;
  raw.set(xy, 1);
  return importP256(raw, 'raw');
}

/** ECDSA P-256 SHA-256 over `data`; `sig` is r ‖ s (64 bytes). False on any failure. */
export async function verifyP256(
  key: CryptoKey,
  sig: Uint8Array,
  data: Uint8Array,
): Promise<boolean> {
  try {
    return await globalThis.crypto.subtle.verify(
      { name: 'ECDSA', hash: 'SHA-256' },
      key,
      bufferSource(sig),
      bufferSource(data),
    );
  } catch {
    return false;
  }
}

/** Whether the signature algorithm inside and outside the TBS is ecdsa-with-SHA256. */
export function signedWithEcdsaSha256(c: X509Cert): boolean {
  return (
    c.asn.signatureAlgorithm.algorithm === OID_ECDSA_WITH_SHA256 &&
    c.asn.tbsCertificate.signature.algorithm === OID_ECDSA_WITH_SHA256
  );
}

/** Whether `child` carries a valid ECDSA P-256 SHA-256 signature by `parent`'s key. */
export async function signedBy(child: X509Cert, parent: X509Cert): Promise<boolean> {
  try {
    const sig = ecdsaDerToP1363(child.signatureValue, 32);
    return await verifyP256(await certKey(parent), sig, child.tbs);
  } catch {
    return false;
  }
}

/** basicConstraints cA=TRUE (RFC 5280 §4.2.1.9), read from the extension DER. */
export function isCa(c: X509Cert): boolean {
  const ext = c.asn.tbsCertificate.extensions?.find((e) => e.extnID === '2.5.29.19');
  if (!ext) return false;
  try {
    const seq = readTlv(new Uint8Array(ext.extnValue.buffer), 0);
    const first = readChildren(seq.value)[0];
    return seq.tag === 0x30 && first?.tag === 0x01 && first.value[0] === 0xff;
  } catch {
    return false;
  }
}

export function serialHex(c: X509Cert): string {
  return toHex(new Uint8Array(c.asn.tbsCertificate.serialNumber)).replace(/^(00)+(?=.)/, '');
}

/** The SGX extension of a PCK leaf. */
export interface PckExtensions {
  readonly ppid: Uint8Array;
  /** SGX TCB components 1..16, in order. */
  readonly sgxTcbComponents: readonly number[];
  readonly pceSvn: number;
  readonly cpuSvn: Uint8Array;
  readonly pceId: Uint8Array;
  readonly fmspc: Uint8Array;
  readonly sgxType: number;
}

/**
 * Reads the SGX extension (OID 1.2.840.113741.1.13.1) of a PCK certificate.
 * @throws MalformedError when it is absent or does not follow §1.3.5.
 */
export function readPckExtensions(c: X509Cert): PckExtensions {
  const ext = c.asn.tbsCertificate.extensions?.find((e) => e.extnID === SGX_OID.EXTENSIONS);
  if (!ext) throw new MalformedError('the PCK certificate has no SGX extension');
  const top = readTlv(new Uint8Array(ext.extnValue.buffer), 0);
  if (top.tag !== 0x30) throw new MalformedError('SGX extension is not a SEQUENCE');
  const fields = new Map<string, Tlv2>();
  for (const entry of readChildren(top.value)) {
    const [oid, value] = pair(entry);
    if (fields.has(oid)) throw new MalformedError(`SGX extension ${oid} repeats`);
    fields.set(oid, value);
  }
  const get = (oid: string, tag: number, size?: number) => {
    const v = fields.get(oid);
    if (!v || v.tag !== tag || (size !== undefined && v.value.length !== size)) {
      throw new MalformedError(`SGX extension ${oid} is missing or malformed`);
    }
    return v.value;
  };
  const tcb = new Map<string, Tlv2>();
  for (const entry of readChildren(get(SGX_OID.TCB, 0x30))) {
    const [oid, value] = pair(entry);
    tcb.set(oid, value);
  }
  const tcbInt = (oid: string) => {
    const v = tcb.get(oid);
    if (!v || v.tag !== 0x02) throw new MalformedError(`SGX TCB ${oid} is missing`);
    return derUint(v.value);
  };
  const comps: number[] = [];
  for (let i = 1; i <= 16; i++) comps.push(tcbInt(`${SGX_OID.TCB}.${i}`));
  const cpu = tcb.get(SGX_OID.CPUSVN);
  if (!cpu || cpu.tag !== 0x04 || cpu.value.length !== 16) {
    throw new MalformedError('SGX TCB CPUSVN is missing');
  }
  return {
    ppid: get(SGX_OID.PPID, 0x04, 16).slice(),
    sgxTcbComponents: comps,
    pceSvn: tcbInt(SGX_OID.PCESVN),
    cpuSvn: cpu.value.slice(),
    pceId: get(SGX_OID.PCE_ID, 0x04, 2).slice(),
    fmspc: get(SGX_OID.FMSPC, 0x04, 6).slice(),
    sgxType: derUint(get(SGX_OID.SGX_TYPE, 0x0a)),
  };
}

interface Tlv2 {
  readonly tag: number;
  readonly value: Uint8Array;
}

function pair(entry: { tag: number; value: Uint8Array }): [string, Tlv2] {
  if (entry.tag !== 0x30) throw new MalformedError('SGX extension entry is not a SEQUENCE');
  const kids = readChildren(entry.value);
  if (kids.length !== 2 || kids[0]!.tag !== 0x06) {
    throw new MalformedError('SGX extension entry is not (OID, value)');
  }
  return [oidToString(kids[0]!.value), kids[1]!];
}

/** A parsed CRL (RFC 5280 §5.1) with what the checks need. */
export interface X509Crl {
  readonly der: Uint8Array;
  readonly tbs: Uint8Array;
  readonly signatureValue: Uint8Array;
  readonly issuer: Uint8Array;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  readonly signatureAlgorithm: string;
  /** Revoked serial numbers, hex, without leading zero bytes. */
  readonly revoked: ReadonlySet<string>;
}

const MAX_CRL_BYTES = 1024 * 1024;

/**
 * Parses a DER CRL (or PEM "X509 CRL" text).
 * @throws MalformedError when it is not a CRL, has no nextUpdate, or is over 1 MiB.
 */
export function parseCrl(input: Uint8Array | string): X509Crl {
  let der: Uint8Array;
  if (typeof input === 'string') {
    const m = /-----BEGIN X509 CRL-----([A-Za-z0-9+/=\s]+?)-----END X509 CRL-----/.exec(input);
    if (!m) throw new MalformedError('no PEM CRL found');
    der = Uint8Array.from(atob(m[1]!.replace(/\s+/g, '')), (ch) => ch.charCodeAt(0));
  } else {
    der = input.slice();
  }
  if (der.length > MAX_CRL_BYTES) throw new MalformedError('CRL is too large');
  let crl: CertificateList;
  try {
    crl = AsnConvert.parse(der, CertificateList);
  } catch (cause) {
    throw new MalformedError('not a DER CRL', { cause });
  }
  const t = crl.tbsCertList;
  const time = (x: { utcTime?: Date; generalTime?: Date } | undefined) =>
    x?.utcTime ?? x?.generalTime;
  const thisUpdate = time(t.thisUpdate);
  const nextUpdate = time(t.nextUpdate);
  if (!thisUpdate || !nextUpdate) throw new MalformedError('CRL has no update times');
  const tbs = tbsOf(der);
  const revoked = new Set<string>();
  for (const r of t.revokedCertificates ?? []) {
    revoked.add(toHex(new Uint8Array(r.userCertificate)).replace(/^(00)+(?=.)/, ''));
  }
  return {
    der,
    tbs,
    signatureValue: new Uint8Array(crl.signature),
    issuer: new Uint8Array(AsnConvert.serialize(t.issuer)),
    thisUpdate,
    nextUpdate,
    signatureAlgorithm: crl.signatureAlgorithm.algorithm,
    revoked,
  };
}

/** The exact tbsCertList bytes (the first element of the outer SEQUENCE). */
function tbsOf(der: Uint8Array): Uint8Array {
  const outer = readTlv(der, 0);
  const first = readTlv(outer.value, 0);
  const start = outer.value.byteOffset - der.byteOffset;
  return der.slice(start, start + first.end);
}

/** Whether `crl` is signed (ECDSA P-256 SHA-256) by `issuer`'s key and names it as issuer. */
export async function crlSignedBy(crl: X509Crl, issuer: X509Cert): Promise<boolean> {
  if (!equalBytes(crl.issuer, issuer.subject) || crl.signatureAlgorithm !== OID_ECDSA_WITH_SHA256) {
    return false;
  }
  try {
    return await verifyP256(
      await certKey(issuer),
      ecdsaDerToP1363(crl.signatureValue, 32),
      crl.tbs,
    );
  } catch {
    return false;
  }
}

/**
 * The `dev` platform's report: the shape of a real TEE report (measurement,
 * REPORT_DATA, timestamp), signed with a locally generated ECDSA P-384 key.
 * It proves nothing about hardware; clients accept it only in development mode.
 *
 * Layout (all integers little-endian, as in AMD's report):
 *   0x00  16  magic "sotto-dev-report"
 *   0x10   4  version (1)
 *   0x14   4  reserved (0)
 *   0x18   8  timestamp, milliseconds since the Unix epoch
 *   0x20  48  MEASUREMENT (SHA-384 of the enclave's code bundle and lockfile)
 *   0x50  64  REPORT_DATA
 *   0x90  32  signing key id = SHA-256(SubjectPublicKeyInfo of the P-384 key)
 *   0xB0  96  signature: ECDSA P-384 / SHA-384 over bytes 0x00..0xAF, r || s big-endian
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bufferSource, equalBytes, utf8 } from '../bytes';
import { MalformedError, UnsupportedError } from '../errors';

export const DEV_REPORT_MAGIC = 'sotto-dev-report';
export const DEV_REPORT_VERSION = 1;
export const DEV_REPORT_BYTES = 0x110;
const SIGNED_BYTES = 0xb0;
const ECDSA_P384 = { name: 'ECDSA', namedCurve: 'P-384' } as const;
const SIGN_PARAMS = { name: 'ECDSA', hash: 'SHA-384' } as const;

export interface DevReport {
  version: number;
  timestamp: Date;
  measurement: Uint8Array;
  reportData: Uint8Array;
  signingKeyId: Uint8Array;
  signature: Uint8Array;
  /** The bytes the signature covers. */
  signed: Uint8Array;
}

/** @throws MalformedError on a wrong size or magic; UnsupportedError on an unknown version. */
export function parseDevReport(bytes: Uint8Array): DevReport {
  if (bytes.length !== DEV_REPORT_BYTES) throw new MalformedError('dev report has the wrong size');
  if (!equalBytes(bytes.subarray(0, 16), utf8(DEV_REPORT_MAGIC))) {
    throw new MalformedError('dev report magic is wrong');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(0x10, true);
  if (version !== DEV_REPORT_VERSION) throw new UnsupportedError('unknown dev report version');
  const ms = view.getBigUint64(0x18, true);
  if (ms > BigInt(Number.MAX_SAFE_INTEGER))
    throw new MalformedError('dev report timestamp out of range');
  return {
    version,
    timestamp: new Date(Number(ms)),
    measurement: bytes.slice(0x20, 0x50),
    reportData: bytes.slice(0x50, 0x90),
    signingKeyId: bytes.slice(0x90, 0xb0),
    signature: bytes.slice(0xb0, 0x110),
    signed: bytes.slice(0, SIGNED_BYTES),
  };
}

export interface DevSigner {
  /** SubjectPublicKeyInfo (DER) of the P-384 public key. */
  publicKeySpki: Uint8Array;
  privateKey: CryptoKey;
}

/** Makes a fresh P-384 signing key (the enclave stores it; see enclave/src/attestation/dev.ts). */
export async function generateDevSigner(): Promise<{ signer: DevSigner; pkcs8: Uint8Array }> {
  const pair = (await crypto.subtle.generateKey(ECDSA_P384, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
  return { signer: { publicKeySpki: spki, privateKey: pair.privateKey }, pkcs8 };
}

/** Re-imports a stored signing key. @throws MalformedError when the stored bytes are not a P-384 key. */
export async function importDevSigner(pkcs8: Uint8Array, spki: Uint8Array): Promise<DevSigner> {
  try {
    const privateKey = await crypto.subtle.importKey(
      'pkcs8',
      bufferSource(pkcs8),
      ECDSA_P384,
      false,
      ['sign'],
    );
    await crypto.subtle.importKey('spki', bufferSource(spki), ECDSA_P384, true, ['verify']);
    return { publicKeySpki: spki, privateKey };
  } catch (cause) {
    throw new MalformedError('stored dev signing key is not a P-384 key', { cause });
  }
}

/** Builds and signs a dev report. */
export async function signDevReport(
  signer: DevSigner,
  fields: { measurement: Uint8Array; reportData: Uint8Array; timestamp: Date },
): Promise<Uint8Array> {
  if (fields.measurement.length !== 48) throw new MalformedError('measurement must be 48 bytes');
  if (fields.reportData.length !== 64) throw new MalformedError('report data must be 64 bytes');
  const out = new Uint8Array(DEV_REPORT_BYTES);
  const view = new DataView(out.buffer);
  out.set(utf8(DEV_REPORT_MAGIC), 0);
  view.setUint32(0x10, DEV_REPORT_VERSION, true);
  view.setBigUint64(0x18, BigInt(fields.timestamp.getTime()), true);
  out.set(fields.measurement, 0x20);
  out.set(fields.reportData, 0x50);
  out.set(sha256(signer.publicKeySpki), 0x90);
  const sig = await crypto.subtle.sign(
    SIGN_PARAMS,
    signer.privateKey,
    out.subarray(0, SIGNED_BYTES),
  );
  out.set(new Uint8Array(sig), SIGNED_BYTES);
  return out;
}

/**
 * Checks the report's signature against the given public key and that the report
 * names that key. Returns the failures (empty when the signature holds).
 */
export async function checkDevReportSignature(
  report: DevReport,
  publicKeySpki: Uint8Array,
): Promise<string[]> {
  if (!equalBytes(sha256(publicKeySpki), report.signingKeyId)) {
    return ['dev report names a different signing key'];
  }
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey('spki', bufferSource(publicKeySpki), ECDSA_P384, false, [
      'verify',
    ]);
  } catch {
    return ['dev signing key is not a P-384 public key'];
  }
  const ok = await crypto.subtle.verify(
    SIGN_PARAMS,
    key,
    bufferSource(report.signature),
    bufferSource(report.signed),
  );
  return ok ? [] : ['dev report signature is invalid'];
}

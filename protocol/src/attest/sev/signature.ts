/**
 * The report signature: ECDSA P-384 with SHA-384 over report bytes
 * 0x000..0x29F (AMD SEV-SNP ABI pub. 56860, Table 23 and Table 118 "ECDSA
 * P-384 with SHA-384 Signature": R and S are 72-byte little-endian integers,
 * zero-extended). WebCrypto wants IEEE P1363: R || S, 48 bytes each,
 * big-endian.
 */

import { MalformedError } from '../../errors';
import { LENGTH, SNP_SIGNED_LENGTH_BYTES } from './constants';
import type { SnpReport } from './report';

/**
 * Converts one 72-byte little-endian component to 48-byte big-endian.
 * @throws MalformedError when the component is not 72 bytes or any of its high 24 bytes is non-zero.
 */
export function leComponentToP1363(le: Uint8Array): Uint8Array {
  if (le.length !== LENGTH.SIG_COMPONENT) {
    throw new MalformedError(`signature component is ${le.length} bytes, expected 72`);
  }
  for (let i = LENGTH.P384_SCALAR; i < LENGTH.SIG_COMPONENT; i++) {
    if (le[i] !== 0) throw new MalformedError('signature component exceeds 48 bytes');
  }
  const out = new Uint8Array(LENGTH.P384_SCALAR);
  for (let i = 0; i < LENGTH.P384_SCALAR; i++) out[i] = le[LENGTH.P384_SCALAR - 1 - i]!;
  return out;
}

/**
 * The report's signature in IEEE P1363 form (R || S, 96 bytes).
 * @throws MalformedError as `leComponentToP1363`.
 */
export function snpReportSignatureP1363(report: SnpReport): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(2 * LENGTH.P384_SCALAR);
  out.set(leComponentToP1363(report.signatureR), 0);
  out.set(leComponentToP1363(report.signatureS), LENGTH.P384_SCALAR);
  return out;
}

/** The bytes the signature covers: 0x000..0x29F. */
export function signedBytes(report: SnpReport): Uint8Array<ArrayBuffer> {
  return report.raw.slice(0, SNP_SIGNED_LENGTH_BYTES);
}

/**
 * Checks the report signature with the VCEK's public key (an ECDSA P-384
 * `CryptoKey` with the `verify` usage). Resolves true only for a valid
 * signature; a malformed signature encoding throws instead.
 * @throws MalformedError when R or S has non-zero bytes above 48.
 */
export async function verifySnpReportSignature(
  report: SnpReport,
  vcekKey: CryptoKey,
): Promise<boolean> {
  const sig = snpReportSignatureP1363(report);
  return globalThis.crypto.subtle.verify(
    { name: 'ECDSA', hash: 'SHA-384' },
    vcekKey,
    sig,
    signedBytes(report),
  );
}

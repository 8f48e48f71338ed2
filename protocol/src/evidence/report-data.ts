/**
 * The binding every attestation report carries in its 64-byte REPORT_DATA
 * (DESIGN.md, "Evidence bundle"):
 *
 *   REPORT_DATA = SHA-512("sotto-evidence-v1" || key config || model SHA-256 || release id)
 *
 * The key config (RFC 9458 §3) is self-delimiting and the model digest is a fixed
 * 32 bytes, so the concatenation is unambiguous.
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { concat, utf8 } from '../bytes';
import { MalformedError } from '../errors';

export const REPORT_DATA_LABEL = 'sotto-evidence-v1';
export const REPORT_DATA_BYTES = 64;

/** @throws MalformedError if the model digest is not 32 bytes. */
export function computeReportData(
  keyConfig: Uint8Array,
  modelSha256: Uint8Array,
  releaseId: string,
): Uint8Array {
  if (modelSha256.length !== 32) throw new MalformedError('model SHA-256 must be 32 bytes');
  return sha512(concat(utf8(REPORT_DATA_LABEL), keyConfig, modelSha256, utf8(releaseId)));
}

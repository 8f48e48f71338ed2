/**
 * The binding every attestation report carries in its 64-byte REPORT_DATA
 * (DESIGN.md, "Evidence bundle"):
 *
 *   REPORT_DATA = SHA-512("sotto-evidence-v1" || key config list || model SHA-256 || release id)
 *
 * The key config list is the `application/ohttp-keys` encoding (RFC 9458 §3.2):
 * every config length-prefixed. It is self-delimiting only together with its
 * length, which the prefixes fix, and the model digest is a fixed 32 bytes,
 * so the concatenation is unambiguous. Binding the whole list is what stops a
 * downgrade: a relay that drops the X-Wing config, or reorders the list,
 * changes these bytes and the report no longer matches.
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { concat, utf8 } from '../bytes';
import { MalformedError } from '../errors';

export const REPORT_DATA_LABEL = 'sotto-evidence-v1';
export const REPORT_DATA_BYTES = 64;

/** @throws MalformedError if the model digest is not 32 bytes. */
export function computeReportData(
  keyConfigs: Uint8Array,
  modelSha256: Uint8Array,
  releaseId: string,
): Uint8Array {
  if (modelSha256.length !== 32) throw new MalformedError('model SHA-256 must be 32 bytes');
  return sha512(concat(utf8(REPORT_DATA_LABEL), keyConfigs, modelSha256, utf8(releaseId)));
}

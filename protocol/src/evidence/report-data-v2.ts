/**
 * REPORT_DATA v2 (DESIGN.md, "Evidence bundle"): one 64-byte digest in the TEE report
 * that binds everything the client relies on but the report itself: the keys, the
 * model, the release and the key's age.
 *
 *   REPORT_DATA = SHA-512(
 *       "sotto-evidence-v2"                      17 bytes, ASCII, no terminator
 *     || u32(len(keyConfigs)) || keyConfigs      RFC 9458 §3.2 `application/ohttp-keys`:
 *                                                each config prefixed by its u16 length
 *     || u16(len(modelName))  || modelName       UTF-8, at most 512 bytes
 *     || modelSha256                             32 bytes, SHA-256 of the GGUF file
 *     || u32(contextSize)                        tokens per sequence
 *     || releaseStatementSha256                  32 bytes, SHA-256 of the release's DSSE
 *                                                payload (the in-toto statement bytes);
 *                                                32 zero bytes when no release is named
 *                                                (accepted for the `dev` platform only)
 *     || u64(keyCreatedAtMs)                     key creation, ms since the Unix epoch
 *   )
 *
 * All integers are unsigned big-endian (network order, as in RFC 9458). Every
 * variable-length field is length-prefixed, so no two inputs share an encoding.
 * Vectors: protocol/test/evidence/report-data-v2.vectors.json.
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { concat, utf8 } from '../bytes';
import { MalformedError } from '../errors';

export const REPORT_DATA_V2_LABEL = 'sotto-evidence-v2';
export const MAX_MODEL_NAME_BYTES = 512;
export const MAX_KEY_CONFIGS_BYTES = 16 * 1024;
/** The statement digest when the evidence names no release (dev only). */
export const NO_RELEASE = new Uint8Array(32);

export interface ReportDataV2Input {
  /** `application/ohttp-keys` bytes: the key configuration list. */
  keyConfigs: Uint8Array;
  model: { name: string; sha256: Uint8Array; contextSize: number };
  /** SHA-256 of the release statement, or `NO_RELEASE`. */
  releaseStatementSha256: Uint8Array;
  keyCreatedAt: Date;
}

function u16(n: number): Uint8Array {
  return new Uint8Array([n >>> 8, n & 0xff]);
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

function u64(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n));
  return b;
}

/** The bytes REPORT_DATA v2 hashes (exposed for the vectors and for review). */
export function reportDataV2Preimage(input: ReportDataV2Input): Uint8Array {
  const name = utf8(input.model.name);
  if (name.length === 0 || name.length > MAX_MODEL_NAME_BYTES) {
    throw new MalformedError('model name must be 1 to 512 bytes');
  }
  if (input.keyConfigs.length === 0 || input.keyConfigs.length > MAX_KEY_CONFIGS_BYTES) {
    throw new MalformedError('key configuration list has a bad size');
  }
  if (input.model.sha256.length !== 32) throw new MalformedError('model SHA-256 must be 32 bytes');
  if (input.releaseStatementSha256.length !== 32) {
    throw new MalformedError('release statement digest must be 32 bytes');
  }
  const { contextSize } = input.model;
  if (!Number.isInteger(contextSize) || contextSize <= 0 || contextSize > 0xffff_ffff) {
    throw new MalformedError('context size is out of range');
  }
  const ms = input.keyCreatedAt.getTime();
  if (!Number.isSafeInteger(ms) || ms < 0) throw new MalformedError('key time is out of range');
  return concat(
    utf8(REPORT_DATA_V2_LABEL),
    u32(input.keyConfigs.length),
    input.keyConfigs,
    u16(name.length),
    name,
    input.model.sha256,
    u32(contextSize),
    input.releaseStatementSha256,
    u64(ms),
  );
}

/** @throws MalformedError when a field is out of range. */
export function computeReportDataV2(input: ReportDataV2Input): Uint8Array {
  return sha512(reportDataV2Preimage(input));
}

/** Release statements for tests: a valid one and variations. */
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex, utf8 } from '../../src/bytes';
import {
  type ReleaseStatement,
  RELEASE_PREDICATE_TYPE,
  STATEMENT_TYPE,
} from '../../src/release/statement';

export const MODEL_SHA = sha256(utf8('stories260K.gguf'));
export const DEV_MEASUREMENT = 'ab'.repeat(48);
export const SNP_MEASUREMENT = 'cd'.repeat(48);

/** The built-in engine as `npm run release` names it (enclave/src/inference/engine-identity.ts). */
export const BUILT_IN_ENGINE = { name: 'node-llama-cpp', version: '3.22.1' };

export function statement(
  over: {
    version?: string;
    devMeasurement?: string;
    modelSha?: string;
    engine?: ReleaseStatement['predicate']['engine'] | null;
  } = {},
): ReleaseStatement {
  return {
    _type: STATEMENT_TYPE,
    subject: [
      { name: 'sotto-enclave-0.1.0.tar', digest: { sha256: toHex(sha256(utf8('artefact'))) } },
    ],
    predicateType: RELEASE_PREDICATE_TYPE,
    predicate: {
      version: over.version ?? '0.1.0',
      sourceCommit: '1'.repeat(40),
      sourceRepository: 'sotto-dev/sotto',
      enclaveCodeDigest: { sha384: DEV_MEASUREMENT },
      model: { name: 'stories260K', sha256: over.modelSha ?? toHex(MODEL_SHA), contextSize: 512 },
      ...(over.engine !== null && { engine: over.engine ?? BUILT_IN_ENGINE }),
      platforms: {
        'sev-snp': {
          measurements: [SNP_MEASUREMENT],
          minimumTcb: { bootloader: 3, tee: 0, snp: 8, microcode: 115 },
        },
        tdx: {
          measurements: [
            {
              mrtd: '01'.repeat(48),
              rtmr0: '02'.repeat(48),
              rtmr1: '03'.repeat(48),
              rtmr2: '04'.repeat(48),
            },
          ],
          allowedTcbStatuses: ['UpToDate'],
        },
        dev: { measurements: [over.devMeasurement ?? DEV_MEASUREMENT] },
      },
    },
  };
}

export function payload(s: ReleaseStatement = statement()): Uint8Array {
  return utf8(JSON.stringify(s));
}

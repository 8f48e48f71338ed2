/**
 * Enclave configuration, read once from the environment. Every value is checked
 * here so a bad setting stops the process at start with a message that says
 * which variable to fix.
 */
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { ConfigurationError } from '@sotto/protocol';

export type AttestationMode = 'dev' | 'tsm';

export interface EnclaveConfig {
  host: string;
  port: number;
  modelSpec: string;
  modelCacheDir: string;
  attestation: AttestationMode;
  dataDir: string;
  tsmPath: string;
  releaseId: string;
  /** SOTTO_RELEASE_BUNDLE / SOTTO_RELEASE_PUBLIC_KEY: the release this enclave serves (release.ts). */
  releaseBundlePath: string | undefined;
  releasePublicKeyPath: string | undefined;
  keyRotateMs: number;
  keyGraceMs: number;
  threads: number | undefined;
  sequences: number;
  queueLimit: number;
  maxBodyBytes: number;
}

const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses "250ms", "30s", "10m", "1h" or a bare number of seconds (as the relay does). */
export function parseDuration(name: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) throw new ConfigurationError(`${name} must be a duration like 30s, 10m or 1h`);
  const ms = Number(m[1]) * UNITS_MS[m[2] ?? 's']!;
  if (!(ms > 0)) throw new ConfigurationError(`${name} must be positive`);
  return ms;
}

function integer(name: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new ConfigurationError(`${name} must be an integer of at least ${min}`);
  }
  return n;
}

export const ENCLAVE_VERSION = '0.1.0';

/** @throws ConfigurationError naming the variable at fault. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): EnclaveConfig {
  const modelSpec = env.SOTTO_MODEL;
  if (!modelSpec) {
    throw new ConfigurationError(
      'SOTTO_MODEL is not set: point it at a local GGUF file (e.g. SOTTO_MODEL=../shared/models/stories260K.gguf) or an hf: URI',
    );
  }
  const attestation = (env.SOTTO_ATTESTATION ?? 'dev') as AttestationMode;
  if (attestation !== 'dev' && attestation !== 'tsm') {
    throw new ConfigurationError('SOTTO_ATTESTATION must be "dev" or "tsm"');
  }
  const dataDir = resolve(env.SOTTO_DATA_DIR ?? '.data/enclave');
  return {
    host: env.SOTTO_ENCLAVE_HOST ?? '127.0.0.1',
    port: integer('SOTTO_ENCLAVE_PORT', env.SOTTO_ENCLAVE_PORT, 8788, 0),
    modelSpec,
    modelCacheDir: resolve(env.SOTTO_MODEL_CACHE ?? resolve(dataDir, 'models')),
    attestation,
    dataDir,
    tsmPath: env.SOTTO_TSM_PATH ?? '/sys/kernel/config/tsm/report',
    releaseId: env.SOTTO_RELEASE_ID ?? `sotto-enclave/${ENCLAVE_VERSION}`,
    releaseBundlePath: env.SOTTO_RELEASE_BUNDLE ? resolve(env.SOTTO_RELEASE_BUNDLE) : undefined,
    releasePublicKeyPath: env.SOTTO_RELEASE_PUBLIC_KEY
      ? resolve(env.SOTTO_RELEASE_PUBLIC_KEY)
      : undefined,
    keyRotateMs: parseDuration('SOTTO_KEY_ROTATE', env.SOTTO_KEY_ROTATE ?? '1h'),
    keyGraceMs: parseDuration('SOTTO_KEY_GRACE', env.SOTTO_KEY_GRACE ?? '2m'),
    threads: env.SOTTO_THREADS ? integer('SOTTO_THREADS', env.SOTTO_THREADS, 1) : undefined,
    sequences: integer(
      'SOTTO_SEQUENCES',
      env.SOTTO_SEQUENCES,
      Math.min(4, Math.max(2, cpus().length)),
    ),
    queueLimit: integer('SOTTO_QUEUE_LIMIT', env.SOTTO_QUEUE_LIMIT, 32, 0),
    maxBodyBytes: integer('SOTTO_MAX_BODY_BYTES', env.SOTTO_MAX_BODY_BYTES, 4 * 1024 * 1024),
  };
}

/**
 * Enclave configuration, read once from the environment. Every value is checked
 * here so a bad setting stops the process at start with a message that says
 * which variable to fix.
 */
import { resolve } from 'node:path';
import { ConfigurationError, type ReleaseEngine } from '@sotto/protocol';
import {
  checkPacingSettings,
  DEFAULT_CADENCE_MS,
  DEFAULT_PAD_SLOTS,
  type PacingSettings,
} from './pacer';
import { parseEngineImage } from './inference/engine-identity';
import { parseEngineSetting } from './inference/openai-engine';
import { DEFAULT_TIMEOUTS, type RequestTimeouts } from './app';

export type AttestationMode = 'dev' | 'tsm';

export interface EnclaveConfig {
  host: string;
  port: number;
  modelSpec: string;
  modelCacheDir: string;
  attestation: AttestationMode;
  dataDir: string;
  tsmPath: string;
  /** TDX: the PCCS (or Intel PCS) base URL collateral is fetched from; default Intel PCS. */
  pccsUrl: string | undefined;
  releaseId: string;
  /** SOTTO_RELEASE_BUNDLE / SOTTO_RELEASE_PUBLIC_KEY: the release this enclave serves (release.ts). */
  releaseBundlePath: string | undefined;
  releasePublicKeyPath: string | undefined;
  keyRotateMs: number;
  keyGraceMs: number;
  threads: number | undefined;
  /** `SOTTO_ENGINE`: the built-in llama.cpp, or an OpenAI-compatible server in this VM. */
  engine: { kind: 'llama' } | { kind: 'openai'; baseUrl: string };
  /** `SOTTO_ENGINE_MODEL`: the model name the OpenAI-compatible server knows. */
  engineModel: string | undefined;
  /** `SOTTO_ENGINE_IMAGE`: that server's image, `NAME@sha256:…` (inference/engine-identity.ts). */
  engineImage: ReleaseEngine | undefined;
  /**
   * `SOTTO_CONTEXT`: tokens per sequence. Undefined: the model's trained size, capped by
   * memory (inference/capacity.ts). Carried in the evidence, so clients plan by it.
   */
  contextSize: number | undefined;
  /** Undefined: sized from the model and memory (inference/capacity.ts). */
  sequences: number | undefined;
  queueLimit: number | undefined;
  maxBodyBytes: number;
  /** Paced, padded answers (pacer.ts); undefined when `SOTTO_PACE=off` (the unpadded baseline). */
  pacing: PacingSettings | undefined;
  /** `SOTTO_LOG_DETAIL=1`: per-request sizes, token counts and timings in the log (debugging only). */
  logDetail: boolean;
  /** `SOTTO_HEADERS_TIMEOUT` / `SOTTO_BODY_TIMEOUT`: absolute request deadlines (app.ts). */
  timeouts: RequestTimeouts;
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
    pccsUrl: env.SOTTO_PCCS_URL || undefined,
    releaseId: env.SOTTO_RELEASE_ID ?? `sotto-enclave/${ENCLAVE_VERSION}`,
    releaseBundlePath: env.SOTTO_RELEASE_BUNDLE ? resolve(env.SOTTO_RELEASE_BUNDLE) : undefined,
    releasePublicKeyPath: env.SOTTO_RELEASE_PUBLIC_KEY
      ? resolve(env.SOTTO_RELEASE_PUBLIC_KEY)
      : undefined,
    keyRotateMs: parseDuration('SOTTO_KEY_ROTATE', env.SOTTO_KEY_ROTATE ?? '1h'),
    keyGraceMs: parseDuration('SOTTO_KEY_GRACE', env.SOTTO_KEY_GRACE ?? '2m'),
    engine: parseEngineSetting(env.SOTTO_ENGINE),
    engineModel: env.SOTTO_ENGINE_MODEL?.trim() || undefined,
    engineImage: env.SOTTO_ENGINE_IMAGE
      ? parseEngineImage('SOTTO_ENGINE_IMAGE', env.SOTTO_ENGINE_IMAGE)
      : undefined,
    threads: env.SOTTO_THREADS ? integer('SOTTO_THREADS', env.SOTTO_THREADS, 1) : undefined,
    contextSize: env.SOTTO_CONTEXT ? integer('SOTTO_CONTEXT', env.SOTTO_CONTEXT, 0, 64) : undefined,
    sequences: env.SOTTO_SEQUENCES ? integer('SOTTO_SEQUENCES', env.SOTTO_SEQUENCES, 1) : undefined,
    queueLimit: env.SOTTO_QUEUE_LIMIT
      ? integer('SOTTO_QUEUE_LIMIT', env.SOTTO_QUEUE_LIMIT, 0, 0)
      : undefined,
    maxBodyBytes: integer('SOTTO_MAX_BODY_BYTES', env.SOTTO_MAX_BODY_BYTES, 4 * 1024 * 1024),
    pacing: pacingFrom(env),
    logDetail: env.SOTTO_LOG_DETAIL === '1',
    timeouts: {
      headersMs: env.SOTTO_HEADERS_TIMEOUT
        ? parseDuration('SOTTO_HEADERS_TIMEOUT', env.SOTTO_HEADERS_TIMEOUT)
        : DEFAULT_TIMEOUTS.headersMs,
      bodyMs: env.SOTTO_BODY_TIMEOUT
        ? parseDuration('SOTTO_BODY_TIMEOUT', env.SOTTO_BODY_TIMEOUT)
        : DEFAULT_TIMEOUTS.bodyMs,
    },
  };
}

/** `SOTTO_PACE` = a cadence ("50ms", the default) or `off`; `SOTTO_PAD_SLOTS` = "512,1024,4096". */
function pacingFrom(env: NodeJS.ProcessEnv): PacingSettings | undefined {
  const pace = env.SOTTO_PACE ?? `${DEFAULT_CADENCE_MS}ms`;
  if (pace === 'off') return undefined;
  const slots = env.SOTTO_PAD_SLOTS
    ? env.SOTTO_PAD_SLOTS.split(',').map((v) => Number(v.trim()))
    : DEFAULT_PAD_SLOTS;
  try {
    return checkPacingSettings({ cadenceMs: parseDuration('SOTTO_PACE', pace), slotBytes: slots });
  } catch (e) {
    throw new ConfigurationError(`SOTTO_PACE / SOTTO_PAD_SLOTS: ${(e as Error).message}`);
  }
}

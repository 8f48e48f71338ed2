/**
 * Sync service configuration from the environment. Like the relay's, a value
 * that does not parse is refused at start. The database URL is never printed.
 */
import { join } from 'node:path';
import { parseDurationMs, type RateLimitConfig, RelayConfigError } from '../config';

export interface SyncConfig {
  readonly host: string;
  readonly port: number;
  /** PostgreSQL when set; otherwise the embedded store in `dataDir`. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  /** Largest sealed record accepted. */
  readonly maxRecordBytes: number;
  readonly maxRecordsPerAccount: number;
  /** Per account key (signed requests) and per address (pairing, before any key). */
  readonly rateLimit: RateLimitConfig | null;
  readonly pairingTtlMs: number;
}

export const DEFAULT_SYNC_PORT = 8789;
export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;
export const DEFAULT_MAX_RECORDS_PER_ACCOUNT = 200_000;
export const DEFAULT_SYNC_RATE = { burst: 200, refillPerSecond: 20 };
export const DEFAULT_PAIRING_TTL_MS = 10 * 60_000;

type Env = Readonly<Record<string, string | undefined>>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new RelayConfigError(`${name} must be a whole number`);
  const n = Number(raw);
  if (n < min || n > max) throw new RelayConfigError(`${name} must be between ${min} and ${max}`);
  return n;
}

function rate(env: Env): RateLimitConfig | null {
  const raw = env.SOTTO_SYNC_RATE_LIMIT?.trim();
  if (raw === undefined || raw === '') return DEFAULT_SYNC_RATE;
  if (raw === 'off') return null;
  const m = /^(\d+(?:\.\d+)?)\s*\/\s*(s|m)(?:\s*,\s*burst\s*=\s*(\d+))?$/.exec(raw);
  if (!m || !(Number(m[1]) > 0)) {
    throw new RelayConfigError('SOTTO_SYNC_RATE_LIMIT must look like 20/s,burst=200 or off');
  }
  return {
    refillPerSecond: Number(m[1]) / (m[2] === 's' ? 1 : 60),
    burst: m[3] === undefined ? DEFAULT_SYNC_RATE.burst : Math.max(1, Number(m[3])),
  };
}

/** @throws {RelayConfigError} a variable is set to a value that does not parse. */
export function loadSyncConfig(env: Env = process.env): SyncConfig {
  const url = env.DATABASE_URL?.trim();
  if (url && !/^postgres(ql)?:\/\//.test(url)) {
    throw new RelayConfigError('DATABASE_URL must be a postgres:// URL');
  }
  const ttl = env.SOTTO_PAIRING_TTL?.trim();
  return {
    host: env.SOTTO_SYNC_HOST?.trim() || '127.0.0.1',
    port: integer(env, 'SOTTO_SYNC_PORT', DEFAULT_SYNC_PORT, 0, 65535),
    databaseUrl: url || undefined,
    dataDir: env.SOTTO_SYNC_DATA_DIR?.trim() || join(env.SOTTO_DATA_DIR?.trim() || '.data', 'sync'),
    maxRecordBytes: integer(
      env,
      'SOTTO_SYNC_MAX_RECORD_BYTES',
      DEFAULT_MAX_RECORD_BYTES,
      256,
      64 << 20,
    ),
    maxRecordsPerAccount: integer(
      env,
      'SOTTO_SYNC_MAX_RECORDS',
      DEFAULT_MAX_RECORDS_PER_ACCOUNT,
      1,
      100_000_000,
    ),
    rateLimit: rate(env),
    pairingTtlMs: ttl ? parseDurationMs(ttl, 'SOTTO_PAIRING_TTL') : DEFAULT_PAIRING_TTL_MS,
  };
}

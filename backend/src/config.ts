/**
 * Relay configuration from the environment (issue 4, item 1). Every value has a
 * default that runs the local stack; a value that does not parse is refused at
 * start (fail closed) rather than replaced by a default.
 *
 * Durations take a unit: `500ms`, `30s`, `2m`; a bare number means seconds.
 */
import { isIP } from 'node:net';

export interface RateLimitConfig {
  /** Bucket size: requests a client may make at once. */
  readonly burst: number;
  /** Tokens added per second. */
  readonly refillPerSecond: number;
}

export interface RelayConfig {
  readonly host: string;
  readonly port: number;
  /** Enclave base URLs, in the order given (their index is what logs name). */
  readonly enclaves: readonly string[];
  readonly maxBodyBytes: number;
  /** `null` switches the limiter off (`SOTTO_RATE_LIMIT=off`). */
  readonly rateLimit: RateLimitConfig | null;
  /** Longest wait for an enclave's response headers with no request progress. */
  readonly upstreamTimeoutMs: number;
  /** Longest silence between chunks once a response has started. */
  readonly upstreamIdleTimeoutMs: number;
  readonly evidenceTtlMs: number;
  readonly healthIntervalMs: number;
  readonly healthTimeoutMs: number;
  /** `SOTTO_LOG_DETAIL=1`: exact sizes and timings on every request line (debugging only). */
  readonly logDetail: boolean;
  /** How often the aggregated `traffic` line is written (`SOTTO_TRAFFIC_LOG_INTERVAL`). */
  readonly trafficLogIntervalMs: number;
  /** Longest time a client may take to send its request headers, from the first byte (absolute). */
  readonly headersTimeoutMs: number;
  /** Longest time a client may take to send its whole body, from arrival (absolute, never reset). */
  readonly bodyTimeoutMs: number;
  /** Open connections one client address may hold; configured proxies are exempt. */
  readonly maxConnectionsPerClient: number;
  /** Addresses or CIDR ranges whose `Forwarded` / `X-Forwarded-For` is believed. */
  readonly trustedProxies: readonly string[];
  /** Relay processes sharing the port (`node:cluster`); 0 = one per core, 1 = in-process. */
  readonly workers: number;
}

export const DEFAULT_PORT = 8787;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_ENCLAVE = 'http://127.0.0.1:8788';
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
export const DEFAULT_TRAFFIC_LOG_INTERVAL_MS = 60_000;
export const DEFAULT_RATE_BURST = 100;
export const DEFAULT_RATE_PER_SECOND = 60;
export const DEFAULT_UPSTREAM_TIMEOUT_MS = 30_000;
export const DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS = 60_000;
export const DEFAULT_EVIDENCE_TTL_MS = 10_000;
export const DEFAULT_HEALTH_INTERVAL_MS = 5_000;
export const DEFAULT_HEALTH_TIMEOUT_MS = 2_000;
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
export const DEFAULT_BODY_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_CONNECTIONS_PER_CLIENT = 128;

/** A setting that does not parse. The message names the variable, never a secret. */
export class RelayConfigError extends Error {
  readonly code = 'CONFIGURATION' as const;
  constructor(message: string) {
    super(message);
    this.name = 'RelayConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new RelayConfigError(`${name} must be a whole number`);
  const n = Number(raw);
  if (n < min || n > max) throw new RelayConfigError(`${name} must be between ${min} and ${max}`);
  return n;
}

/** Parses `500ms`, `30s`, `2m` or a bare number of seconds into milliseconds. */
export function parseDurationMs(raw: string, name: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m)?$/.exec(raw.trim());
  if (!m) throw new RelayConfigError(`${name} must be a duration such as 500ms, 30s or 2m`);
  const unit = m[2] ?? 's';
  const ms = Number(m[1]) * (unit === 'ms' ? 1 : unit === 's' ? 1000 : 60_000);
  if (!Number.isFinite(ms) || ms < 1 || ms > 24 * 3600_000) {
    throw new RelayConfigError(`${name} is out of range`);
  }
  return Math.round(ms);
}

function duration(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  return parseDurationMs(raw, name);
}

/**
 * `SOTTO_RATE_LIMIT`: `off`, or `<rate>/<s|m>` with an optional `,burst=<n>`,
 * e.g. `60/s,burst=100` or `600/m`. `SOTTO_RATE_BURST` may set the burst alone.
 */
export function parseRateLimit(env: Env): RateLimitConfig | null {
  const raw = env.SOTTO_RATE_LIMIT?.trim();
  let refillPerSecond = DEFAULT_RATE_PER_SECOND;
  let burst = integer(env, 'SOTTO_RATE_BURST', DEFAULT_RATE_BURST, 1, 1_000_000);
  if (raw !== undefined && raw !== '') {
    if (raw === 'off') return null;
    const m = /^(\d+(?:\.\d+)?)\s*\/\s*(s|m|min)(?:\s*,\s*burst\s*=\s*(\d+))?$/.exec(raw);
    if (!m) throw new RelayConfigError('SOTTO_RATE_LIMIT must look like 60/s,burst=100 or off');
    refillPerSecond = Number(m[1]) / (m[2] === 's' ? 1 : 60);
    if (m[3] !== undefined) burst = Number(m[3]);
  }
  if (!(refillPerSecond > 0) || burst < 1) {
    throw new RelayConfigError('SOTTO_RATE_LIMIT must allow at least one request');
  }
  return { burst, refillPerSecond };
}

function enclaves(env: Env): string[] {
  const raw = env.SOTTO_ENCLAVES?.trim() || DEFAULT_ENCLAVE;
  const urls = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (urls.length === 0) throw new RelayConfigError('SOTTO_ENCLAVES names no enclave');
  return urls.map((u) => {
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      throw new RelayConfigError('SOTTO_ENCLAVES holds a value that is not a URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new RelayConfigError('SOTTO_ENCLAVES URLs must be http: or https:');
    }
    if (url.username || url.password || url.search || url.hash) {
      throw new RelayConfigError('SOTTO_ENCLAVES URLs must not carry credentials, query or hash');
    }
    return url.origin + url.pathname.replace(/\/+$/, '');
  });
}

/** `SOTTO_TRUSTED_PROXIES`: comma-separated IP addresses or CIDR ranges. */
function trustedProxies(env: Env): string[] {
  const entries = (env.SOTTO_TRUSTED_PROXIES ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const entry of entries) {
    const [address, prefix, extra] = entry.split('/');
    const family = isIP(address ?? '');
    const bits = prefix === undefined ? 0 : Number(prefix);
    const valid =
      family !== 0 &&
      extra === undefined &&
      (prefix === undefined || (/^\d{1,3}$/.test(prefix) && bits <= (family === 4 ? 32 : 128)));
    if (!valid) {
      throw new RelayConfigError('SOTTO_TRUSTED_PROXIES holds an entry that is not an IP or CIDR');
    }
  }
  return entries;
}

/**
 * Reads the relay's settings.
 * @throws {RelayConfigError} when a variable is set to a value that does not parse.
 */
export function loadConfig(env: Env = process.env): RelayConfig {
  return {
    host: env.SOTTO_RELAY_HOST?.trim() || DEFAULT_HOST,
    port: integer(env, 'SOTTO_RELAY_PORT', DEFAULT_PORT, 0, 65535),
    enclaves: enclaves(env),
    maxBodyBytes: integer(env, 'SOTTO_MAX_BODY_BYTES', DEFAULT_MAX_BODY_BYTES, 1, 2 ** 31),
    rateLimit: parseRateLimit(env),
    upstreamTimeoutMs: duration(env, 'SOTTO_UPSTREAM_TIMEOUT', DEFAULT_UPSTREAM_TIMEOUT_MS),
    upstreamIdleTimeoutMs: duration(
      env,
      'SOTTO_UPSTREAM_IDLE_TIMEOUT',
      DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS,
    ),
    evidenceTtlMs: duration(env, 'SOTTO_EVIDENCE_TTL', DEFAULT_EVIDENCE_TTL_MS),
    healthIntervalMs: duration(env, 'SOTTO_HEALTH_INTERVAL', DEFAULT_HEALTH_INTERVAL_MS),
    healthTimeoutMs: duration(env, 'SOTTO_HEALTH_TIMEOUT', DEFAULT_HEALTH_TIMEOUT_MS),
    logDetail: env.SOTTO_LOG_DETAIL === '1',
    trafficLogIntervalMs: duration(
      env,
      'SOTTO_TRAFFIC_LOG_INTERVAL',
      DEFAULT_TRAFFIC_LOG_INTERVAL_MS,
    ),
    headersTimeoutMs: duration(env, 'SOTTO_HEADERS_TIMEOUT', DEFAULT_HEADERS_TIMEOUT_MS),
    bodyTimeoutMs: duration(env, 'SOTTO_BODY_TIMEOUT', DEFAULT_BODY_TIMEOUT_MS),
    maxConnectionsPerClient: integer(
      env,
      'SOTTO_MAX_CONNECTIONS_PER_CLIENT',
      DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
      1,
      1_000_000,
    ),
    trustedProxies: trustedProxies(env),
    workers: integer(env, 'SOTTO_RELAY_WORKERS', 0, 0, 256),
  };
}

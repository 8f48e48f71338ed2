/** Relay settings from the environment, and the token bucket on a fixed clock. */
import { describe, expect, it } from 'vitest';
import { loadConfig, parseDurationMs, RelayConfigError } from '../src/config';
import { declaredLength, TokenBucketLimiter } from '../src/limits';

describe('loadConfig', () => {
  it('has defaults that run the local stack', () => {
    expect(loadConfig({})).toEqual({
      host: '127.0.0.1',
      port: 8787,
      enclaves: ['http://127.0.0.1:8788'],
      maxBodyBytes: 4 * 1024 * 1024,
      rateLimit: { burst: 100, refillPerSecond: 60 },
      upstreamTimeoutMs: 30_000,
      upstreamIdleTimeoutMs: 60_000,
      evidenceTtlMs: 10_000,
      healthIntervalMs: 5_000,
      healthTimeoutMs: 2_000,
      logDetail: false,
      trafficLogIntervalMs: 60_000,
      headersTimeoutMs: 10_000,
      bodyTimeoutMs: 60_000,
      maxConnectionsPerClient: 128,
      trustedProxies: [],
      workers: 0,
    });
  });

  it('reads every variable', () => {
    const c = loadConfig({
      SOTTO_RELAY_PORT: '9000',
      SOTTO_RELAY_HOST: '0.0.0.0',
      SOTTO_ENCLAVES: 'http://10.0.0.1:8788/, https://e2.example:443 ,',
      SOTTO_MAX_BODY_BYTES: '1024',
      SOTTO_RATE_LIMIT: '600/m,burst=20',
      SOTTO_UPSTREAM_TIMEOUT: '500ms',
      SOTTO_UPSTREAM_IDLE_TIMEOUT: '2m',
      SOTTO_EVIDENCE_TTL: '3',
      SOTTO_HEALTH_INTERVAL: '1s',
      SOTTO_HEALTH_TIMEOUT: '250ms',
      SOTTO_LOG_DETAIL: '1',
      SOTTO_TRAFFIC_LOG_INTERVAL: '5m',
      SOTTO_HEADERS_TIMEOUT: '2s',
      SOTTO_BODY_TIMEOUT: '20s',
      SOTTO_MAX_CONNECTIONS_PER_CLIENT: '8',
      SOTTO_TRUSTED_PROXIES: '10.0.0.0/8, 192.0.2.7 ,fd00::/8',
      SOTTO_RELAY_WORKERS: '4',
    });
    expect(c).toEqual({
      host: '0.0.0.0',
      port: 9000,
      enclaves: ['http://10.0.0.1:8788', 'https://e2.example'],
      maxBodyBytes: 1024,
      rateLimit: { burst: 20, refillPerSecond: 10 },
      upstreamTimeoutMs: 500,
      upstreamIdleTimeoutMs: 120_000,
      evidenceTtlMs: 3_000,
      healthIntervalMs: 1_000,
      healthTimeoutMs: 250,
      logDetail: true,
      trafficLogIntervalMs: 300_000,
      headersTimeoutMs: 2_000,
      bodyTimeoutMs: 20_000,
      maxConnectionsPerClient: 8,
      trustedProxies: ['10.0.0.0/8', '192.0.2.7', 'fd00::/8'],
      workers: 4,
    });
    expect(loadConfig({ SOTTO_RATE_LIMIT: 'off' }).rateLimit).toBeNull();
    expect(loadConfig({ SOTTO_RATE_BURST: '7' }).rateLimit).toEqual({
      burst: 7,
      refillPerSecond: 60,
    });
  });

  it.each([
    ['SOTTO_RELAY_PORT', '80000'],
    ['SOTTO_RELAY_PORT', 'eighty'],
    ['SOTTO_ENCLAVES', 'not a url'],
    ['SOTTO_ENCLAVES', 'ftp://x'],
    ['SOTTO_ENCLAVES', 'http://user:pw@x'],
    ['SOTTO_MAX_BODY_BYTES', '-1'],
    ['SOTTO_MAX_BODY_BYTES', '0'],
    ['SOTTO_RATE_LIMIT', 'lots'],
    ['SOTTO_RATE_LIMIT', '0/s'],
    ['SOTTO_UPSTREAM_TIMEOUT', '30 minutes'],
    ['SOTTO_UPSTREAM_TIMEOUT', '0'],
    ['SOTTO_TRUSTED_PROXIES', 'proxy.example'],
    ['SOTTO_TRUSTED_PROXIES', '10.0.0.0/33'],
    ['SOTTO_TRUSTED_PROXIES', '10.0.0.1/8/1'],
    ['SOTTO_MAX_CONNECTIONS_PER_CLIENT', '0'],
    ['SOTTO_RELAY_WORKERS', 'many'],
  ])('refuses %s=%s', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(RelayConfigError);
  });

  it('parses durations', () => {
    expect(parseDurationMs('1.5s', 'X')).toBe(1500);
    expect(parseDurationMs('10', 'X')).toBe(10_000);
  });
});

describe('TokenBucketLimiter', () => {
  it('allows a burst, then refills at the configured rate', () => {
    let now = 0;
    const limiter = new TokenBucketLimiter({ burst: 3, refillPerSecond: 0.5 }, () => now);
    for (let i = 0; i < 3; i++) expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 2 });
    expect(limiter.take('b').allowed).toBe(true); // per client
    now += 1_000;
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    now += 1_000;
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
  });

  it('forgets clients whose bucket has refilled', () => {
    let now = 0;
    const limiter = new TokenBucketLimiter({ burst: 2, refillPerSecond: 1 }, () => now);
    limiter.take('a');
    limiter.take('b');
    expect(limiter.size).toBe(2);
    now += 2_000;
    limiter.prune();
    expect(limiter.size).toBe(0);
  });

  it('parses Content-Length strictly', () => {
    expect(declaredLength(undefined)).toBeUndefined();
    expect(declaredLength('12')).toBe(12);
    expect(declaredLength('1e3')).toBeNaN();
  });
});

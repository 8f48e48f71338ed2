/**
 * Per-client token bucket and the request-body limit (issue 4, item 1).
 *
 * The bucket key is the socket's remote address. It lives in this map only,
 * in memory, and is dropped once its bucket has refilled; it is never logged
 * or written anywhere.
 */
import type { RateLimitConfig } from './config';

export interface TakeResult {
  readonly allowed: boolean;
  /** Whole seconds until a token is available (for `Retry-After`); 0 when allowed. */
  readonly retryAfterSeconds: number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/** Buckets kept at most; past this, full buckets are pruned first, then the oldest. */
const MAX_BUCKETS = 100_000;

export class TokenBucketLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #config: RateLimitConfig;
  readonly #now: () => number;

  constructor(config: RateLimitConfig, now: () => number = Date.now) {
    this.#config = config;
    this.#now = now;
  }

  /** Takes one token for `client`. */
  take(client: string): TakeResult {
    const now = this.#now();
    const { burst, refillPerSecond } = this.#config;
    let bucket = this.#buckets.get(client);
    if (!bucket) {
      if (this.#buckets.size >= MAX_BUCKETS) this.prune();
      bucket = { tokens: burst, updatedMs: now };
      this.#buckets.set(client, bucket);
    } else {
      const elapsed = Math.max(0, now - bucket.updatedMs) / 1000;
      bucket.tokens = Math.min(burst, bucket.tokens + elapsed * refillPerSecond);
      bucket.updatedMs = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, retryAfterSeconds: 0 };
    }
    const wait = (1 - bucket.tokens) / refillPerSecond;
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(wait)) };
  }

  /** Forgets clients whose bucket is full again (they would start full anyway). */
  prune(): void {
    const now = this.#now();
    const { burst, refillPerSecond } = this.#config;
    for (const [client, b] of this.#buckets) {
      const tokens = b.tokens + (Math.max(0, now - b.updatedMs) / 1000) * refillPerSecond;
      if (tokens >= burst) this.#buckets.delete(client);
    }
    // Still full of active clients: drop the oldest entries (Map keeps insertion order).
    for (const client of this.#buckets.keys()) {
      if (this.#buckets.size < MAX_BUCKETS) break;
      this.#buckets.delete(client);
    }
  }

  /** How many clients are held (for tests; no addresses are exposed). */
  get size(): number {
    return this.#buckets.size;
  }
}

/** Parses a `Content-Length` header; `undefined` when absent, `NaN` when malformed. */
export function declaredLength(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  return /^\d+$/.test(header.trim()) ? Number(header.trim()) : Number.NaN;
}

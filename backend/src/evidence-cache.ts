/**
 * Evidence pass-through cache (issue 4, item 1; DESIGN.md "Evidence bundle").
 *
 * One entry per enclave: the exact bytes the enclave served, kept for a short
 * TTL and handed out unchanged. A request for evidence goes round-robin to a
 * healthy enclave, so clients spread across enclaves; each client's requests
 * then reach the enclave holding its key through key-id routing (see pool.ts
 * and forward.ts). From the JSON the relay reads only the public key id (RFC 9458
 * §3.1): the first byte of v1's `keyConfig`, or of the first entry of v2's `keyConfigs`
 * (`application/ohttp-keys`, §3.2: a 2-byte length, then the config); the client
 * verifies everything else.
 */
import type { Enclave, EnclavePool } from './pool';
import { type Upstream, UpstreamConnectError, UpstreamTimeoutError } from './upstream';

/** Bundles are a few KiB; anything far larger is refused (same bound as protocol/evidence). */
export const MAX_EVIDENCE_BYTES = 64 * 1024;

export interface CachedEvidence {
  readonly enclave: Enclave;
  readonly body: Buffer;
  readonly keyId: number;
  readonly fetchedAtMs: number;
}

export type EvidenceResult =
  | { readonly kind: 'ok'; readonly evidence: CachedEvidence; readonly cached: boolean }
  | { readonly kind: 'unavailable' }
  | { readonly kind: 'bad_evidence' };

export interface EvidenceCacheOptions {
  readonly ttlMs: number;
  readonly timeoutMs: number;
  readonly now?: () => number;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The key id of a bundle (see the header); undefined if absent. */
export function keyIdOfEvidence(body: Buffer): number | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { keyConfig, keyConfigs } = parsed as { keyConfig?: unknown; keyConfigs?: unknown };
  if (typeof keyConfigs === 'string' && BASE64.test(keyConfigs)) {
    return Buffer.from(keyConfigs, 'base64')[2];
  }
  if (typeof keyConfig !== 'string' || !BASE64.test(keyConfig)) return undefined;
  return Buffer.from(keyConfig, 'base64')[0];
}

export class EvidenceCache {
  readonly #pool: EnclavePool;
  readonly #upstream: Upstream;
  readonly #options: EvidenceCacheOptions;
  readonly #now: () => number;
  readonly #entries = new Map<number, CachedEvidence>();
  readonly #inFlight = new Map<number, Promise<CachedEvidence | 'down' | 'bad'>>();

  constructor(pool: EnclavePool, upstream: Upstream, options: EvidenceCacheOptions) {
    this.#pool = pool;
    this.#upstream = upstream;
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Evidence from the next healthy enclave: cached bytes while younger than
   * the TTL (unless `fresh`), else fetched. A failing enclave is skipped.
   */
  async get(fresh: boolean): Promise<EvidenceResult> {
    let sawBad = false;
    const tried = new Set<number>();
    // Second round: every enclave that answered was marked down on the way, so
    // check the pool once more (one that came back since the last interval counts).
    for (let round = 0; round < 2; round++) {
      if (round === 1) await this.#pool.checkAll();
      for (const enclave of await this.#pool.healthyOrRecheck()) {
        if (tried.has(enclave.index)) continue;
        tried.add(enclave.index);
        const entry = this.#entries.get(enclave.index);
        if (!fresh && entry && this.#now() - entry.fetchedAtMs < this.#options.ttlMs) {
          return { kind: 'ok', evidence: entry, cached: true };
        }
        const got = await this.#fetchOnce(enclave);
        if (got === 'bad') sawBad = true;
        else if (got !== 'down') return { kind: 'ok', evidence: got, cached: false };
      }
    }
    return sawBad ? { kind: 'bad_evidence' } : { kind: 'unavailable' };
  }

  /** Drops an enclave's cached evidence (its key rotated, or it refused a key it had). */
  invalidate(enclave: Enclave): void {
    this.#entries.delete(enclave.index);
  }

  #fetchOnce(enclave: Enclave): Promise<CachedEvidence | 'down' | 'bad'> {
    let pending = this.#inFlight.get(enclave.index);
    if (!pending) {
      pending = this.#fetch(enclave).finally(() => this.#inFlight.delete(enclave.index));
      this.#inFlight.set(enclave.index, pending);
    }
    return pending;
  }

  async #fetch(enclave: Enclave): Promise<CachedEvidence | 'down' | 'bad'> {
    let res: Awaited<ReturnType<Upstream['get']>>;
    try {
      res = await this.#upstream.get(
        enclave.url,
        '/v1/evidence',
        this.#options.timeoutMs,
        MAX_EVIDENCE_BYTES,
      );
    } catch (err) {
      if (err instanceof UpstreamConnectError) this.#pool.markDown(enclave);
      if (err instanceof UpstreamConnectError || err instanceof UpstreamTimeoutError) return 'down';
      return 'bad';
    }
    if (res.status === 503) return 'down';
    const keyId = res.status === 200 ? keyIdOfEvidence(res.body) : undefined;
    if (keyId === undefined) return 'bad';
    const entry: CachedEvidence = { enclave, body: res.body, keyId, fetchedAtMs: this.#now() };
    this.#entries.set(enclave.index, entry);
    enclave.keyId = keyId;
    return entry;
  }
}

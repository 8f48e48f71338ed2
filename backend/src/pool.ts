/**
 * The enclave pool (issue 4, item 2): `SOTTO_ENCLAVES`, active health checks
 * (`GET /healthz` on an interval, short timeout), passive marking (a connection
 * error marks an enclave down until its next good check), round-robin among
 * the healthy, and the key-id map.
 *
 * Key ids: each enclave has its own OHTTP key. The relay learns which key id
 * (the first byte of the RFC 9458 §3.1 key config in the enclave's public
 * evidence) each enclave currently serves, so a request can be routed by the
 * key id in its first byte (RFC 9458 §4.3 / chunked OHTTP: the header opens
 * with the 1-byte key id, sent in the clear). Reading that byte is routing on
 * public metadata; nothing here can open a ciphertext.
 */
import type { LogSink } from './log';
import { logEvent } from './log';
import type { Upstream } from './upstream';

export interface Enclave {
  /** Position in `SOTTO_ENCLAVES`; what logs name. */
  readonly index: number;
  readonly url: string;
  healthy: boolean;
  /** Key ids of the enclave's current keys (one per KEM), learned from its evidence; empty until seen. */
  keyIds: readonly number[];
}

export interface EnclaveStatus {
  /** Position in `SOTTO_ENCLAVES`, as logs name it; never the URL (internal addresses). */
  readonly index: number;
  readonly healthy: boolean;
}

export interface PoolOptions {
  readonly healthIntervalMs: number;
  readonly healthTimeoutMs: number;
  readonly sink: LogSink;
}

/** A health answer is `{"ok":true}`: a few bytes. */
const MAX_HEALTH_BYTES = 4096;

export class EnclavePool {
  readonly enclaves: readonly Enclave[];
  readonly #upstream: Upstream;
  readonly #options: PoolOptions;
  #next = 0;
  #timer: NodeJS.Timeout | undefined;

  /** Enclaves start healthy (optimistic); {@link start} checks them before traffic. */
  constructor(urls: readonly string[], upstream: Upstream, options: PoolOptions) {
    this.enclaves = urls.map((url, index) => ({ index, url, healthy: true, keyIds: [] }));
    this.#upstream = upstream;
    this.#options = options;
  }

  /** Runs one check of every enclave, then keeps checking on the interval. */
  async start(): Promise<void> {
    await this.checkAll();
    this.startInterval();
  }

  /** Keeps checking on the interval, first check after one interval. */
  startInterval(): void {
    this.#timer ??= setInterval(() => void this.checkAll(), this.#options.healthIntervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #checking: Promise<void> | undefined;

  /** Checks every enclave once (`GET /healthz` → 200 is healthy); concurrent calls share one round. */
  checkAll(): Promise<void> {
    this.#checking ??= Promise.all(this.enclaves.map((e) => this.check(e))).then(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  /**
   * Like {@link healthy}, but when none of `among` is healthy, checks them all
   * once before giving up: an enclave marked down by one failed connection, or
   * one that came back since the last interval, is not refused for a whole
   * interval.
   */
  async healthyOrRecheck(among: readonly Enclave[] = this.enclaves): Promise<Enclave[]> {
    const up = this.healthy(among);
    if (up.length > 0) return up;
    await this.checkAll();
    return this.healthy(among);
  }

  async check(enclave: Enclave): Promise<boolean> {
    let ok = false;
    try {
      const res = await this.#upstream.get(
        enclave.url,
        '/healthz',
        this.#options.healthTimeoutMs,
        MAX_HEALTH_BYTES,
      );
      ok = res.status === 200;
    } catch {
      ok = false;
    }
    this.#set(enclave, ok);
    return ok;
  }

  readonly #rechecks = new Map<number, Promise<boolean>>();

  /**
   * Checks one enclave now (concurrent calls share one check). Used when a
   * connection that was open broke: that alone does not mark an enclave down,
   * since an enclave that refuses an upload early may close it; a failed check does.
   */
  recheck(enclave: Enclave): Promise<boolean> {
    let pending = this.#rechecks.get(enclave.index);
    if (!pending) {
      pending = this.check(enclave).finally(() => this.#rechecks.delete(enclave.index));
      this.#rechecks.set(enclave.index, pending);
    }
    return pending;
  }

  /** Passive marking: a connection to this enclave could not be opened. */
  markDown(enclave: Enclave): void {
    this.#set(enclave, false);
  }

  #set(enclave: Enclave, healthy: boolean): void {
    if (enclave.healthy === healthy) return;
    enclave.healthy = healthy;
    logEvent(this.#options.sink, 'enclave_health', { enclave: enclave.index, healthy });
  }

  /**
   * The healthy enclaves among `among` (default: all), rotated round-robin so
   * successive calls start at a different enclave.
   */
  healthy(among: readonly Enclave[] = this.enclaves): Enclave[] {
    const up = among.filter((e) => e.healthy);
    if (up.length === 0) return up;
    const start = this.#next++ % up.length;
    if (this.#next > 1e9) this.#next = 0;
    return [...up.slice(start), ...up.slice(0, start)];
  }

  /** Enclaves last seen serving `keyId` (healthy or not); two may collide on one id. */
  withKey(keyId: number): Enclave[] {
    return this.enclaves.filter((e) => e.keyIds.includes(keyId));
  }

  /** For the relay's `/healthz`: index and health only, nothing else. */
  status(): EnclaveStatus[] {
    return this.enclaves.map((e) => ({ index: e.index, healthy: e.healthy }));
  }
}

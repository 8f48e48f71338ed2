/**
 * The gateway's key ring (DESIGN.md, "Forward secrecy"): a fresh X25519 key pair at
 * boot and every rotation period, each with fresh evidence. The previous key keeps
 * working for a short grace window so requests sealed just before a rotation still
 * open; then its private key is overwritten and dropped.
 */
import { randomInt } from 'node:crypto';
import { encodeKeyConfig, type GatewayKey, generateKeyConfig } from '@sotto/protocol';

export interface RingKey {
  readonly gatewayKey: GatewayKey;
  /** RFC 9458 §3 encoding, as bound into REPORT_DATA. */
  readonly encodedConfig: Uint8Array;
  readonly createdAt: Date;
  /** The evidence bundle (JSON text) served for this key. */
  readonly evidence: string;
}

export interface KeyRingOptions {
  /** Builds the evidence for a new key; called before the key is used. */
  makeEvidence(encodedConfig: Uint8Array, createdAt: Date): Promise<string>;
  now?: () => Date;
  onRotate?: (current: RingKey) => void;
}

export class KeyRing {
  #current: RingKey;
  #previous: RingKey | undefined;
  #nextId: number;
  readonly #options: KeyRingOptions;
  #rotateTimer: NodeJS.Timeout | undefined;
  #graceTimer: NodeJS.Timeout | undefined;
  #stopped = false;

  private constructor(first: RingKey, nextId: number, options: KeyRingOptions) {
    this.#current = first;
    this.#nextId = nextId;
    this.#options = options;
  }

  static async create(options: KeyRingOptions): Promise<KeyRing> {
    const firstId = randomInt(256);
    const first = await KeyRing.#make(firstId, options);
    return new KeyRing(first, (firstId + 1) % 256, options);
  }

  static async #make(keyId: number, options: KeyRingOptions): Promise<RingKey> {
    const gatewayKey = generateKeyConfig(keyId);
    const encodedConfig = encodeKeyConfig(gatewayKey.config);
    const createdAt = (options.now ?? (() => new Date()))();
    const evidence = await options.makeEvidence(encodedConfig, createdAt);
    return { gatewayKey, encodedConfig, createdAt, evidence };
  }

  get current(): RingKey {
    return this.#current;
  }

  /** The key for an incoming request: the current one, or the previous one during its grace window. */
  lookup = (keyId: number): GatewayKey | undefined => {
    if (this.#current.gatewayKey.config.keyId === keyId) return this.#current.gatewayKey;
    if (this.#previous?.gatewayKey.config.keyId === keyId) return this.#previous.gatewayKey;
    return undefined;
  };

  /** Makes a new current key; the old one stays usable until {@link expirePrevious}. */
  async rotate(): Promise<RingKey> {
    const next = await KeyRing.#make(this.#nextId, this.#options);
    this.#nextId = (this.#nextId + 1) % 256;
    this.expirePrevious();
    this.#previous = this.#current;
    this.#current = next;
    this.#options.onRotate?.(next);
    return next;
  }

  /** Erases the previous key's private bytes and forgets it. */
  expirePrevious(): void {
    if (!this.#previous) return;
    this.#previous.gatewayKey.privateKey.erase();
    this.#previous = undefined;
  }

  /** Rotates every `rotateMs`, erasing each previous key `graceMs` after its successor arrived. */
  start(rotateMs: number, graceMs: number, onError: (e: unknown) => void): void {
    const schedule = () => {
      if (this.#stopped) return;
      this.#rotateTimer = setTimeout(() => {
        this.rotate()
          .then(() => {
            clearTimeout(this.#graceTimer);
            this.#graceTimer = setTimeout(() => this.expirePrevious(), graceMs);
            this.#graceTimer.unref();
          })
          .catch(onError)
          .finally(schedule);
      }, rotateMs);
      this.#rotateTimer.unref();
    };
    schedule();
  }

  /** Stops rotating and erases every private key. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#rotateTimer);
    clearTimeout(this.#graceTimer);
    this.expirePrevious();
    this.#current.gatewayKey.privateKey.erase();
  }
}

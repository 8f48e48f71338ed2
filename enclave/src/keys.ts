/**
 * The gateway's key ring (DESIGN.md, "Forward secrecy" and "Post-quantum"): at boot
 * and every rotation period, one fresh key per KEM (X-Wing first, then X25519),
 * published together as one RFC 9458 §3.2 `application/ohttp-keys` list with fresh
 * evidence binding that list. The previous generation keeps working for a short
 * grace window so requests sealed just before a rotation still open; then its
 * private keys are erased (non-extractable or zeroed; see protocol's RecipientKey)
 * and dropped.
 */
import { randomInt } from 'node:crypto';
import {
  encodeKeyConfigList,
  type GatewayKey,
  generateKeyConfig,
  KEM_X25519_HKDF_SHA256,
  KEM_XWING,
  type KemId,
} from '@sotto/protocol';

/** The KEMs of every generation, in the order the list offers them. */
export const RING_KEMS: readonly KemId[] = [KEM_XWING, KEM_X25519_HKDF_SHA256];

/** One generation of keys: one per KEM, made, attested and retired together. */
export interface RingKey {
  /** One key per entry of {@link RING_KEMS}, same order; key ids are distinct. */
  readonly gatewayKeys: readonly GatewayKey[];
  /** RFC 9458 §3.2 encoding of their configs, as bound into REPORT_DATA. */
  readonly encodedConfigs: Uint8Array;
  readonly createdAt: Date;
  /** The evidence bundle (JSON text) served for these keys. */
  readonly evidence: string;
}

export interface KeyRingOptions {
  /** Builds the evidence for a new generation; called before its keys are used. */
  makeEvidence(encodedConfigs: Uint8Array, createdAt: Date): Promise<string>;
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
    return new KeyRing(first, (firstId + RING_KEMS.length) % 256, options);
  }

  /** Key ids `firstId`, `firstId + 1`, … (mod 256): one per KEM, never shared across KEMs. */
  static async #make(firstId: number, options: KeyRingOptions): Promise<RingKey> {
    const gatewayKeys = RING_KEMS.map((kemId, i) =>
      generateKeyConfig((firstId + i) % 256, undefined, kemId),
    );
    const encodedConfigs = encodeKeyConfigList(gatewayKeys.map((k) => k.config));
    const createdAt = (options.now ?? (() => new Date()))();
    const evidence = await options.makeEvidence(encodedConfigs, createdAt);
    return { gatewayKeys, encodedConfigs, createdAt, evidence };
  }

  get current(): RingKey {
    return this.#current;
  }

  /** Key ids of the current generation, in list order (for logs). */
  get currentKeyIds(): number[] {
    return this.#current.gatewayKeys.map((k) => k.config.keyId);
  }

  /** The key for an incoming request: a current one, or a previous one during its grace window. */
  lookup = (keyId: number): GatewayKey | undefined =>
    this.#current.gatewayKeys.find((k) => k.config.keyId === keyId) ??
    this.#previous?.gatewayKeys.find((k) => k.config.keyId === keyId);

  /** Makes a new current generation; the old one stays usable until {@link expirePrevious}. */
  async rotate(): Promise<RingKey> {
    const next = await KeyRing.#make(this.#nextId, this.#options);
    this.#nextId = (this.#nextId + RING_KEMS.length) % 256;
    this.expirePrevious();
    this.#previous = this.#current;
    this.#current = next;
    this.#options.onRotate?.(next);
    return next;
  }

  /** Erases the previous generation's private keys and forgets them. */
  expirePrevious(): void {
    if (!this.#previous) return;
    for (const k of this.#previous.gatewayKeys) k.privateKey.erase();
    this.#previous = undefined;
  }

  /** Rotates every `rotateMs`, erasing each previous generation `graceMs` after its successor arrived. */
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
    for (const k of this.#current.gatewayKeys) k.privateKey.erase();
  }
}

/**
 * Admission at the door: how many OHTTP requests the enclave holds at once,
 * counted the moment a request arrives, before its body is read.
 *
 * The engine admits `sequences` generations plus `queueLimit` waiting ones,
 * but it only sees a request after the gateway has read and opened it. Under
 * a burst every request would pass a check made on the engine's counters at
 * arrival, and the overflow would then be refused by the engine inside the
 * sealed response: an inner 503 the relay cannot see, so it cannot send the
 * request elsewhere. Counting here instead, a request that does not fit gets
 * an outer `503` with `Retry-After` at once (gateway tier of RFC 9458 §5.2),
 * and every request that is admitted is guaranteed a place in the engine.
 */

export interface AdmissionTicket {
  /** Gives the place back. Idempotent. */
  leave(): void;
}

export class Admission {
  readonly limit: number;
  #held = 0;

  /** @param limit requests held at once (`sequences + queueLimit`). */
  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('admission limit must be ≥ 1');
    this.limit = limit;
  }

  /** Requests held now. */
  get held(): number {
    return this.#held;
  }

  /** A place, or `undefined` when all are taken (answer 503 + Retry-After). */
  tryEnter(): AdmissionTicket | undefined {
    if (this.#held >= this.limit) return undefined;
    this.#held++;
    let left = false;
    return {
      leave: () => {
        if (left) return;
        left = true;
        this.#held--;
      },
    };
  }
}

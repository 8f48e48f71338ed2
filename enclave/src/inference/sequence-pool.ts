/**
 * A fixed set of context sequences (parallel requests) with a bounded FIFO wait queue.
 *
 * Sequences live as long as the engine and keep their KV cache between requests, so a free
 * sequence is chosen by the longest common token prefix with the new prompt (the follow-up turn
 * of a conversation lands where its history is cached); ties go to the least recently used
 * sequence, so a recent conversation's cache is the last to be overwritten.
 *
 * Cache scope (issue 13, DESIGN.md "Traffic analysis"): a cached prefix is reused only by a
 * request that carries the same `cacheId` as the request that left it — a random id the client
 * chooses per conversation and sends inside the sealed request. Otherwise the lease says
 * `reuse: false` and the sequence is cleared before use, so no request is ever faster because
 * someone else sent the same prefix (a timing side channel between users otherwise: two
 * requests sharing a 451-token prefix were "1 of 452 evaluated"). A request without an id
 * never reuses, and never leaves a prefix for others. Admission is
 * decided synchronously: a request either gets a sequence, joins the queue, or is refused with
 * `BusyError` at once.
 */
import { BusyError } from '@sotto/protocol';
import type { LlamaContextSequence, Token } from 'node-llama-cpp';

export interface Lease {
  readonly sequence: LlamaContextSequence;
  /** True when the sequence's cached tokens were left by a request with the same cache id. */
  readonly reuse: boolean;
  /** Returns the sequence to the pool (or hands it to the next waiter). Idempotent. */
  release(): void;
}

/** Thrown to a queued request whose signal aborted before it got a sequence. */
export class AbortedWhileQueued extends Error {}

interface Slot {
  sequence: LlamaContextSequence;
  busy: boolean;
  lastUsed: number;
  /** Cache id of the request whose tokens the sequence holds; undefined: nobody may reuse them. */
  cacheId: string | undefined;
}

interface Waiter {
  cacheId: string | undefined;
  resolve(lease: Lease): void;
  reject(error: unknown): void;
  detach(): void;
}

export class SequencePool {
  private readonly slots: Slot[];
  private readonly waiters: Waiter[] = [];
  private clock = 0;
  private closed = false;

  constructor(
    sequences: readonly LlamaContextSequence[],
    private readonly queueLimit: number,
    private readonly retryAfterSeconds: number,
  ) {
    this.slots = sequences.map((sequence) => ({
      sequence,
      busy: false,
      lastUsed: 0,
      cacheId: undefined,
    }));
  }

  /** Sequences generating now. */
  get busy(): number {
    return this.slots.filter((s) => s.busy).length;
  }

  /** Requests waiting for a sequence. */
  get queued(): number {
    return this.waiters.length;
  }

  /**
   * Claims the free sequence that shares the longest prefix with `tokens`, or waits in line.
   * The decision is made before this returns: by then the request holds a sequence, is queued,
   * or has been refused.
   *
   * @throws BusyError (synchronously) when every sequence is busy and the queue is full, or the
   *   pool is closed.
   * @throws AbortedWhileQueued (as a rejection) when `signal` aborts while waiting.
   */
  acquire(tokens: readonly Token[], signal: AbortSignal, cacheId?: string): Promise<Lease> {
    if (this.closed)
      throw new BusyError('inference engine is shutting down', this.retryAfterSeconds);
    const slot = this.bestFreeSlot(tokens, cacheId);
    if (slot) return Promise.resolve(this.lease(slot, cacheId));
    if (this.waiters.length >= this.queueLimit) {
      throw new BusyError(
        `all ${this.slots.length} sequences busy and ${this.queueLimit} requests waiting`,
        this.retryAfterSeconds,
      );
    }
    return new Promise<Lease>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.waiters.indexOf(waiter);
        if (index !== -1) this.waiters.splice(index, 1);
        reject(new AbortedWhileQueued('request aborted while queued'));
      };
      const waiter: Waiter = {
        cacheId,
        resolve,
        reject,
        detach: () => signal.removeEventListener('abort', onAbort),
      };
      this.waiters.push(waiter);
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) onAbort();
    });
  }

  /** Refuses new requests and fails every queued one with `reason`. */
  close(reason: unknown): void {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) {
      waiter.detach();
      waiter.reject(reason);
    }
  }

  private bestFreeSlot(tokens: readonly Token[], cacheId: string | undefined): Slot | undefined {
    let best: Slot | undefined;
    let bestShared = -1;
    for (const slot of this.slots) {
      if (slot.busy) continue;
      const shared =
        cacheId !== undefined && slot.cacheId === cacheId
          ? slot.sequence.compareContextTokens(tokens as Token[]).firstDifferentIndex
          : 0;
      if (shared > bestShared || (shared === bestShared && best && slot.lastUsed < best.lastUsed)) {
        best = slot;
        bestShared = shared;
      }
    }
    return best;
  }

  private lease(slot: Slot, cacheId: string | undefined): Lease {
    slot.busy = true;
    slot.lastUsed = ++this.clock;
    const reuse = cacheId !== undefined && slot.cacheId === cacheId;
    slot.cacheId = cacheId;
    let released = false;
    return {
      sequence: slot.sequence,
      reuse,
      release: () => {
        if (released) return;
        released = true;
        slot.lastUsed = ++this.clock;
        const next = this.waiters.shift();
        if (next) {
          next.detach();
          next.resolve(this.lease(slot, next.cacheId));
        } else {
          slot.busy = false;
        }
      },
    };
  }
}

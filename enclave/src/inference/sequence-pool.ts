/**
 * A fixed set of context sequences (parallel requests) with a bounded FIFO wait queue.
 *
 * Sequences live as long as the engine and keep their KV cache between requests, so a free
 * sequence is chosen by the longest common token prefix with the new prompt (the follow-up turn
 * of a conversation lands where its history is cached); ties go to the least recently used
 * sequence, so a recent conversation's cache is the last to be overwritten. Admission is
 * decided synchronously: a request either gets a sequence, joins the queue, or is refused with
 * `BusyError` at once.
 */
import { BusyError } from '@sotto/protocol';
import type { LlamaContextSequence, Token } from 'node-llama-cpp';

export interface Lease {
  readonly sequence: LlamaContextSequence;
  /** Returns the sequence to the pool (or hands it to the next waiter). Idempotent. */
  release(): void;
}

/** Thrown to a queued request whose signal aborted before it got a sequence. */
export class AbortedWhileQueued extends Error {}

interface Slot {
  sequence: LlamaContextSequence;
  busy: boolean;
  lastUsed: number;
}

interface Waiter {
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
    this.slots = sequences.map((sequence) => ({ sequence, busy: false, lastUsed: 0 }));
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
  acquire(tokens: readonly Token[], signal: AbortSignal): Promise<Lease> {
    if (this.closed)
      throw new BusyError('inference engine is shutting down', this.retryAfterSeconds);
    const slot = this.bestFreeSlot(tokens);
    if (slot) return Promise.resolve(this.lease(slot));
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

  private bestFreeSlot(tokens: readonly Token[]): Slot | undefined {
    let best: Slot | undefined;
    let bestShared = -1;
    for (const slot of this.slots) {
      if (slot.busy) continue;
      const shared = slot.sequence.compareContextTokens(tokens as Token[]).firstDifferentIndex;
      if (shared > bestShared || (shared === bestShared && best && slot.lastUsed < best.lastUsed)) {
        best = slot;
        bestShared = shared;
      }
    }
    return best;
  }

  private lease(slot: Slot): Lease {
    slot.busy = true;
    slot.lastUsed = ++this.clock;
    let released = false;
    return {
      sequence: slot.sequence,
      release: () => {
        if (released) return;
        released = true;
        slot.lastUsed = ++this.clock;
        const next = this.waiters.shift();
        if (next) {
          next.detach();
          next.resolve(this.lease(slot));
        } else {
          slot.busy = false;
        }
      },
    };
  }
}

/**
 * Token batching (DESIGN.md: "one sealed chunk per token batch"): generation never
 * waits for sealing. While one sealed write is in flight, new events collect and
 * go out together as the next chunk, so a fast model makes fewer, larger chunks
 * and a slow one still sends each token the moment it exists. With pacing (pacer.ts) a
 * write resolves at the next tick, so everything made in one interval becomes one chunk;
 * `merge` lets the caller fold a batch (e.g. consecutive text deltas into one event).
 */
import { concat } from '@sotto/protocol';

export class TokenBatcher<T = Uint8Array> {
  #pending: T[] = [];
  #inflight: Promise<void> | undefined;
  readonly #write: (bytes: Uint8Array) => Promise<void>;
  readonly #merge: (items: T[]) => Uint8Array;

  constructor(
    write: (bytes: Uint8Array) => Promise<void>,
    merge: (items: T[]) => Uint8Array = (items) => concat(...(items as Uint8Array[])),
  ) {
    this.#write = write;
    this.#merge = merge;
  }

  /** Queues items (together); sends at once when nothing is in flight. */
  push(...items: T[]): void {
    this.#pending.push(...items);
    if (!this.#inflight) this.#flush();
  }

  #flush(): void {
    const data = this.#merge(this.#pending);
    this.#pending = [];
    this.#inflight = this.#write(data).then(() => {
      this.#inflight = undefined;
      if (this.#pending.length > 0) this.#flush();
    });
  }

  /** Resolves once everything pushed so far has been written. */
  async drain(): Promise<void> {
    while (this.#inflight) await this.#inflight;
  }
}

/**
 * Token batching (DESIGN.md: "one sealed chunk per token batch"): generation never
 * waits for sealing. While one sealed write is in flight, new events collect and
 * go out together as the next chunk, so a fast model makes fewer, larger chunks
 * and a slow one still sends each token the moment it exists.
 */
import { concat } from '@sotto/protocol';

export class TokenBatcher {
  #pending: Uint8Array[] = [];
  #inflight: Promise<void> | undefined;
  readonly #write: (bytes: Uint8Array) => Promise<void>;

  constructor(write: (bytes: Uint8Array) => Promise<void>) {
    this.#write = write;
  }

  /** Queues bytes; sends at once when nothing is in flight. */
  push(bytes: Uint8Array): void {
    this.#pending.push(bytes);
    if (!this.#inflight) this.#flush();
  }

  #flush(): void {
    const data = concat(...this.#pending);
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

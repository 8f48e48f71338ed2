/**
 * Reads a client's request body once and forwards it to whichever upstream
 * request is attached, with backpressure, counting bytes against the limit.
 *
 * Until the enclave's response has started, the bytes already forwarded are
 * kept (bounded by the body limit) so that a retry on another enclave can
 * replay them; {@link BodyTap.commit} drops them. This is a replay copy, not a
 * buffer in the path: each chunk is written upstream as soon as it arrives.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Writable } from 'node:stream';

export interface BodyTapEvents {
  /** Some bytes arrived (resets the timeouts). */
  progress: [];
  /** The body went over the limit; reading has stopped. */
  over: [];
  /** The client went away before its body ended. */
  aborted: [];
  /** The body ended (the upstream, if any, has been ended too). */
  end: [];
  /** The caller gave up waiting for the first byte. */
  stalled: [];
  /** The body was not complete by its absolute deadline; reading has stopped. */
  expired: [];
}

export type FirstByte =
  | { readonly kind: 'byte'; readonly value: number }
  | { readonly kind: 'empty' }
  | { readonly kind: 'over' }
  | { readonly kind: 'aborted' }
  | { readonly kind: 'expired' }
  | { readonly kind: 'stalled' };

export class BodyTap extends EventEmitter<BodyTapEvents> {
  bytes = 0;
  ended = false;
  failed: 'over' | 'aborted' | 'expired' | undefined;
  readonly #req: IncomingMessage;
  readonly #maxBytes: number;
  #replay: Buffer[] | null = [];
  #sink: Writable | null = null;
  #discarding = false;
  #onDrain = () => this.#req.resume();

  constructor(req: IncomingMessage, maxBytes: number) {
    super();
    this.#req = req;
    this.#maxBytes = maxBytes;
    req.on('data', (chunk: Buffer) => this.#data(chunk));
    req.on('end', () => {
      this.ended = true;
      this.#sink?.end();
      this.emit('end');
    });
    req.on('close', () => {
      if (!this.ended && !this.failed) {
        this.failed = 'aborted';
        this.emit('aborted');
      }
    });
  }

  /** Resolves with the body's first byte (the OHTTP key id), or why there is none. */
  firstByte(): Promise<FirstByte> {
    return new Promise((resolve) => {
      const settle = (stalled = false) => {
        this.off('progress', onEvent);
        this.off('end', onEvent);
        this.off('over', onEvent);
        this.off('aborted', onEvent);
        this.off('expired', onEvent);
        this.off('stalled', onStall);
        const first = this.#replay?.[0]?.[0];
        if (first !== undefined) resolve({ kind: 'byte', value: first });
        else if (this.failed) resolve({ kind: this.failed });
        else if (stalled && !this.ended) resolve({ kind: 'stalled' });
        else resolve({ kind: 'empty' });
      };
      const onEvent = () => settle();
      const onStall = () => settle(true);
      if (this.bytes > 0 || this.ended || this.failed) return settle();
      this.on('progress', onEvent);
      this.on('end', onEvent);
      this.on('over', onEvent);
      this.on('aborted', onEvent);
      this.on('expired', onEvent);
      this.on('stalled', onStall);
    });
  }

  /**
   * The body's absolute deadline passed (a client trickling one byte at a time
   * is not waited on forever): stops reading, unless the body has ended.
   */
  expire(): void {
    if (this.ended || this.failed) return;
    this.failed = 'expired';
    this.#req.pause();
    this.detach();
    this.emit('expired');
  }

  /** Makes a pending {@link firstByte} give up (the caller's timeout). */
  stall(): void {
    this.emit('stalled');
  }

  #data(chunk: Buffer): void {
    if (this.failed || this.#discarding) return;
    this.bytes += chunk.length;
    if (this.bytes > this.#maxBytes) {
      this.failed = 'over';
      this.#req.pause();
      this.detach();
      this.emit('over');
      return;
    }
    this.#replay?.push(chunk);
    const sink = this.#sink;
    if (sink && !sink.destroyed) {
      if (!sink.write(chunk)) {
        this.#req.pause();
        sink.once('drain', this.#onDrain);
      }
    } else {
      // No upstream at the moment (before the first, between retries): hold it.
      this.#req.pause();
    }
    this.emit('progress');
  }

  /** Sends the kept bytes to `sink`, then forwards the rest as it arrives. */
  attach(sink: Writable): void {
    this.detach();
    this.#sink = sink;
    let ok = true;
    for (const chunk of this.#replay ?? []) ok = sink.write(chunk) && ok;
    if (this.ended) sink.end();
    else if (ok) this.#req.resume();
    else sink.once('drain', this.#onDrain);
  }

  /** Stops forwarding to the current upstream (it failed); reading pauses. */
  detach(): void {
    this.#sink?.off('drain', this.#onDrain);
    this.#sink = null;
    if (!this.ended) this.#req.pause();
  }

  /**
   * The relay has answered on its own: forward nothing more and keep no
   * replay copy; whoever drains the rest of the body (respond.ts) reads it.
   */
  discard(): void {
    this.detach();
    this.#replay = null;
    this.#discarding = true;
  }

  /**
   * The response has started: no retry can happen now, so the replay copy is
   * dropped.
   */
  commit(): void {
    this.#replay = null;
  }
}

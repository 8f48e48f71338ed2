/**
 * Streaming decoder for a Binary HTTP response (RFC 9292 §3.5), built for
 * indeterminate-length responses (framing 3) whose content arrives chunk by
 * chunk (RFC 9292 §3.7); known-length responses (framing 1) are accepted too.
 * The head resolves as soon as it is parsed and content flows on as it
 * arrives, never waiting for the end of the message.
 *
 * A message that ends where RFC 9292 §3.8 allows (after the header section
 * or after the content) is complete unless `allowTruncation: false`; one that
 * ends anywhere else errors with `TruncatedStreamError`. The body closes only once the whole message,
 * padding included, has been read and found valid.
 */

import { isBytes } from '../bytes';
import { isSottoError, MalformedError, type SottoError, TruncatedStreamError } from '../errors';
import type { BhttpDecodeOptions } from './decode';
import { resolveLimits } from './limits';
import { parseMessage } from './parser';
import type { BhttpField, BhttpInformational } from './types';

export interface BhttpStreamedResponse {
  informational: BhttpInformational[];
  status: number;
  headers: BhttpField[];
  /** Content as it arrives. Errors with the decoder's error if the message turns out bad. */
  body: ReadableStream<Uint8Array>;
  /** Resolves once the whole message has been read; read `body` to its end first. */
  trailers: Promise<BhttpField[]>;
}

/** Buffers input chunks and serves the parser's byte requests from them. */
class StreamInput {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private eof = false;
  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  private async pull(): Promise<boolean> {
    if (this.eof) return false;
    let r: ReadableStreamReadResult<Uint8Array>;
    try {
      r = await this.reader.read();
    } catch (cause) {
      if (isSottoError(cause)) throw cause;
      throw new TruncatedStreamError('bhttp: input stream failed', { cause });
    }
    if (r.done) {
      this.eof = true;
      return false;
    }
    if (!isBytes(r.value)) throw new MalformedError('bhttp: input chunk is not bytes');
    if (r.value.length > 0) {
      this.chunks.push(r.value);
      this.buffered += r.value.length;
    }
    return true;
  }

  private truncated(): TruncatedStreamError {
    return new TruncatedStreamError('bhttp: stream ended mid-message');
  }

  /** Exactly `n` bytes; `n` has been checked against the limits by the parser. */
  async exact(n: number): Promise<Uint8Array> {
    while (this.buffered < n) if (!(await this.pull())) throw this.truncated();
    return this.take(n);
  }

  /** 1..`max` bytes from what is buffered, waiting for one chunk if none is. */
  async some(max: number): Promise<Uint8Array> {
    while (this.buffered === 0) if (!(await this.pull())) throw this.truncated();
    return this.take(Math.min(max, this.chunks[0]!.length));
  }

  async atEnd(): Promise<boolean> {
    while (this.buffered === 0) if (!(await this.pull())) return true;
    return false;
  }

  /** Removes `n` buffered bytes (n <= buffered) into a fresh array. */
  private take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let o = 0;
    while (o < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - o);
      out.set(c.subarray(0, k), o);
      o += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.buffered -= n;
    return out;
  }

  cancel(reason: unknown): void {
    this.reader.cancel(reason).catch(() => {});
  }
}

/**
 * Decodes a response from a byte stream fragmented in any way. Resolves
 * with the final head once it is parsed; the body streams on.
 * @throws {TruncatedStreamError} (rejects, or errors `body`/`trailers`) if the input ends mid-message or fails.
 * @throws {MalformedError} invalid message, or a request.
 * @throws {LimitExceededError} a length or count over `options.limits`.
 * @throws {UnsupportedError} an unknown framing indicator.
 * @throws {ConfigurationError} invalid `options.limits`.
 */
export async function decodeResponseStream(
  input: ReadableStream<Uint8Array>,
  options?: BhttpDecodeOptions,
): Promise<BhttpStreamedResponse> {
  const limits = resolveLimits(options?.limits);
  let reader: ReadableStreamDefaultReader<Uint8Array>;
  try {
    reader = input.getReader();
  } catch (cause) {
    throw new MalformedError('bhttp: input is not an unlocked readable stream', { cause });
  }
  const src = new StreamInput(reader);
  const parser = parseMessage(limits, 'response', options?.allowTruncation ?? true);

  return new Promise<BhttpStreamedResponse>((resolveHead, rejectHead) => {
    let headSent = false;
    let cancelled = false;
    let wake: (() => void) | undefined;
    let bodyController!: ReadableStreamDefaultController<Uint8Array>;
    let settleTrailers!: { ok: (t: BhttpField[]) => void; fail: (e: unknown) => void };
    const trailers = new Promise<BhttpField[]>((ok, fail) => {
      settleTrailers = { ok, fail };
    });
    trailers.catch(() => {}); // the caller may never look; the body carries the error too
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        bodyController = c;
      },
      pull() {
        const w = wake;
        wake = undefined;
        w?.();
      },
      cancel(reason) {
        cancelled = true;
        src.cancel(reason);
        const w = wake;
        wake = undefined;
        w?.();
      },
    });
    const informational: BhttpInformational[] = [];
    let trailerFields: BhttpField[] = [];

    const run = async (): Promise<void> => {
      let reply: unknown;
      for (;;) {
        if (cancelled) throw new TruncatedStreamError('bhttp: body cancelled');
        const step = parser.next(reply);
        if (step.done) break;
        const s = step.value;
        reply = undefined;
        if (s.op === 'exact') reply = await src.exact(s.n);
        else if (s.op === 'some') reply = await src.some(s.max);
        else if (s.op === 'end') reply = await src.atEnd();
        else {
          const e = s.event;
          if (e.type === 'informational')
            informational.push({ status: e.status, headers: e.headers });
          else if (e.type === 'response-head') {
            headSent = true;
            resolveHead({ informational, status: e.status, headers: e.headers, body, trailers });
          } else if (e.type === 'content') {
            bodyController.enqueue(e.bytes);
            // Backpressure: read no further input until the consumer wants more.
            while ((bodyController.desiredSize ?? 1) <= 0 && !cancelled) {
              await new Promise<void>((r) => {
                wake = r;
              });
            }
          } else if (e.type === 'trailers') trailerFields = e.trailers;
        }
      }
      bodyController.close();
      settleTrailers.ok(trailerFields);
    };

    run().catch((err: unknown) => {
      const e: SottoError = isSottoError(err)
        ? err
        : new MalformedError('bhttp: stream decoder failed', { cause: err });
      src.cancel(e);
      if (!headSent) rejectHead(e);
      else if (!cancelled) bodyController.error(e);
      settleTrailers.fail(e);
    });
  });
}

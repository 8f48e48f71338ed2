/**
 * The request body as the gateway reads it, and how the enclave answers
 * before reading all of it.
 *
 * An outer refusal (wrong media type, too large, busy, unknown key id) is
 * often decided after a few bytes while the relay is still uploading the
 * rest. Closing the connection at that point makes the kernel answer the
 * relay's further bytes with a TCP reset, and a reset can destroy the
 * response before the relay reads it (RFC 9112 §9.6, "Tear-down": close in
 * stages, keep reading until the client has seen the response). The relay
 * then sees a broken connection instead of the enclave's answer, and marks a
 * healthy enclave down. So:
 *
 * - {@link bodyStream} is a web stream over the request whose `cancel()`
 *   only stops delivering bytes; it never destroys the socket (Node's
 *   `Readable.toWeb` does).
 * - {@link answerEarly} writes the whole answer at once (with its
 *   `Content-Length`, so the client can read it complete while still
 *   sending), then reads and discards the rest of the body, bounded in bytes
 *   and time, and only then ends the response and closes the connection.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { TruncatedStreamError } from '@sotto/protocol';

/** How long the rest of a refused body is read before the connection is closed anyway. */
export const LINGER_MS = 10_000;

/** Chunks held before the request is paused (backpressure towards the relay). */
const HIGH_WATER_CHUNKS = 16;

/**
 * The request body as a web stream with backpressure. Cancelling it detaches
 * the reader and leaves the rest of the body unread (see {@link answerEarly});
 * a client that goes away mid-body errors it with TruncatedStreamError.
 */
export function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  let detach = () => {};
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        let open = true;
        const onData = (chunk: Buffer) => {
          if (!open) return;
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
          if ((controller.desiredSize ?? 0) <= 0) req.pause();
        };
        const onEnd = () => {
          if (!open) return;
          detach();
          controller.close();
        };
        const onClose = () => {
          if (!open || req.complete) return;
          detach();
          controller.error(new TruncatedStreamError('the request body ended early'));
        };
        detach = () => {
          open = false;
          req.off('data', onData);
          req.off('end', onEnd);
          req.off('close', onClose);
        };
        req.on('data', onData);
        req.on('end', onEnd);
        req.on('close', onClose);
      },
      pull() {
        req.resume();
      },
      cancel() {
        detach();
        req.pause();
      },
    },
    { highWaterMark: HIGH_WATER_CHUNKS },
  );
}

export interface EarlyAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface LingerLimits {
  /** Body bytes read and discarded at most before closing (the body limit). */
  readonly maxBytes: number;
  /** Default {@link LINGER_MS}. */
  readonly lingerMs?: number;
}

/**
 * Sends `answer` whole now, then drains what is left of the request body and
 * closes the connection once it has ended (or after `maxBytes` / `lingerMs`,
 * whichever comes first: a client that keeps sending is cut off).
 */
export function answerEarly(
  req: IncomingMessage,
  res: ServerResponse,
  answer: EarlyAnswer,
  limits: LingerLimits,
): void {
  if (res.headersSent || res.destroyed) return;
  const body = Buffer.from(answer.body, 'utf8');
  const complete = req.complete || req.readableEnded;
  res.writeHead(answer.status, {
    'content-type': answer.contentType,
    'cache-control': 'no-store',
    'content-length': String(body.length),
    ...(complete ? {} : { connection: 'close' }),
    ...answer.headers,
  });
  if (complete) {
    res.end(body);
    return;
  }
  res.write(body);
  let drained = 0;
  const finish = (cut: boolean) => {
    clearTimeout(timer);
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('close', onEnd);
    res.end();
    if (cut) res.once('finish', () => req.socket.destroy());
  };
  const onData = (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > limits.maxBytes) finish(true);
  };
  const onEnd = () => finish(false);
  const timer = setTimeout(() => finish(true), limits.lingerMs ?? LINGER_MS);
  timer.unref();
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('close', onEnd);
  req.resume();
}

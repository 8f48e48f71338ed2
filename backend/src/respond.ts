/**
 * The relay's own answers: small JSON errors with a fixed vocabulary, never
 * echoing anything the client sent (the vocabulary is in backend/README.md,
 * "Errors").
 *
 * An answer given before the request body has arrived (429, 415, 503 …) is
 * sent whole with its `Content-Length`, then the rest of the body is read and
 * dropped (bounded) before the connection closes: closing while the client
 * still sends makes the kernel reset the connection, and a reset can destroy
 * the answer before the client reads it (RFC 9112 §9.6, "Tear-down").
 */
import type { IncomingMessage } from 'node:http';
import type { Request, Response } from 'express';

/** Longest time the rest of a refused body is read before the connection is closed. */
export const LINGER_MS = 10_000;

export interface ErrorOptions {
  /**
   * Read and drop up to this many more body bytes before closing (the body
   * limit). Absent: close at once (the client is over the limit or stalled).
   */
  readonly lingerBytes?: number;
}

/**
 * Reads and drops the rest of a request body. Resolves `true` when the body
 * ended, `false` when it was cut off (over `maxBytes`, `LINGER_MS`, or gone).
 */
export function drainBody(req: IncomingMessage, maxBytes: number): Promise<boolean> {
  if (req.complete || req.readableEnded) return Promise.resolve(true);
  return new Promise((resolve) => {
    let bytes = 0;
    const settle = (ended: boolean) => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      resolve(ended);
    };
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxBytes) settle(false);
    };
    const onEnd = () => settle(true);
    const onClose = () => settle(req.complete);
    const timer = setTimeout(() => settle(false), LINGER_MS);
    timer.unref();
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
    req.resume();
  });
}

/**
 * Sends `{"error": code}`. If the request body has not been read to its end,
 * the connection closes after the answer: at once, or once the rest of the
 * body has been drained when `lingerBytes` is given.
 */
export function sendError(
  req: Request,
  res: Response,
  status: number,
  code: string,
  headers: Record<string, string> = {},
  options: ErrorOptions = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: code });
  res.status(status);
  res.setHeader('content-type', 'application/json');
  res.setHeader('cache-control', 'no-store');
  res.setHeader('content-length', String(Buffer.byteLength(body)));
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  if (req.complete || req.readableEnded) {
    res.end(body);
    return;
  }
  res.setHeader('connection', 'close');
  if (options.lingerBytes === undefined) {
    res.end(body);
    return;
  }
  res.write(body);
  void drainBody(req, options.lingerBytes).then((ended) => {
    res.end();
    if (!ended) res.once('finish', () => req.socket.destroy());
  });
}

/**
 * The relay's own answers: small JSON errors with a fixed vocabulary, never
 * echoing anything the client sent.
 */
import type { Request, Response } from 'express';

/**
 * Sends `{"error": code}`. If the request body has not been read to its end,
 * the connection is closed after the answer instead of draining the body.
 */
export function sendError(
  req: Request,
  res: Response,
  status: number,
  code: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.status(status);
  res.setHeader('content-type', 'application/json');
  res.setHeader('cache-control', 'no-store');
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  if (!req.complete) res.setHeader('connection', 'close');
  res.end(JSON.stringify({ error: code }));
}

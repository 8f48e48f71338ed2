/**
 * One-shot Binary HTTP (RFC 9292) decoding of a complete message held in
 * memory, in either framing (RFC 9292 §3.3), with truncation and padding
 * handled as RFC 9292 §3.8 allows.
 */

import { concat } from '../bytes';
import { MalformedError } from '../errors';
import { type BhttpLimits, resolveLimits } from './limits';
import { type Expect, type ParseEvent, parseMessage } from './parser';
import type { BhttpField, BhttpInformational, BhttpRequest, BhttpResponse } from './types';

export interface BhttpDecodeOptions {
  /** Overrides for {@link DEFAULT_BHTTP_LIMITS}. */
  limits?: Partial<BhttpLimits>;
  /**
   * Accept a message that ends after its header section or its content, as
   * RFC 9292 §3.8 permits when what is left out is empty. Default true; pass
   * false where the peer always writes every section (Sotto's own encoders
   * do) so that a cut at those points is refused too.
   */
  allowTruncation?: boolean;
}

/** Runs the shared parser over a whole buffer; running out of bytes is `MalformedError`. */
function runParser(
  bytes: Uint8Array,
  expect: Expect,
  options: BhttpDecodeOptions | undefined,
  onEvent: (e: ParseEvent) => void,
): void {
  const parser = parseMessage(
    resolveLimits(options?.limits),
    expect,
    options?.allowTruncation ?? true,
  );
  let off = 0;
  let reply: unknown;
  for (;;) {
    const step = parser.next(reply);
    if (step.done) return;
    const s = step.value;
    reply = undefined;
    switch (s.op) {
      case 'exact':
        if (bytes.length - off < s.n) throw new MalformedError('bhttp: truncated message');
        reply = bytes.subarray(off, off + s.n);
        off += s.n;
        break;
      case 'some': {
        if (off >= bytes.length) throw new MalformedError('bhttp: truncated message');
        const n = Math.min(s.max, bytes.length - off);
        reply = bytes.subarray(off, off + n);
        off += n;
        break;
      }
      case 'end':
        reply = off >= bytes.length;
        break;
      case 'emit':
        onEvent(s.event);
        break;
    }
  }
}

/**
 * Decodes a complete Binary HTTP request (framing 0 or 2).
 * @throws {MalformedError} invalid or truncated message, or a response.
 * @throws {LimitExceededError} a length or count over `options.limits`.
 * @throws {UnsupportedError} an unknown framing indicator.
 */
export function decodeRequest(bytes: Uint8Array, options?: BhttpDecodeOptions): BhttpRequest {
  const req: BhttpRequest = {
    method: '',
    scheme: '',
    authority: '',
    path: '',
    headers: [],
    body: new Uint8Array(0),
    trailers: [],
  };
  const body: Uint8Array[] = [];
  runParser(bytes, 'request', options, (e) => {
    if (e.type === 'request-control') {
      req.method = e.method;
      req.scheme = e.scheme;
      req.authority = e.authority;
      req.path = e.path;
    } else if (e.type === 'request-headers') req.headers = e.headers;
    else if (e.type === 'content') body.push(e.bytes);
    else if (e.type === 'trailers') req.trailers = e.trailers;
  });
  req.body = concat(...body);
  return req;
}

/**
 * Decodes a complete Binary HTTP response (framing 1 or 3), informational
 * responses included.
 * @throws {MalformedError} invalid or truncated message, or a request.
 * @throws {LimitExceededError} a length or count over `options.limits`.
 * @throws {UnsupportedError} an unknown framing indicator.
 */
export function decodeResponse(bytes: Uint8Array, options?: BhttpDecodeOptions): BhttpResponse {
  const informational: BhttpInformational[] = [];
  let status = 0;
  let headers: BhttpField[] = [];
  let trailers: BhttpField[] = [];
  const body: Uint8Array[] = [];
  runParser(bytes, 'response', options, (e) => {
    if (e.type === 'informational') informational.push({ status: e.status, headers: e.headers });
    else if (e.type === 'response-head') {
      status = e.status;
      headers = e.headers;
    } else if (e.type === 'content') body.push(e.bytes);
    else if (e.type === 'trailers') trailers = e.trailers;
  });
  return { informational, status, headers, body: concat(...body), trailers };
}

/**
 * The Oblivious HTTP gateway (RFC 9458, chunked draft-ietf-ohai-chunked-ohttp-08)
 * in front of the inner application. Two tiers of failure, as in RFC 9458 §5.2:
 * anything before the request is opened is an outer HTTP status (the relay sees
 * it; it carries no content); anything after is a sealed inner response.
 */
import {
  BusyError,
  createResponseEncoder,
  DecryptError,
  decapsulateRequest,
  decodeRequest,
  encodeResponse,
  type KeyStore,
  LimitExceededError,
  MalformedError,
  OHTTP_CHUNKED_RESPONSE_MEDIA_TYPE,
  OHTTP_RESPONSE_MEDIA_TYPE,
  openChunkedRequest,
  SottoError,
  TruncatedStreamError,
  UnknownKeyError,
  UnsupportedError,
} from '@sotto/protocol';
import {
  type CompletionEngine,
  type CompletionOutcome,
  type InnerResponseWriter,
  sendError,
  serveInnerRequest,
} from './completions';
import { PacedResponse, type PacingSettings, type SlotChooser } from './pacer';

export interface GatewayOptions {
  keys: KeyStore;
  engine: CompletionEngine;
  maxBodyBytes: number;
  /** Paced, padded chunked answers (pacer.ts); absent: one unpadded chunk per write. */
  pacing?: { settings: PacingSettings; chooser: SlotChooser };
}

export interface OuterError {
  status: number;
  contentType: string;
  body: string;
  headers: Record<string, string>;
}

/** RFC 9458 §5.3: the problem type that tells a client to refetch the key config. */
const OHTTP_KEY_PROBLEM = 'https://iana.org/assignments/http-problem-types#ohttp-key';

/** Maps a failure before decapsulation to the outer response. Carries no request content. */
export function outerError(e: unknown): OuterError {
  const json = (
    status: number,
    error: string,
    headers: Record<string, string> = {},
  ): OuterError => ({
    status,
    contentType: 'application/json',
    body: JSON.stringify({ error }),
    headers,
  });
  if (e instanceof UnknownKeyError) {
    return {
      status: 400,
      contentType: 'application/problem+json',
      body: JSON.stringify({ type: OHTTP_KEY_PROBLEM, title: 'key identifier unknown' }),
      headers: {},
    };
  }
  if (e instanceof LimitExceededError) return json(413, 'too_large');
  if (e instanceof BusyError)
    return json(503, 'busy', { 'retry-after': String(e.retryAfterSeconds) });
  if (
    e instanceof MalformedError ||
    e instanceof DecryptError ||
    e instanceof TruncatedStreamError ||
    e instanceof UnsupportedError
  ) {
    return json(400, 'bad_request');
  }
  return json(500, 'internal');
}

async function readAll(stream: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel();
      throw new LimitExceededError('request body is too large');
    }
    parts.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Size a whole (non-chunked) inner response is padded to: the next power of two from 1 KiB. */
export function wholeResponseBucket(n: number): number {
  let b = 1024;
  while (b < n) b *= 2;
  return b;
}

export interface OpenedExchange {
  contentType: string;
  /** The sealed response body, one chunk per inner write. */
  body: ReadableStream<Uint8Array>;
  /** Settles when the inner application is done (normally or aborted). */
  outcome: Promise<CompletionOutcome>;
  requestBytes: number;
}

/** Serves the inner request; inner failures become sealed error responses. */
async function serveBhttp(
  plaintext: Uint8Array,
  options: GatewayOptions,
  out: InnerResponseWriter,
  signal: AbortSignal,
): Promise<CompletionOutcome> {
  let inner: ReturnType<typeof decodeRequest>;
  try {
    inner = decodeRequest(plaintext);
  } catch (e) {
    const status = e instanceof LimitExceededError ? 413 : 400;
    await sendError(out, status, 'invalid_request_error', 'inner request is not valid Binary HTTP');
    return { status };
  }
  return serveInnerRequest(
    { method: inner.method, path: inner.path, body: inner.body },
    options.engine,
    out,
    signal,
  );
}

/**
 * Opens a `message/ohttp-chunked-req` body and starts answering it.
 * @throws SottoError (an outer failure: map it with {@link outerError}).
 */
export async function openChunkedExchange(
  body: ReadableStream<Uint8Array>,
  options: GatewayOptions,
  signal: AbortSignal,
): Promise<OpenedExchange> {
  const opened = await openChunkedRequest(body, options.keys, {
    maxTotalBytes: options.maxBodyBytes,
  });
  const plaintext = await readAll(opened.request, options.maxBodyBytes);
  if (options.pacing) {
    const { nonce, sealer } = opened.createResponseSealer();
    const paced = new PacedResponse(
      nonce,
      sealer,
      options.pacing.settings,
      options.pacing.chooser,
      signal,
    );
    const outcome = serveBhttp(plaintext, options, paced, signal).catch((e: unknown) => {
      paced.fail(e);
      throw e;
    });
    return {
      contentType: OHTTP_CHUNKED_RESPONSE_MEDIA_TYPE,
      body: paced.body,
      outcome,
      requestBytes: plaintext.length,
    };
  }
  const sealer = opened.createResponseEncapsulator();
  const writer = sealer.writable.getWriter();
  let encoder: ReturnType<typeof createResponseEncoder> | undefined;
  // Once the client is gone, writes go nowhere; generation stops through `signal`.
  const send = async (bytes: Uint8Array) => {
    if (signal.aborted || bytes.length === 0) return;
    await writer.write(bytes).catch(() => undefined);
  };
  const out: InnerResponseWriter = {
    async start(status, headers) {
      encoder = createResponseEncoder({ status, headers });
      await send(encoder.head());
    },
    write: (bytes) => send(encoder!.chunk(bytes)),
    async end() {
      await send(encoder!.end());
      await writer.close().catch(() => undefined);
    },
  };
  // A clean end (the final chunk) only after the inner response ended; on an unexpected
  // failure, abort instead, so the client sees a truncated stream, never a short answer.
  const outcome = serveBhttp(plaintext, options, out, signal).catch(async (e: unknown) => {
    await writer.abort(e).catch(() => undefined);
    throw e;
  });
  return {
    contentType: OHTTP_CHUNKED_RESPONSE_MEDIA_TYPE,
    body: sealer.readable,
    outcome,
    requestBytes: plaintext.length,
  };
}

/**
 * Opens a `message/ohttp-req` body; the answer is buffered and sealed whole.
 * @throws SottoError (an outer failure: map it with {@link outerError}).
 */
export async function openWholeExchange(
  body: ReadableStream<Uint8Array>,
  options: GatewayOptions,
  signal: AbortSignal,
): Promise<OpenedExchange> {
  const bytes = await readAll(body, options.maxBodyBytes);
  const opened = await decapsulateRequest(bytes, options.keys, options.maxBodyBytes);
  let status = 500;
  let headers: [string, string][] = [];
  const parts: Uint8Array[] = [];
  const out: InnerResponseWriter = {
    async start(s, h) {
      status = s;
      headers = h;
    },
    async write(b) {
      parts.push(b);
    },
    async end() {},
  };
  const outcome = serveBhttp(opened.request, options, out, signal);
  const sealed = outcome.then(async () => {
    const content = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      content.set(p, at);
      at += p.length;
    }
    // RFC 9292 §3.8 padding to a power of two from 1 KiB: sealed whole, the answer's size
    // would otherwise be exact on the wire (the chunked path paces and pads instead).
    const message = encodeResponse({ status, headers, body: content });
    return opened.encapsulateResponse(
      encodeResponse(
        { status, headers, body: content },
        { padding: wholeResponseBucket(message.length) - message.length },
      ),
    );
  });
  return {
    contentType: OHTTP_RESPONSE_MEDIA_TYPE,
    body: new ReadableStream({
      async start(controller) {
        controller.enqueue(await sealed);
        controller.close();
      },
    }),
    outcome,
    requestBytes: opened.request.length,
  };
}

export function isOuterFailure(e: unknown): e is SottoError {
  return e instanceof SottoError;
}

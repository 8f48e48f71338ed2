/**
 * The enclave's HTTP surface (node:http, so every sealed chunk is written the
 * moment it exists): `POST /v1/ohttp`, `GET /v1/evidence`, `GET /healthz`.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  OHTTP_CHUNKED_REQUEST_MEDIA_TYPE,
  OHTTP_CHUNKED_RESPONSE_MEDIA_TYPE,
  OHTTP_REQUEST_MEDIA_TYPE,
  SottoError,
} from '@sotto/protocol';
import {
  type GatewayOptions,
  type OpenedExchange,
  openChunkedExchange,
  openWholeExchange,
  outerError,
} from './gateway';
import { Admission } from './admission';
import type { InferenceEngine } from './inference/engine';
import type { KeyRing } from './keys';
import type { Logger } from './log';
import { type PacingSettings, SlotChooser } from './pacer';
import { answerEarly, bodyStream, type EarlyAnswer } from './request-body';

export interface AppOptions {
  ring: KeyRing;
  engine: Pick<InferenceEngine, 'model' | 'complete' | 'stats' | 'sequences'>;
  /** Requests that may wait for a sequence; with `engine.sequences`, the admission limit. */
  queueLimit: number;
  maxBodyBytes: number;
  log: Logger;
  /** Paced, padded answers; absent: the unpadded baseline (`SOTTO_PACE=off`). */
  pacing?: PacingSettings;
  /** `Retry-After` on an overload 503, in seconds. Default 1. */
  retryAfterSeconds?: number;
  /** Absolute deadlines for a request's headers and body; default {@link DEFAULT_TIMEOUTS}. */
  timeouts?: RequestTimeouts;
}

/**
 * Deadlines from a request's first byte, not reset by each byte that arrives, so a
 * client trickling one byte every few seconds (slowloris) is cut, as at the relay
 * (backend/src/app.ts). Only the request is bounded: a long answer streams on.
 */
export interface RequestTimeouts {
  /** The request line and headers (`SOTTO_HEADERS_TIMEOUT`). */
  readonly headersMs: number;
  /** The body, after the headers (`SOTTO_BODY_TIMEOUT`). */
  readonly bodyMs: number;
}

/** The relay's defaults; the relay's own body deadline (from its arrival) fires first. */
export const DEFAULT_TIMEOUTS: RequestTimeouts = { headersMs: 10_000, bodyMs: 60_000 };

/** The outer answer to an overloaded enclave (the relay names it `enclave_busy`). */
function busyAnswer(retryAfterSeconds: number): EarlyAnswer {
  return {
    status: 503,
    contentType: 'application/json',
    body: JSON.stringify({ error: 'busy' }),
    headers: { 'retry-after': String(retryAfterSeconds) },
  };
}

const REQUEST_ID = /^[A-Za-z0-9-]{1,64}$/;

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
  res.end(body);
}

/** Copies a web stream to the response, honouring backpressure; stops when the client leaves. */
async function pipeToResponse(
  body: ReadableStream<Uint8Array>,
  res: ServerResponse,
  onFirst: () => void,
): Promise<number> {
  const reader = body.getReader();
  let bytes = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) break;
      if (bytes === 0) onFirst();
      bytes += value.length;
      if (!res.write(value))
        await new Promise<void>((r) => {
          res.once('drain', r);
          res.once('close', r);
        });
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return bytes;
}

async function handleOhttp(
  req: IncomingMessage,
  res: ServerResponse,
  o: AppOptions,
  admission: Admission,
  requestId: string,
  pacing: GatewayOptions['pacing'],
) {
  const started = performance.now();
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const base = { requestId, route: 'ohttp' };
  const refuse = (answer: EarlyAnswer) =>
    answerEarly(req, res, answer, { maxBytes: o.maxBodyBytes });
  const json = (status: number, error: string): EarlyAnswer => ({
    status,
    contentType: 'application/json',
    body: JSON.stringify({ error }),
  });
  if (type !== OHTTP_CHUNKED_REQUEST_MEDIA_TYPE && type !== OHTTP_REQUEST_MEDIA_TYPE) {
    refuse(json(415, 'unsupported_media_type'));
    o.log.request({
      ...base,
      status: 415,
      outcome: 'unsupported-media-type',
      totalMs: performance.now() - started,
    });
    return;
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > o.maxBodyBytes) {
    // The relay refuses these first; with no body to wait for, close at once.
    send(res, 413, 'application/json', JSON.stringify({ error: 'too_large' }), {
      connection: 'close',
    });
    o.log.request({
      ...base,
      status: 413,
      outcome: 'too-large',
      totalMs: performance.now() - started,
    });
    return;
  }
  // Counted on arrival and refused before the body is read, as an outer 503 the
  // relay sees (see admission.ts): it may try another enclave, the client retries.
  const ticket = admission.tryEnter();
  if (!ticket) {
    refuse(busyAnswer(o.retryAfterSeconds ?? 1));
    o.log.request({ ...base, status: 503, outcome: 'busy', totalMs: performance.now() - started });
    return;
  }
  res.on('close', () => ticket.leave());

  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  const gateway: GatewayOptions = {
    keys: o.ring.lookup,
    engine: o.engine,
    maxBodyBytes: o.maxBodyBytes,
    ...(pacing ? { pacing } : {}),
  };
  const body = bodyStream(req);
  let exchange: OpenedExchange;
  try {
    exchange =
      type === OHTTP_CHUNKED_REQUEST_MEDIA_TYPE
        ? await openChunkedExchange(body, gateway, abort.signal)
        : await openWholeExchange(body, gateway, abort.signal);
  } catch (e) {
    // Often decided on the first bytes (an unknown key id) while the body still
    // arrives: answered whole, then the rest is drained (request-body.ts).
    const err = outerError(e);
    refuse(err);
    const outcome = e instanceof SottoError ? e.code.toLowerCase() : 'internal-error';
    o.log.request({ ...base, status: err.status, outcome, totalMs: performance.now() - started });
    if (!(e instanceof SottoError))
      console.error('enclave: unexpected failure before decapsulation', e);
    return;
  }
  res.writeHead(200, {
    'content-type': exchange.contentType,
    'cache-control': 'no-store',
    // draft-ietf-ohai-chunked-ohttp §3: tell intermediaries to pass each chunk on at once.
    ...(exchange.contentType === OHTTP_CHUNKED_RESPONSE_MEDIA_TYPE ? { incremental: '?1' } : {}),
  });
  res.flushHeaders();
  let ttfbMs: number | undefined;
  const responseBytes = await pipeToResponse(exchange.body, res, () => {
    ttfbMs = performance.now() - started;
  });
  const outcome = await exchange.outcome.catch((e: unknown) => {
    console.error('enclave: inner application failed', e instanceof SottoError ? e.code : e);
    return { status: 500 } as const;
  });
  res.end();
  o.log.request({
    ...base,
    status: 200,
    outcome: abort.signal.aborted
      ? 'client-gone'
      : `inner-${outcome.status}${'finishReason' in outcome && outcome.finishReason ? `-${outcome.finishReason}` : ''}`,
    requestBytes: exchange.requestBytes,
    responseBytes,
    promptTokens: 'usage' in outcome ? outcome.usage?.promptTokens : undefined,
    completionTokens: 'usage' in outcome ? outcome.usage?.completionTokens : undefined,
    evaluatedPromptTokens: 'usage' in outcome ? outcome.usage?.evaluatedPromptTokens : undefined,
    ttfbMs,
    totalMs: performance.now() - started,
  });
}

export function createEnclaveServer(o: AppOptions): Server {
  // One slot chooser per enclave: its average spans every stream this process serves.
  const pacing = o.pacing
    ? { settings: o.pacing, chooser: new SlotChooser(o.pacing.slotBytes) }
    : undefined;
  const admission = new Admission(o.engine.sequences + o.queueLimit);
  const timeouts = o.timeouts ?? DEFAULT_TIMEOUTS;
  // Node checks the deadlines below on this interval; past one it answers 408 and closes.
  const checking = { connectionsCheckingInterval: Math.min(1_000, timeouts.headersMs) };
  const server = createServer({ noDelay: true, ...checking }, (req, res) => {
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'POST' && path === '/v1/ohttp') {
      handleOhttp(req, res, o, admission, requestId, pacing).catch((e: unknown) => {
        console.error('enclave: request failed', e instanceof SottoError ? e.code : e);
        if (!res.headersSent)
          send(res, 500, 'application/json', JSON.stringify({ error: 'internal' }));
        else res.destroy();
      });
      return;
    }
    if (req.method === 'GET' && path === '/v1/evidence') {
      send(res, 200, 'application/json', o.ring.current.evidence, {
        'cache-control': 'max-age=10',
      });
      return;
    }
    if (req.method === 'GET' && path === '/healthz') {
      send(res, 200, 'application/json', JSON.stringify({ ok: true }));
      return;
    }
    send(res, 404, 'application/json', JSON.stringify({ error: 'not_found' }));
  });
  server.headersTimeout = timeouts.headersMs;
  server.requestTimeout = timeouts.headersMs + timeouts.bodyMs;
  return server;
}

/**
 * The inner application: an OpenAI-compatible `POST /v1/chat/completions` with
 * `stream: true`, answered as server-sent events (DESIGN.md, "Inner message").
 * It runs after decapsulation, so every failure here is an inner (sealed) HTTP
 * error; the relay only ever sees the outer 200.
 */
import { randomUUID } from 'node:crypto';
import {
  BusyError,
  concat,
  fromUtf8,
  LimitExceededError,
  MalformedError,
  UnsupportedError,
  utf8,
} from '@sotto/protocol';
import type { InferenceEngine } from './inference/engine';
import { TokenBatcher } from './token-batcher';
import type { CompletionUsage } from './inference/generate';

export interface InnerRequest {
  method: string;
  path: string;
  body: Uint8Array;
}

/** What the inner application writes; the gateway seals each `write` as it happens. */
export interface InnerResponseWriter {
  start(status: number, headers: [string, string][]): Promise<void>;
  /** Resolves when the sealed chunk has been handed on (backpressure). */
  write(bytes: Uint8Array): Promise<void>;
  end(): Promise<void>;
}

/** The part of the inference engine the inner application uses. */
export type CompletionEngine = Pick<InferenceEngine, 'model' | 'complete'>;

export interface CompletionOutcome {
  status: number;
  usage?: CompletionUsage;
  finishReason?: string;
}

const SSE_HEADERS: [string, string][] = [
  ['content-type', 'text/event-stream'],
  ['cache-control', 'no-store'],
];

function sse(data: unknown): Uint8Array {
  return utf8(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
}

/** Maps a failure to an OpenAI-style error. Messages come from our typed errors only. */
function errorResponse(e: unknown): {
  status: number;
  type: string;
  message: string;
  headers: [string, string][];
} {
  if (e instanceof BusyError) {
    return {
      status: 503,
      type: 'server_busy',
      message: e.message,
      headers: [['retry-after', String(e.retryAfterSeconds)]],
    };
  }
  if (e instanceof LimitExceededError)
    return { status: 413, type: 'invalid_request_error', message: e.message, headers: [] };
  if (e instanceof MalformedError || e instanceof UnsupportedError) {
    return { status: 400, type: 'invalid_request_error', message: e.message, headers: [] };
  }
  return { status: 500, type: 'server_error', message: 'internal error', headers: [] };
}

export async function sendError(
  out: InnerResponseWriter,
  status: number,
  type: string,
  message: string,
  headers: [string, string][] = [],
): Promise<void> {
  await out.start(status, [['content-type', 'application/json'], ...headers]);
  await out.write(utf8(JSON.stringify({ error: { message, type } })));
  await out.end();
}

/**
 * Serves one inner request to completion (or until `signal` aborts).
 * Never throws for request faults: they become inner error responses.
 */
export async function serveInnerRequest(
  req: InnerRequest,
  engine: CompletionEngine,
  out: InnerResponseWriter,
  signal: AbortSignal,
): Promise<CompletionOutcome> {
  if (req.path !== '/v1/chat/completions') {
    await sendError(out, 404, 'not_found', 'unknown path');
    return { status: 404 };
  }
  if (req.method !== 'POST') {
    await sendError(out, 405, 'invalid_request_error', 'method not allowed');
    return { status: 405 };
  }
  let body: unknown;
  try {
    body = JSON.parse(fromUtf8(req.body));
  } catch {
    await sendError(out, 400, 'invalid_request_error', 'request body is not JSON');
    return { status: 400 };
  }
  const id = `chatcmpl-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const chunk = (delta: object, finish: string | null, extra: object = {}) => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model: engine.model.name,
    choices: [{ index: 0, delta, finish_reason: finish }],
    ...extra,
  });

  let started = false;
  // A batch's consecutive text deltas become one event: fewer bytes per token, so a
  // padded slot (pacer.ts) carries more of the answer.
  const batch = new TokenBatcher<string | Uint8Array>(
    (bytes) => out.write(bytes),
    (items) => {
      const parts: Uint8Array[] = [];
      let text = '';
      for (const item of items) {
        if (typeof item === 'string') text += item;
        else {
          if (text !== '') parts.push(sse(chunk({ content: text }, null)));
          text = '';
          parts.push(item);
        }
      }
      if (text !== '') parts.push(sse(chunk({ content: text }, null)));
      return concat(...parts);
    },
  );
  try {
    for await (const ev of engine.complete(body, signal)) {
      // The role event goes out with the first delta, in one write: a paced answer's first
      // slot (pacer.ts) then carries the first text, so pacing adds nothing to the TTFT.
      const role = started ? [] : [sse(chunk({ role: 'assistant', content: '' }, null))];
      if (!started) {
        await out.start(200, SSE_HEADERS);
        started = true;
      }
      if (ev.type === 'delta') {
        batch.push(...role, ...(ev.text === '' ? [] : [ev.text]));
      } else {
        if (role.length > 0) batch.push(...role);
        const usage = {
          prompt_tokens: ev.usage.promptTokens,
          completion_tokens: ev.usage.completionTokens,
          total_tokens: ev.usage.promptTokens + ev.usage.completionTokens,
        };
        const finish = ev.finishReason === 'abort' ? 'stop' : ev.finishReason;
        batch.push(sse(chunk({}, finish, { usage })));
        batch.push(sse('[DONE]'));
        await batch.drain();
        await out.end();
        return { status: 200, usage: ev.usage, finishReason: ev.finishReason };
      }
    }
    if (!started) await out.start(200, SSE_HEADERS);
    await batch.drain();
    await out.end();
    return { status: 200 };
  } catch (e) {
    const err = errorResponse(e);
    if (!started) {
      await sendError(out, err.status, err.type, err.message, err.headers);
      return { status: err.status };
    }
    // Headers are gone: report the failure in-band, then close the stream cleanly.
    await batch.drain();
    await out.write(sse({ error: { message: err.message, type: err.type } }));
    await out.end();
    return { status: err.status };
  }
}

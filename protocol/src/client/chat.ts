/**
 * A chat completion through the enclave, end to end on the client side:
 * JSON body → Binary HTTP request (RFC 9292) → chunked OHTTP (draft-08) sealed to
 * the attested key; and back: sealed chunks → Binary HTTP response → server-sent
 * events → text deltas, each yielded the moment its chunk opens.
 */
import { decodeResponseStream, encodeRequest } from '../bhttp';
import { fromUtf8, utf8 } from '../bytes';
import { DecryptError, MalformedError, ServiceError, TruncatedStreamError } from '../errors';
import {
  type ChunkedClientOptions,
  createChunkedRequest,
  type KeyConfig,
  OHTTP_CHUNKED_REQUEST_MEDIA_TYPE,
} from '../ohttp';
import { requestBucketBytes } from './request-padding';
import { SseParser } from './sse';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  messages: ChatMessage[];
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  stop?: string | string[];
  seed?: number;
  /**
   * A random id per conversation (16–64 of A-Z a-z 0-9 _ -), sealed with the request: the
   * enclave reuses a cached prompt prefix only for requests with the same id, so one user's
   * prefix never makes another's answer faster. Absent: no reuse.
   */
  cache_id?: string;
}

export type ChatEvent =
  | { type: 'delta'; text: string }
  | {
      type: 'done';
      finishReason: string;
      usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
    };

/** The inner request's authority: the enclave is addressed by key, not by name. */
const INNER_AUTHORITY = 'enclave.sotto.invalid';
const MAX_ERROR_BODY_BYTES = 16 * 1024;

export interface SealedChatRequest {
  contentType: typeof OHTTP_CHUNKED_REQUEST_MEDIA_TYPE;
  /** The whole encapsulated body (browsers cannot stream request bodies over HTTP/1.1). */
  body: Uint8Array;
  /** RFC 9292 §3.8 padding bytes inside `body`, to reach the size bucket (request-padding.ts). */
  paddingBytes: number;
  /**
   * Opens the streamed `message/ohttp-chunked-res` body and yields text as it arrives.
   * @throws TruncatedStreamError when the stream ends before the final chunk or `[DONE]`.
   * @throws DecryptError when a chunk was altered; ServiceError for an inner error status.
   */
  openResponse(body: ReadableStream<Uint8Array>): AsyncGenerator<ChatEvent, void, undefined>;
}

/** Seals a streaming chat completion request to the enclave's key config. */
export async function sealChatRequest(
  keyConfig: KeyConfig,
  request: ChatRequest,
  options: ChunkedClientOptions = {},
): Promise<SealedChatRequest> {
  const init = {
    method: 'POST',
    scheme: 'https',
    authority: INNER_AUTHORITY,
    path: '/v1/chat/completions',
    headers: [['content-type', 'application/json']] as [string, string][],
    body: utf8(JSON.stringify({ ...request, stream: true })),
  };
  // RFC 9292 §3.8 padding to the request's size bucket (request-padding.ts).
  const unpadded = encodeRequest(init).length;
  const paddingBytes = requestBucketBytes(unpadded) - unpadded;
  const inner = encodeRequest(init, { padding: paddingBytes });
  const chunked = await createChunkedRequest(keyConfig, options);
  const body = await chunked.encapsulate(inner);
  return {
    contentType: OHTTP_CHUNKED_REQUEST_MEDIA_TYPE,
    body,
    paddingBytes,
    openResponse: (response) => readChatResponse(chunked.decapsulateResponse(response)),
  };
}

async function readBounded(stream: ReadableStream<Uint8Array>, max: number): Promise<Uint8Array> {
  const reader = stream.getReader();
  const parts: number[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (parts.length + value.length > max) {
      await reader.cancel();
      break;
    }
    parts.push(...value);
  }
  return new Uint8Array(parts);
}

function innerError(
  status: number,
  body: Uint8Array,
  retryAfter: string | undefined,
): ServiceError {
  let message = `the enclave answered ${status}`;
  try {
    const parsed = JSON.parse(fromUtf8(body)) as { error?: { message?: unknown } };
    if (typeof parsed.error?.message === 'string')
      message += `: ${parsed.error.message.slice(0, 200)}`;
  } catch {
    // keep the status-only message
  }
  const retry = retryAfter === undefined ? undefined : Number(retryAfter);
  return new ServiceError(message, {
    status,
    inner: true,
    ...(retry !== undefined && Number.isFinite(retry) ? { retryAfterSeconds: retry } : {}),
  });
}

async function* readChatResponse(
  plaintext: ReadableStream<Uint8Array>,
): AsyncGenerator<ChatEvent, void, undefined> {
  // Our enclave always writes every section, so a message cut short is a truncation, not RFC 9292 §3.8 brevity.
  const response = await decodeResponseStream(plaintext, { allowTruncation: false });
  const header = (name: string) => response.headers.find(([n]) => n === name)?.[1];
  if (response.status !== 200) {
    throw innerError(
      response.status,
      await readBounded(response.body, MAX_ERROR_BODY_BYTES),
      header('retry-after'),
    );
  }
  const parser = new SseParser();
  const reader = response.body.getReader();
  let finishReason = 'stop';
  let usage: Extract<ChatEvent, { type: 'done' }>['usage'];
  let sawDone = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (sawDone) continue; // padding after `[DONE]` (SSE comments): read only to reach the end
      for (const data of parser.push(value)) {
        if (data === '[DONE]') {
          sawDone = true;
          break;
        }
        let event: {
          choices?: { delta?: { content?: unknown }; finish_reason?: unknown }[];
          usage?: typeof usage;
          error?: { message?: unknown };
        };
        try {
          event = JSON.parse(data);
        } catch (cause) {
          throw new MalformedError('enclave sent an event that is not JSON', { cause });
        }
        if (event.error) {
          const msg =
            typeof event.error.message === 'string' ? event.error.message.slice(0, 200) : '';
          throw new ServiceError(`the enclave failed mid-answer${msg ? `: ${msg}` : ''}`, {
            status: 500,
            inner: true,
          });
        }
        const choice = event.choices?.[0];
        if (typeof choice?.delta?.content === 'string' && choice.delta.content !== '') {
          yield { type: 'delta', text: choice.delta.content };
        }
        if (typeof choice?.finish_reason === 'string') finishReason = choice.finish_reason;
        if (event.usage) usage = event.usage;
      }
    }
  } catch (e) {
    // `[DONE]` arrived but the sealed stream's end did not authenticate (a final chunk
    // altered or sealed without the "final" AAD): the answer is not known to be whole.
    if (sawDone && e instanceof DecryptError)
      throw new TruncatedStreamError('the answer ended without a valid final chunk', { cause: e });
    throw e;
  } finally {
    reader.releaseLock();
  }
  // Done only once the body has ended, which the decoder allows only after the Binary HTTP
  // message and the chunked OHTTP final chunk (AAD "final", draft-08 §6.2) both checked out.
  if (sawDone) {
    yield usage ? { type: 'done', finishReason, usage } : { type: 'done', finishReason };
    return;
  }
  // The sealed stream ended cleanly but the answer did not: treat it as cut short.
  throw new TruncatedStreamError('the answer ended before its end marker');
}

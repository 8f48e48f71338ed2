/**
 * An OpenAI-compatible inference server as the enclave's engine
 * (`SOTTO_ENGINE=openai:http://127.0.0.1:PORT`; issue 17, "An existing engine
 * for scale"): vLLM, SGLang or llama.cpp's `llama-server`, running inside the
 * same confidential VM, typically on GPUs. The gateway still opens the sealed
 * request, checks it (request.ts) and seals every chunk of the answer; this
 * engine forwards the checked request as plain `POST /v1/chat/completions`
 * with `stream: true` over loopback and turns the server-sent events it gets
 * back into the same delta/done events the built-in engine yields.
 *
 * Plaintext crosses this hop, so the upstream must be inside the attested VM:
 * only loopback URLs are accepted. The server's identity (its image digest)
 * belongs in the release manifest beside the enclave's; the model the
 * evidence names is still the weights file `SOTTO_MODEL` points at, hashed at
 * start. Errors from the upstream become our typed errors; their text is not
 * passed on (it may quote the prompt).
 */
import {
  BusyError,
  ConfigurationError,
  LimitExceededError,
  MalformedError,
  SseParser,
} from '@sotto/protocol';
import type { InferenceEngine } from './engine';
import type { CompletionEvent, FinishReason } from './generate';
import { sha256File } from './model';
import { DEFAULT_REQUEST_LIMITS, type RequestLimits, validateRequest } from './request';

export const DEFAULT_OPENAI_SEQUENCES = 8;
const QUEUE_PER_SEQUENCE = 16;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The parts of an engine the gateway and the server use. */
export type GatewayEngine = Pick<
  InferenceEngine,
  'model' | 'contextSize' | 'complete' | 'stats' | 'sequences' | 'queueLimit' | 'close'
> & { readonly threads: number };

/** Context size assumed for the upstream unless told (`SOTTO_CONTEXT`). */
const DEFAULT_OPENAI_CONTEXT_SIZE = 4096;

export interface OpenAiEngineOptions {
  /** `http://127.0.0.1:PORT` (from `openai:http://127.0.0.1:PORT`). */
  baseUrl: string;
  /** The weights file the upstream serves, hashed for the evidence. */
  modelPath: string;
  /** Name the upstream knows the model by (its `model` field); default the file name. */
  modelName?: string;
  /**
   * The context size the upstream serves the model with (bound in the evidence, so a
   * client can plan a long page). Default 4096, llama-server's and vLLM's usual setting.
   */
  contextSize?: number;
  /** Requests forwarded at once; the upstream batches them. Default 8. */
  sequences?: number;
  queueLimit?: number;
  limits?: Partial<RequestLimits>;
}

/**
 * Parses `SOTTO_ENGINE`: `llama` (built in, the default) or `openai:<loopback URL>`.
 * @throws ConfigurationError for anything else, or a URL off this machine.
 */
export function parseEngineSetting(
  value: string | undefined,
): { kind: 'llama' } | { kind: 'openai'; baseUrl: string } {
  const raw = value?.trim() ?? '';
  if (raw === '' || raw === 'llama') return { kind: 'llama' };
  if (!raw.startsWith('openai:')) {
    throw new ConfigurationError('SOTTO_ENGINE must be "llama" or "openai:http://127.0.0.1:PORT"');
  }
  let url: URL;
  try {
    url = new URL(raw.slice('openai:'.length));
  } catch {
    throw new ConfigurationError(
      'SOTTO_ENGINE=openai: needs a URL, e.g. openai:http://127.0.0.1:8000',
    );
  }
  if (url.protocol !== 'http:' || !LOOPBACK.has(url.hostname) || url.username || url.search) {
    throw new ConfigurationError(
      'SOTTO_ENGINE=openai: must name a loopback http:// URL (the inference server inside this VM)',
    );
  }
  return { kind: 'openai', baseUrl: url.origin + url.pathname.replace(/\/+$/, '') };
}

interface StreamChunk {
  choices?: { delta?: { content?: unknown }; finish_reason?: unknown }[];
  usage?: { prompt_tokens?: unknown; completion_tokens?: unknown };
}

const count = (n: unknown) => (typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : 0);

/**
 * Builds the engine: hashes the model file and checks nothing else up front
 * (the upstream may still be loading; requests then fail as busy).
 * @throws ConfigurationError when the model file cannot be read.
 */
export async function createOpenAiEngine(options: OpenAiEngineOptions): Promise<GatewayEngine> {
  const { sha256, sizeBytes } = await sha256File(options.modelPath).catch((cause: unknown) => {
    throw new ConfigurationError('SOTTO_MODEL must name the weights file the engine serves', {
      cause,
    });
  });
  const name = options.modelName ?? options.modelPath.split('/').at(-1)!;
  const sequences = options.sequences ?? DEFAULT_OPENAI_SEQUENCES;
  const queueLimit = options.queueLimit ?? sequences * QUEUE_PER_SEQUENCE;
  const limits: RequestLimits = { ...DEFAULT_REQUEST_LIMITS, ...options.limits };
  const shutdown = new AbortController();
  let busy = 0;

  async function* complete(
    request: unknown,
    signal: AbortSignal,
  ): AsyncGenerator<CompletionEvent, void, undefined> {
    if (shutdown.signal.aborted) throw new BusyError('inference engine closed', 1);
    const r = validateRequest(request, limits);
    // Either the client or shutdown stops the upstream request (listeners removed
    // below: Node 20 keeps AbortSignal.any's signals alive on a long-lived input).
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    shutdown.signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted || shutdown.signal.aborted) stop.abort();
    busy++;
    try {
      let res: Response;
      try {
        res = await fetch(`${options.baseUrl}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
          body: JSON.stringify({
            model: name,
            messages: r.messages,
            max_tokens: r.maxTokens,
            temperature: r.temperature,
            top_p: r.topP,
            ...(r.stop.length > 0 ? { stop: r.stop } : {}),
            ...(r.seed === undefined ? {} : { seed: r.seed }),
            stream: true,
            stream_options: { include_usage: true },
          }),
          signal: stop.signal,
        });
      } catch (cause) {
        if (stop.signal.aborted) return yield* aborted();
        throw new BusyError('the inference server is not reachable', 1, { cause });
      }
      if (res.status === 429 || res.status === 503) {
        await res.body?.cancel();
        throw new BusyError(
          'the inference server is busy',
          Number(res.headers.get('retry-after')) || 1,
        );
      }
      if (res.status === 413)
        throw new LimitExceededError('the inference server refused the request size');
      if (res.status >= 400 && res.status < 500) {
        throw new MalformedError(`the inference server refused the request (${res.status})`);
      }
      if (res.status !== 200 || !res.body)
        throw new Error(`inference server answered ${res.status}`);
      const parser = new SseParser();
      let finishReason: FinishReason = 'stop';
      let promptTokens = 0;
      let completionTokens = 0;
      try {
        const reader = res.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          for (const data of parser.push(value)) {
            if (data === '[DONE]') {
              yield {
                type: 'done',
                finishReason,
                usage: { promptTokens, completionTokens, evaluatedPromptTokens: promptTokens },
              };
              return;
            }
            const chunk = JSON.parse(data) as StreamChunk;
            const choice = chunk.choices?.[0];
            const text = choice?.delta?.content;
            if (typeof text === 'string' && text !== '') yield { type: 'delta', text };
            if (choice?.finish_reason === 'length') finishReason = 'length';
            if (chunk.usage) {
              promptTokens = count(chunk.usage.prompt_tokens);
              completionTokens = count(chunk.usage.completion_tokens);
            }
          }
        }
      } catch (e) {
        if (stop.signal.aborted) return yield* aborted();
        if (e instanceof SyntaxError)
          throw new MalformedError('the inference server sent an event that is not JSON');
        throw e;
      }
      throw new Error('the inference server ended its stream without [DONE]');
    } finally {
      busy--;
      signal.removeEventListener('abort', onAbort);
      shutdown.signal.removeEventListener('abort', onAbort);
      stop.abort(); // a consumer that stopped early closes the upstream stream too
    }
  }

  async function* aborted(): AsyncGenerator<CompletionEvent, void, undefined> {
    yield {
      type: 'done',
      finishReason: 'abort',
      usage: { promptTokens: 0, completionTokens: 0, evaluatedPromptTokens: 0 },
    };
  }

  return {
    model: { name, sha256, path: options.modelPath, sizeBytes },
    threads: 0,
    contextSize: options.contextSize ?? DEFAULT_OPENAI_CONTEXT_SIZE,
    sequences,
    queueLimit,
    complete,
    stats: () => ({ busy, queued: 0 }),
    async close() {
      shutdown.abort();
    },
  };
}

/**
 * The enclave's inference engine (issue 3, items 2-4): one llama.cpp model and context, a fixed
 * number of context sequences serving requests in parallel, a bounded wait queue, cancellation,
 * and multi-turn prefix reuse. The gateway turns its events into server-sent events.
 *
 * Memory is bounded by construction: the context holds `sequences` x `contextSize` KV-cache
 * cells, allocated once at start (llama.cpp rounds `contextSize` up to a multiple of 256), and
 * at most `sequences + queueLimit` requests are admitted at a time.
 */
import { BusyError, ConfigurationError, LimitExceededError } from '@sotto/protocol';
import type { LlamaContext, LlamaModel } from 'node-llama-cpp';
import { type CompletionEvent, type DoneEvent, generateOnSequence } from './generate';
import { type LoadModelOptions, loadModel } from './model';
import { createPromptBuilder, type PromptFormat } from './prompt';
import { DEFAULT_REQUEST_LIMITS, type RequestLimits, validateRequest } from './request';
import { AbortedWhileQueued, type Lease, SequencePool } from './sequence-pool';
import { chooseCapacity, chooseContextSize, QUEUE_PER_SEQUENCE } from './capacity';
import { chooseThreads } from './threads';

export interface EngineOptions {
  /** SOTTO_MODEL: a GGUF path, `file:` URL, or `hf:` URI (see `model-source.ts`). */
  modelSpec: string;
  /** Download cache for `hf:` models. */
  cacheDir?: string;
  /** SOTTO_THREADS; default chosen by `chooseThreads` from cores and model size. */
  threads?: number;
  /** Parallel requests (context sequences). Default: sized from the model and memory (capacity.ts). */
  sequences?: number;
  /** Requests allowed to wait for a sequence; more are refused with BusyError. Default: capacity.ts. */
  queueLimit?: number;
  /**
   * SOTTO_CONTEXT: KV-cache tokens per sequence (prompt + answer). Default: the model's trained
   * size, capped by memory (capacity.ts `chooseContextSize`). More than the trained size is refused.
   */
  contextSize?: number;
  /** `Retry-After` advice carried by BusyError. Default 1 s. */
  retryAfterSeconds?: number;
  /** Request bounds; `maxTokens` defaults to min(2048, contextSize). */
  limits?: Partial<RequestLimits>;
  /** Passed through to the model loader (a shared llama binding, download progress). */
  load?: Omit<LoadModelOptions, 'cacheDir'>;
}

export interface InferenceEngine {
  /** Goes into the evidence bundle. */
  readonly model: { name: string; sha256: string; path: string; sizeBytes: number };
  readonly threads: number;
  readonly sequences: number;
  /** Requests that may wait for a sequence. */
  readonly queueLimit: number;
  /** Actual KV-cache tokens per sequence. */
  readonly contextSize: number;
  readonly promptFormat: PromptFormat;
  /**
   * Streams a chat completion. `request` is a parsed OpenAI chat completion body
   * (`ChatCompletionRequest`), checked here. Yields `delta` events as text is decoded, then one
   * `done`. All refusals are thrown by the first `next()`, before any event, so an HTTP layer
   * can still choose the status:
   *
   * @throws MalformedError for a malformed request (HTTP 400).
   * @throws LimitExceededError for a request over a bound, including a prompt that does not fit
   *   the context (HTTP 413).
   * @throws UnsupportedError for `n` > 1.
   * @throws BusyError when all sequences are busy and the queue is full, or the engine is
   *   closed (HTTP 503, Retry-After).
   *
   * Aborting `signal` (client gone) ends the stream with `done` / `abort` within one token and
   * frees the sequence; so does stopping the iteration.
   */
  complete(request: unknown, signal: AbortSignal): AsyncGenerator<CompletionEvent, void, undefined>;
  /** Sequences generating and requests queued, for logs and tests. */
  stats(): { busy: number; queued: number };
  /** Aborts running requests, refuses queued ones, frees the context and the model. */
  close(): Promise<void>;
}

export const DEFAULT_SEQUENCES = 2;
export const DEFAULT_QUEUE_LIMIT = 8;
const CLOSE_GRACE_MS = 5_000;

/**
 * Loads the model and builds the engine.
 *
 * @throws ConfigurationError for a missing or invalid model or setting.
 */
export async function createEngine(options: EngineOptions): Promise<InferenceEngine> {
  if (options.sequences !== undefined) positiveInt(options.sequences, 'sequences');
  if (options.queueLimit !== undefined) nonNegativeInt(options.queueLimit, 'queueLimit');
  const loaded = await loadModel(options.modelSpec, {
    ...options.load,
    ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
  });
  const model: LlamaModel = loaded.model;
  let context: LlamaContext;
  let threads: number;
  let sequences: number;
  let queueLimit: number;
  try {
    threads = chooseThreads({
      modelSizeBytes: loaded.sizeBytes,
      ...(options.threads === undefined ? {} : { override: options.threads }),
    });
    const contextSize =
      options.contextSize === undefined
        ? chooseContextSize({
            trainContextSize: model.trainContextSize,
            bytesPerSequenceAtTrain: await bytesPerSequence(model, model.trainContextSize),
          })
        : positiveInt(options.contextSize, 'contextSize');
    if (contextSize > model.trainContextSize) {
      // llama.cpp would run it, but past the trained size answers degrade without warning.
      throw new ConfigurationError(
        `SOTTO_CONTEXT is ${contextSize} tokens; the model was trained for ${model.trainContextSize}`,
      );
    }
    const sized =
      options.sequences === undefined || options.queueLimit === undefined
        ? chooseCapacity({ bytesPerSequence: await bytesPerSequence(model, contextSize) })
        : undefined;
    sequences = options.sequences ?? sized!.sequences;
    queueLimit = options.queueLimit ?? sized?.queueLimit ?? sequences * QUEUE_PER_SEQUENCE;
    context = await model.createContext({ contextSize, sequences, threads });
  } catch (error) {
    await model.dispose();
    throw error;
  }

  const retryAfterSeconds = options.retryAfterSeconds ?? 1;
  const pool = new SequencePool(
    Array.from({ length: sequences }, () => context.getSequence()),
    queueLimit,
    retryAfterSeconds,
  );
  const prompts = createPromptBuilder(model);
  const limits: RequestLimits = {
    ...DEFAULT_REQUEST_LIMITS,
    maxTokens: Math.min(DEFAULT_REQUEST_LIMITS.maxTokens, context.contextSize),
    ...options.limits,
  };
  const shutdown = new AbortController();
  const running = new Set<Promise<void>>();

  async function* complete(
    request: unknown,
    signal: AbortSignal,
  ): AsyncGenerator<CompletionEvent, void, undefined> {
    if (shutdown.signal.aborted) throw new BusyError('inference engine closed', retryAfterSeconds);
    const normalized = validateRequest(request, limits);
    const prompt = prompts.build(normalized.messages);
    if (prompt.tokens.length >= context.contextSize) {
      throw new LimitExceededError(
        `prompt is ${prompt.tokens.length} tokens; the context holds ${context.contextSize}`,
      );
    }
    const { signal: stop, dispose } = eitherSignal(signal, shutdown.signal);
    let lease: Lease;
    try {
      lease = await pool.acquire(prompt.tokens, stop, normalized.cacheId);
    } catch (error) {
      dispose();
      if (!(error instanceof AbortedWhileQueued)) throw error;
      yield {
        type: 'done',
        finishReason: 'abort',
        usage: {
          promptTokens: prompt.tokens.length,
          completionTokens: 0,
          evaluatedPromptTokens: 0,
        },
      };
      return;
    }
    let finished!: () => void;
    const settled = new Promise<void>((resolve) => {
      finished = resolve;
    });
    running.add(settled);
    let last: DoneEvent;
    try {
      // Another conversation's tokens: cleared, so its prefix cannot speed this request up.
      if (!lease.reuse) await lease.sequence.clearHistory();
      last = yield* generateOnSequence(
        lease.sequence,
        { ...prompt, stopTexts: [...prompt.stopTexts, ...normalized.stop] },
        {
          maxTokens: normalized.maxTokens,
          temperature: normalized.temperature,
          topP: normalized.topP,
          ...(normalized.seed === undefined ? {} : { seed: normalized.seed }),
        },
        stop,
      );
    } finally {
      dispose();
      lease.release();
      running.delete(settled);
      finished();
    }
    // The sequence is already free when the consumer sees `done`.
    yield last;
  }

  return {
    model: {
      name: loaded.name,
      sha256: loaded.sha256,
      path: loaded.path,
      sizeBytes: loaded.sizeBytes,
    },
    threads,
    sequences,
    queueLimit,
    contextSize: context.contextSize,
    promptFormat: prompts.format,
    complete,
    stats: () => ({ busy: pool.busy, queued: pool.queued }),
    async close() {
      if (shutdown.signal.aborted) return;
      shutdown.abort();
      pool.close(new BusyError('inference engine closed', retryAfterSeconds));
      // Running generations see the abort at their next token; one whose consumer stopped
      // pulling without calling return() is not waited for beyond CLOSE_GRACE_MS.
      await Promise.race([Promise.all(running), delay(CLOSE_GRACE_MS)]);
      await context.dispose();
      await model.dispose();
    },
  };
}

/** KV-cache bytes one more sequence of `contextSize` costs, by node-llama-cpp's estimate. */
async function bytesPerSequence(model: LlamaModel, contextSize: number): Promise<number> {
  const estimate = (sequences: number) =>
    model.fileInsights.estimateContextResourceRequirementsV2({
      contextSize,
      modelGpuLayers: 0,
      sequences,
    });
  const [one, two] = await Promise.all([estimate(1), estimate(2)]);
  return Math.max(1, two.cpuRam + two.gpuVram - (one.cpuRam + one.gpuVram));
}

/**
 * A signal that aborts when either input does, with listeners removed by `dispose` (instead of
 * `AbortSignal.any`, whose combined signals Node 20 keeps alive on a long-lived input).
 */
function eitherSignal(a: AbortSignal, b: AbortSignal): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  if (a.aborted || b.aborted) abort();
  a.addEventListener('abort', abort, { once: true });
  b.addEventListener('abort', abort, { once: true });
  return {
    signal: controller.signal,
    dispose: () => {
      a.removeEventListener('abort', abort);
      b.removeEventListener('abort', abort);
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function positiveInt(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigurationError(`${name} must be a positive integer`);
  }
  return value;
}

function nonNegativeInt(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new ConfigurationError(`${name} must be a non-negative integer`);
  }
  return value;
}

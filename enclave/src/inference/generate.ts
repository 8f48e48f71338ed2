/**
 * One completion on one context sequence: reuse the cached prefix, evaluate the rest of the
 * prompt, then sample token by token, streaming text as it is decoded.
 *
 * Prefix reuse: the sequence keeps the tokens of its previous request in its KV cache.
 * `adaptStateToTokens` erases the cache after the longest common prefix with the new prompt
 * (keeping at least one prompt token to evaluate, since the first sampled token needs its
 * logits), and only the remainder is evaluated. `evaluatedPromptTokens` is read from the
 * sequence's own `TokenMeter` (input + output tokens decoded) between the start and the first
 * sampled token, so it is what llama.cpp actually decoded, not an estimate.
 *
 * The KV cache never shifts: generation ends with `length` when the sequence is full, so each
 * sequence's memory is its fixed `contextSize`.
 */
import type { LlamaContextSequence, Token } from 'node-llama-cpp';
import type { PreparedPrompt } from './prompt';

export type FinishReason = 'stop' | 'length' | 'abort';

export interface CompletionUsage {
  promptTokens: number;
  completionTokens: number;
  /** Prompt tokens llama.cpp had to evaluate; the rest came from the sequence's cache. */
  evaluatedPromptTokens: number;
}

export type DeltaEvent = { type: 'delta'; text: string };
export type DoneEvent = { type: 'done'; finishReason: FinishReason; usage: CompletionUsage };
export type CompletionEvent = DeltaEvent | DoneEvent;

export interface SamplingOptions {
  maxTokens: number;
  temperature: number;
  topP: number;
  seed?: number;
}

/** A token that decodes to this is an incomplete UTF-8 sequence; wait for the next one. */
const REPLACEMENT_CHAR = '\uFFFD';
const MAX_PENDING_PARTIAL_TOKENS = 4;
/** How many preceding tokens the detokenizer sees, for leading-space rules. */
const DETOKENIZE_CONTEXT_TOKENS = 8;

/**
 * Generates on `sequence`, which the caller holds exclusively until the generator finishes.
 * Yields the deltas and returns the `done` event (so the caller can free the sequence before
 * passing `done` on). Stops promptly when `signal` aborts (checked after every decoded token;
 * a long prompt's evaluation itself is not interrupted), with finish reason `abort`. Sampling
 * is node-llama-cpp's: temperature 0 is greedy; no repeat penalty is applied.
 */
export async function* generateOnSequence(
  sequence: LlamaContextSequence,
  prompt: PreparedPrompt,
  sampling: SamplingOptions,
  signal: AbortSignal,
): AsyncGenerator<DeltaEvent, DoneEvent, undefined> {
  const model = sequence.model;
  const promptTokens = prompt.tokens;
  const usage: CompletionUsage = {
    promptTokens: promptTokens.length,
    completionTokens: 0,
    evaluatedPromptTokens: 0,
  };
  if (signal.aborted) return { type: 'done', finishReason: 'abort', usage };

  await sequence.adaptStateToTokens(promptTokens.slice(0, -1), false);
  const meterAtStart = sequence.tokenMeter.getState();
  const toEvaluate = promptTokens.slice(sequence.nextTokenIndex);
  const stops = new StopTextMatcher(prompt.stopTexts);
  const history: Token[] = promptTokens.slice(-DETOKENIZE_CONTEXT_TOKENS);
  const partial: Token[] = [];
  let finishReason: FinishReason = 'length';
  let first = true;

  const evaluation = sequence.evaluate(toEvaluate, {
    temperature: sampling.temperature,
    topP: sampling.topP,
    ...(sampling.seed === undefined ? {} : { seed: sampling.seed }),
    yieldEogToken: true,
  });
  try {
    for await (const token of evaluation) {
      if (first) {
        first = false;
        const used = sequence.tokenMeter.diff(meterAtStart);
        usage.evaluatedPromptTokens = used.usedInputTokens + used.usedOutputTokens;
      }
      if (signal.aborted) {
        finishReason = 'abort';
        break;
      }
      if (model.isEogToken(token) || prompt.stopTokens.has(token)) {
        finishReason = 'stop';
        break;
      }
      usage.completionTokens++;
      partial.push(token);
      const text = model.detokenize(partial, false, history);
      // An incomplete UTF-8 character waits for the token that completes it.
      if (!text.endsWith(REPLACEMENT_CHAR) || partial.length >= MAX_PENDING_PARTIAL_TOKENS) {
        history.push(...partial);
        history.splice(0, Math.max(0, history.length - DETOKENIZE_CONTEXT_TOKENS));
        partial.length = 0;
        const { emit, stopped } = stops.push(text);
        if (emit !== '') yield { type: 'delta', text: emit };
        if (stopped) {
          finishReason = 'stop';
          break;
        }
      }
      if (usage.completionTokens >= sampling.maxTokens) break;
      if (sequence.nextTokenIndex >= sequence.contextSize - 1) break;
      if (signal.aborted) {
        finishReason = 'abort';
        break;
      }
    }
  } finally {
    // Ends llama.cpp's evaluation loop for this sequence even when the consumer stopped early.
    await evaluation.return();
  }
  if (first) {
    const used = sequence.tokenMeter.diff(meterAtStart);
    usage.evaluatedPromptTokens = used.usedInputTokens + used.usedOutputTokens;
  }
  // Text held back as a possible stop-string start is output after all when no stop matched.
  const rest = stops.flush();
  if (rest !== '') yield { type: 'delta', text: rest };
  return { type: 'done', finishReason, usage };
}

/**
 * Finds stop strings across token boundaries: text that could still be the start of a stop
 * string is held back until it is known not to be.
 */
export class StopTextMatcher {
  held = '';
  constructor(private readonly stops: readonly string[]) {}

  /** Adds decoded text; returns what can be emitted now and whether a stop string matched. */
  push(text: string): { emit: string; stopped: boolean } {
    if (this.stops.length === 0) return { emit: text, stopped: false };
    const buffer = this.held + text;
    let cut = -1;
    for (const stop of this.stops) {
      const at = buffer.indexOf(stop);
      if (at !== -1 && (cut === -1 || at < cut)) cut = at;
    }
    if (cut !== -1) {
      this.held = '';
      return { emit: buffer.slice(0, cut), stopped: true };
    }
    const keep = this.longestStopPrefixSuffix(buffer);
    this.held = buffer.slice(buffer.length - keep);
    return { emit: buffer.slice(0, buffer.length - keep), stopped: false };
  }

  /** Returns and clears the held-back text (generation ended without a stop string). */
  flush(): string {
    const rest = this.held;
    this.held = '';
    return rest;
  }

  private longestStopPrefixSuffix(buffer: string): number {
    let best = 0;
    for (const stop of this.stops) {
      for (let n = Math.min(stop.length - 1, buffer.length); n > best; n--) {
        if (buffer.endsWith(stop.slice(0, n))) {
          best = n;
          break;
        }
      }
    }
    return best;
  }
}

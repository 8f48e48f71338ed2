/**
 * How many requests the enclave runs at once (context sequences) and how many
 * may wait, when `SOTTO_SEQUENCES` / `SOTTO_QUEUE_LIMIT` are not set.
 *
 * A sequence costs KV-cache memory (its `contextSize` cells, allocated once
 * at start); node-llama-cpp estimates it from the model's own GGUF metadata
 * (layers, KV heads, head size), and the cost of one more sequence is the
 * difference of two estimates. Rule:
 *   - at most half of the memory free at start goes to the KV cache;
 *   - on CPU, llama.cpp decodes the sequences of one batch together, which
 *     helps while the cores have time left; beyond about two sequences per
 *     core the batch only makes each answer slower, so at most that many
 *     (and at least 2, so one long answer cannot hold the enclave alone);
 *   - never more than {@link MAX_SEQUENCES}.
 * The queue holds {@link QUEUE_PER_SEQUENCE} waiting requests per sequence: a
 * waiting request holds only its sealed body (≤ `SOTTO_MAX_BODY_BYTES`), no KV
 * cache, and waits at most that many answers. The overflow is refused at the
 * door with 503 + Retry-After (admission.ts) and retried by the clients.
 *
 * Estimated for the test model (stories260K, 512-token context): 0.31 MiB per
 * sequence (2.5 MiB at 4,096 tokens), so on this 2-core VM memory never binds
 * and the core rule gives 4 sequences and a queue of 64; the 200-request burst
 * (e2e/enclave-burst.test.ts) completes with them. For real models the memory
 * rule binds first: Llama 3.2 1B (16 layers, 8 KV heads of 64, f16) needs
 * 32 KiB per token, 128 MiB per 4,096-token sequence. The core rule is
 * llama.cpp's batching behaviour, not a measurement on a large model here.
 *
 * The context size (`SOTTO_CONTEXT`, tokens per sequence) defaults to the model's trained
 * size, capped by the same memory rule: when {@link MIN_DEFAULT_SEQUENCES} sequences of the
 * trained size do not fit the KV share, the default shrinks (in steps of
 * {@link CONTEXT_STEP_TOKENS}, llama.cpp's rounding) until they do. A 128k-token model on a
 * small VM thus starts with the context it can hold rather than failing; clients read the
 * size from the evidence and plan long pages by it (protocol client/plan/).
 */
import os from 'node:os';
import { ConfigurationError } from '@sotto/protocol';

export const MAX_SEQUENCES = 16;
export const QUEUE_PER_SEQUENCE = 16;
/** Share of the free memory the KV cache may take. */
export const KV_MEMORY_SHARE = 0.5;

export interface CapacityInput {
  /** KV-cache bytes one more sequence costs. */
  bytesPerSequence: number;
  /** Default `os.freemem()`. */
  freeMemoryBytes?: number;
  /** Default `os.availableParallelism()`. */
  cores?: number;
}

export interface Capacity {
  sequences: number;
  queueLimit: number;
}

/**
 * Sequences and queue by the rule in this file's header.
 * @throws ConfigurationError when even one sequence does not fit the memory.
 */
export function chooseCapacity({
  bytesPerSequence,
  freeMemoryBytes = os.freemem(),
  cores = os.availableParallelism(),
}: CapacityInput): Capacity {
  const byMemory = Math.floor((freeMemoryBytes * KV_MEMORY_SHARE) / Math.max(1, bytesPerSequence));
  if (byMemory < 1) {
    throw new ConfigurationError(
      `one context sequence needs ${Math.ceil(bytesPerSequence / 2 ** 20)} MiB of KV cache; ` +
        'free memory or set a smaller context',
    );
  }
  const byCores = Math.max(2, 2 * cores);
  const sequences = Math.max(1, Math.min(byMemory, byCores, MAX_SEQUENCES));
  return { sequences, queueLimit: sequences * QUEUE_PER_SEQUENCE };
}

/** Sequences the default context size leaves room for (the core rule's minimum). */
export const MIN_DEFAULT_SEQUENCES = 2;
/** llama.cpp rounds a context up to a multiple of this. */
export const CONTEXT_STEP_TOKENS = 256;

export interface ContextInput {
  /** The model's trained context (GGUF `context_length`). */
  trainContextSize: number;
  /** KV-cache bytes of one sequence at `trainContextSize`. */
  bytesPerSequenceAtTrain: number;
  /** Default `os.freemem()`. */
  freeMemoryBytes?: number;
}

/**
 * The default context size by the rule in this file's header: the trained size, or less when
 * memory binds, never below {@link CONTEXT_STEP_TOKENS} (or the trained size, if smaller).
 */
export function chooseContextSize({
  trainContextSize,
  bytesPerSequenceAtTrain,
  freeMemoryBytes = os.freemem(),
}: ContextInput): number {
  const budget = freeMemoryBytes * KV_MEMORY_SHARE;
  const needed = MIN_DEFAULT_SEQUENCES * Math.max(1, bytesPerSequenceAtTrain);
  if (needed <= budget) return trainContextSize;
  // The KV cache grows linearly with the context, so scale the trained size down.
  const fits = Math.floor((trainContextSize * budget) / needed);
  const stepped = Math.floor(fits / CONTEXT_STEP_TOKENS) * CONTEXT_STEP_TOKENS;
  return Math.min(trainContextSize, Math.max(CONTEXT_STEP_TOKENS, stepped));
}

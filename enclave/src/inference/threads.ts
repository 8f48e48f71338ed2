/**
 * How many CPU threads llama.cpp gets. Never the library default: node-llama-cpp's default is
 * max(cores useful for math, 4), which oversubscribes a small machine badly.
 *
 * Measured with `enclave/scripts/measure-threads.ts` (node-llama-cpp 3.22.1, prebuilt linux-x64
 * CPU binary, Node 20, 2-core x86 VM, os.availableParallelism() = 2), stories260K.gguf
 * (1.2 MB, f32), greedy, 120 tokens, best of 3:
 *
 *   threads 1:        1,549 tokens/s  (120 tokens in     77 ms)
 *   threads 2:          107 tokens/s  (120 tokens in  1,119 ms)  14x slower
 *   default (4):          2 tokens/s  (120 tokens in 70,234 ms)  ~900x slower (1 run)
 *
 * For a tiny model each token is microseconds of arithmetic, so waking and synchronising worker
 * threads costs more than it saves; with threads > free cores the spinning workers also fight
 * the event loop. Rule:
 *   - an explicit override (SOTTO_THREADS) wins;
 *   - models under {@link TINY_MODEL_BYTES}: 1 thread (measured above);
 *   - larger models: decoding is memory-bandwidth bound and scales with cores up to about the
 *     physical core count, so use the available cores, leaving one to the gateway's event loop
 *     (HPKE sealing, HTTP) when there are more than two, and at most {@link MAX_THREADS}.
 *     This branch follows llama.cpp's own guidance (threads = physical cores); it is not
 *     measured here, because this machine has only the tiny test model.
 */
import os from 'node:os';
import { ConfigurationError } from '@sotto/protocol';

/** Below this size a model runs fastest on a single thread (see the measurements above). */
export const TINY_MODEL_BYTES = 64 * 2 ** 20;
/** Beyond this many threads llama.cpp's CPU decode stops scaling on common hardware. */
export const MAX_THREADS = 32;

export interface ChooseThreadsInput {
  modelSizeBytes: number;
  /** Logical cores available to the process. Default `os.availableParallelism()`. */
  cores?: number;
  /** An explicit choice (e.g. from SOTTO_THREADS); wins when given. */
  override?: number;
}

/**
 * Picks the llama.cpp thread count by the rule in this file's header.
 *
 * @throws ConfigurationError when the override is not an integer from 1 to {@link MAX_THREADS}.
 */
export function chooseThreads({
  modelSizeBytes,
  cores = os.availableParallelism(),
  override,
}: ChooseThreadsInput): number {
  if (override !== undefined) {
    if (!Number.isInteger(override) || override < 1 || override > MAX_THREADS) {
      throw new ConfigurationError(
        `SOTTO_THREADS must be an integer from 1 to ${MAX_THREADS}, got ${String(override)}`,
      );
    }
    return override;
  }
  if (modelSizeBytes < TINY_MODEL_BYTES) return 1;
  const usable = cores > 2 ? cores - 1 : cores;
  return Math.max(1, Math.min(usable, MAX_THREADS));
}

/**
 * Parses a SOTTO_THREADS value: undefined or empty means "choose for me".
 *
 * @throws ConfigurationError when the value is not a positive integer.
 */
export function parseThreadsSetting(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (!/^\d+$/.test(value.trim())) {
    throw new ConfigurationError(
      `SOTTO_THREADS must be a positive integer, got ${JSON.stringify(value.slice(0, 16))}`,
    );
  }
  return Number(value.trim());
}

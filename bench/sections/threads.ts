/**
 * Item 4: tokens/s against llama.cpp thread count, 1 … cores, for the test model and the
 * random-weight models (gguf/models.ts). One bench enclave per thread count, all loaded at
 * once (the GGUF is memory-mapped, so they share its pages), requests interleaved over the
 * plaintext route: the figure is the engine's own speed, with no encryption in the way. The
 * enclave's rule (`chooseThreads`) is checked against the fastest setting.
 */
import os from 'node:os';
import { chooseThreads } from '../../enclave/src/inference/threads';
import type { BenchModel } from '../gguf/models';
import { plainChat } from '../lib/chat-clients';
import { type Child, startBenchEnclave } from '../lib/processes';
import { interleaved, pairedRatio, roundSummary, type Summary, summarize } from '../lib/stats';
import { summarizeRequest } from './ttft';

export interface ThreadsCase {
  model: string;
  parameters: number;
  sizeMiB: number;
  maxTokens: number;
  promptChars: number;
  byThreads: { threads: number; tokensPerSecond: Summary; ttftMs: Summary }[];
  fastestThreads: number;
  /** What `chooseThreads` picks for this model on this machine. */
  chosenThreads: number;
  /** Chosen setting's median tokens/s ÷ the fastest's. */
  chosenVsFastest: number;
  /** The same ratio per repetition (the two settings ran in the same round). */
  chosenVsFastestPaired: Summary;
}

export async function benchThreads(
  model: BenchModel,
  maxTokens: number,
  reps: number,
  promptChars = 600,
): Promise<ThreadsCase> {
  const cores = os.availableParallelism();
  const counts = Array.from({ length: cores }, (_, i) => i + 1);
  const enclaves: Child[] = [];
  try {
    for (const threads of counts) {
      // The model's own context (stories260K: 512): a larger SOTTO_CONTEXT is refused at start.
      enclaves.push(await startBenchEnclave({ model: model.path, threads }));
    }
    const tps: Record<string, number[]> = {};
    const ttft: Record<string, number[]> = {};
    const fns: Record<string, () => Promise<number>> = {};
    counts.forEach((threads, i) => {
      tps[threads] = [];
      ttft[threads] = [];
      fns[threads] = async () => {
        const t = await plainChat(
          enclaves[i]!.url,
          summarizeRequest(promptChars, maxTokens, promptChars),
        );
        tps[threads]!.push(t.tokensPerSecond);
        ttft[threads]!.push(t.ttftMs);
        return t.tokensPerSecond;
      };
    });
    const measured = await interleaved(fns, reps, 1);
    const byThreads = counts.map((threads) => ({
      threads,
      tokensPerSecond: roundSummary(summarize(measured[threads]!)),
      ttftMs: roundSummary(summarize(ttft[threads]!.slice(-reps))),
    }));
    const fastest = byThreads.reduce((a, b) =>
      b.tokensPerSecond.median > a.tokensPerSecond.median ? b : a,
    );
    const chosen = chooseThreads({ modelSizeBytes: model.sizeBytes, cores });
    const chosenRow = byThreads.find((r) => r.threads === chosen) ?? fastest;
    return {
      model: model.name,
      parameters: model.parameters,
      sizeMiB: Math.round(model.sizeBytes / 2 ** 20),
      maxTokens,
      promptChars,
      byThreads,
      fastestThreads: fastest.threads,
      chosenThreads: chosen,
      chosenVsFastest: Number(
        (chosenRow.tokensPerSecond.median / fastest.tokensPerSecond.median).toFixed(3),
      ),
      chosenVsFastestPaired: roundSummary(
        pairedRatio(measured[chosenRow.threads]!, measured[fastest.threads]!),
      ),
    };
  } finally {
    for (const e of enclaves) await e.stop();
  }
}

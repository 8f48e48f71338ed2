/**
 * Measures generation speed of a GGUF model at several llama.cpp thread counts, to ground the
 * rule in `src/inference/threads.ts`. Not a test: run by hand on the target machine.
 *
 *   npx tsx enclave/scripts/measure-threads.ts [model.gguf] [tokens]
 *
 * Each configuration runs in its own child process (a fresh llama.cpp thread pool), greedy
 * decoding of "Once upon a time", best of three runs. "default" leaves `threads` and
 * `maxThreads` unset, as a caller who did not choose would; it is capped by a timeout.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { getLlama, LlamaLogLevel } from 'node-llama-cpp';

const DEFAULT_MODEL = fileURLToPath(
  new URL('../../../shared/models/stories260K.gguf', import.meta.url),
);
const CHILD_TIMEOUT_MS = 90_000;

async function child(modelPath: string, threads: string, tokens: number): Promise<void> {
  const chosen = threads === 'default' ? undefined : Number(threads);
  const llama = await getLlama({
    gpu: false,
    build: 'never',
    skipDownload: true,
    logLevel: LlamaLogLevel.error,
    ...(chosen === undefined ? {} : { maxThreads: 0 }),
  });
  const model = await llama.loadModel({ modelPath });
  const context = await model.createContext({
    contextSize: 512,
    ...(chosen === undefined ? {} : { threads: chosen }),
  });
  const sequence = context.getSequence();
  const prompt = [
    ...(model.tokens.bos === null ? [] : [model.tokens.bos]),
    ...model.tokenize('Once upon a time'),
  ];
  const rates: number[] = [];
  const runs = chosen === undefined ? 1 : 3;
  for (let run = 0; run < runs; run++) {
    await sequence.clearHistory();
    let generated = 0;
    const start = process.hrtime.bigint();
    for await (const token of sequence.evaluate(prompt, { temperature: 0 })) {
      generated++;
      if (generated >= tokens || model.isEogToken(token)) break;
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    rates.push(generated / seconds);
  }
  const best = Math.max(...rates);
  process.stdout.write(
    `${JSON.stringify({ threads, actualThreads: context.currentThreads || context.idealThreads, tokens, tokensPerSecond: Math.round(best), msFor: Math.round((tokens / best) * 1000) })}\n`,
  );
  await context.dispose();
  await model.dispose();
}

async function main(): Promise<void> {
  const [modeOrModel, ...rest] = process.argv.slice(2);
  if (modeOrModel === '--child') {
    const [modelPath, threads, tokens] = rest;
    await child(modelPath!, threads!, Number(tokens));
    return;
  }
  const modelPath = modeOrModel ?? DEFAULT_MODEL;
  const tokens = Number(rest[0] ?? 120);
  process.stdout.write(
    `cores (os.availableParallelism): ${os.availableParallelism()}, model: ${modelPath}, tokens: ${tokens}\n`,
  );
  for (const threads of ['1', '2', 'default']) {
    const result = spawnSync(
      process.execPath,
      [
        ...process.execArgv,
        fileURLToPath(import.meta.url),
        '--child',
        modelPath,
        threads,
        String(tokens),
      ],
      { encoding: 'utf8', timeout: CHILD_TIMEOUT_MS },
    );
    if (result.error || result.status !== 0) {
      process.stdout.write(
        `${JSON.stringify({ threads, result: result.error ? `stopped after ${CHILD_TIMEOUT_MS / 1000} s` : `exit ${result.status}` })}\n`,
      );
      continue;
    }
    process.stdout.write(result.stdout);
  }
}

await main();

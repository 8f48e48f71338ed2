/**
 * `npm run bench`: every measurement of issue 8 with default settings (about 6–8 minutes on a
 * 2-core machine), written to bench/results/latest.json (git-ignored) and as a dated summary
 * into BENCHMARKS.md. Not part of `npm test`; nothing here asserts a time.
 *
 *   --quick          fewer repetitions, no 300M model (a smoke run, ~2 minutes)
 *   --skip-big       leave out the ~300M-parameter model in item 4
 *   --no-pin         do not keep the server under test and the client on separate cores
 *   --only=a,b       run only these sections (seal, attestation, relay, ttft, turns, threads, kem,
 *                    pacing);
 *                    writes bench/results/partial.json and leaves BENCHMARKS.md alone
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { resolve } from 'node:path';
import { ensureRandomModel, RANDOM_30M, RANDOM_300M, testModel } from './gguf/models';
import { pinningPlan, pinSelf } from './lib/cpu-pinning';
import { REPO_ROOT } from './lib/processes';
import {
  attestationHeadline,
  failed,
  kemHeadline,
  type Headline,
  pacingHeadline,
  relayHeadline,
  sealHeadline,
  threadsHeadline,
  tokensPerSecondHeadline,
  ttftHeadline,
  turnsHeadline,
} from './report/headlines';
import { type Results, writeSummary } from './report/markdown';
import { benchAttestation } from './sections/attestation';
import { benchKem } from './sections/kem';
import { benchPacing, type PacingCase } from './sections/pacing';
import { benchRelay } from './sections/relay';
import { benchSeal } from './sections/seal';
import { benchThreads, type ThreadsCase } from './sections/threads';
import { benchTtft, benchTurns, startStack, type TtftCase } from './sections/ttft';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const skipBig = quick || args.includes('--skip-big');
const only = args
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',');
const wants = (name: string) => !only || only.includes(name);
const reps = (normal: number, fast: number) => (quick ? fast : normal);
const pinning = pinningPlan(!args.includes('--no-pin'));

const started = performance.now();
const cores = os.availableParallelism();
const loadBefore = os.loadavg().map((x) => Number(x.toFixed(2)));
const log = (msg: string) =>
  console.log(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${msg}`);

async function attempt<T>(
  name: string,
  target: string,
  run: () => Promise<T>,
  headline: (r: T) => Headline,
): Promise<Headline> {
  log(`${name} …`);
  try {
    const h = headline(await run());
    log(`${name}: ${h.median} ${h.unit} (target ${h.target}) ${h.met ? 'met' : 'MISSED'}`);
    return h;
  } catch (e) {
    log(`${name} failed: ${e instanceof Error ? e.stack : String(e)}`);
    return failed(target, e);
  }
}

const skipped = (target: string) => failed(target, 'not run (--only)');

const seal = wants('seal')
  ? await attempt('seal', '≤ 1.1', () => benchSeal(reps(20, 6)), sealHeadline)
  : skipped('≤ 1.1');

const attestation = wants('attestation')
  ? await attempt(
      'attestation',
      'cold ≤ 100 ms',
      () => benchAttestation(reps(10, 3), 10),
      attestationHeadline,
    )
  : skipped('cold ≤ 100 ms');

// Items 3, 1 and 5 drive a server from this process: keep them on separate cores.
pinSelf(pinning?.client);

const relay = wants('relay')
  ? await attempt(
      'relay',
      'p99 added ≤ 1 ms; RSS flat',
      () =>
        benchRelay({
          levels: [1, 50, 200],
          chunks: 25,
          intervalMs: 20,
          runs: (n) => (n === 1 ? reps(8, 3) : reps(4, 2)),
          ...(pinning ? { pinning } : {}),
        }),
      relayHeadline,
    )
  : skipped('p99 added ≤ 1 ms; RSS flat');

// Items 1 and 5: the test model (tiny: inference is a few ms, so any fixed cost shows) and the
// ~30M random model (inference dominates, closer to a deployment).
const ttftCases: TtftCase[] = [];
let turnsResult: Headline = skipped('≤ 1.2');
let kemResult: Headline = skipped('≤ 1 ms');
let ttftError: unknown;
if (wants('ttft') || wants('turns') || wants('kem')) {
  const small = testModel();
  const mid = wants('ttft') || wants('turns') ? ensureRandomModel(RANDOM_30M) : undefined;
  for (const [model, contextSize, maxTokens, n] of [
    [small, undefined, 48, reps(16, 3)],
    ...(mid ? ([[mid, 2048, 24, reps(10, 2)]] as const) : []),
  ] as const) {
    log(`starting enclave + relay for ${model.name}`);
    try {
      const stack = await startStack(model.path, 1, contextSize, pinning);
      try {
        if (wants('ttft')) {
          log(`ttft: ${model.name}`);
          ttftCases.push(
            ...(await benchTtft(stack, model.name, [1024, 32768, 262144], n, maxTokens)),
          );
        }
        if (wants('kem') && model === small) {
          kemResult = await attempt(
            'kem',
            '≤ 1 ms',
            () => benchKem(stack, model.name, reps(60, 10), reps(30, 6)),
            kemHeadline,
          );
        }
        if (wants('turns') && model === mid) {
          turnsResult = await attempt(
            'turns',
            '≤ 1.2',
            () => benchTurns(stack, model.name, reps(6, 2), 16),
            turnsHeadline,
          );
        }
      } finally {
        await stack.stop();
      }
    } catch (e) {
      ttftError = e;
      log(`ttft (${model.name}) failed: ${e instanceof Error ? e.stack : String(e)}`);
    }
  }
}
const ttft =
  ttftCases.length > 0 ? ttftHeadline(ttftCases) : failed('≤ 1.02', ttftError ?? 'not run');
const tokensPerSecond =
  ttftCases.length > 0
    ? tokensPerSecondHeadline(ttftCases)
    : failed('≥ 0.99', ttftError ?? 'not run');
if (ttftCases.length > 0) {
  log(`ttft: ${ttft.median} (target ${ttft.target}); tokens/s: ${tokensPerSecond.median}`);
}

// Issue 13: padding and pacing on vs off, same requests interleaved, in this run.
const pacingCases: PacingCase[] = [];
const pacing = wants('pacing')
  ? await attempt(
      'pacing',
      '≥ 0.99; added TTFT and time to last text ≤ 50ms',
      async () => {
        log('pacing: stories260K');
        pacingCases.push(
          await benchPacing(testModel(), undefined, 200, reps(12, 3), pinning ?? undefined),
        );
        // The cadence setting: the default and one step either side, on the ~30M model.
        for (const cadence of ['25ms', '50ms', '100ms']) {
          log(`pacing: ~30M, ${cadence}`);
          pacingCases.push(
            await benchPacing(
              ensureRandomModel(RANDOM_30M),
              2048,
              48,
              reps(8, 2),
              pinning ?? undefined,
              cadence,
            ),
          );
        }
        return pacingCases;
      },
      pacingHeadline,
    )
  : skipped('≥ 0.99; added TTFT and time to last text ≤ 50ms');

// Item 4 measures the engine alone, on every core.
pinSelf(undefined);

const threadsCases: ThreadsCase[] = [];
let threads: Headline = skipped('chosen ≥ 0.95 × fastest');
if (wants('threads')) {
  threads = await attempt(
    'threads',
    'chosen ≥ 0.95 × fastest',
    async () => {
      log('threads: stories260K');
      threadsCases.push(await benchThreads(testModel(), 32, reps(5, 2)));
      log('threads: ~30M');
      threadsCases.push(await benchThreads(ensureRandomModel(RANDOM_30M), 24, reps(5, 2)));
      if (!skipBig) {
        log('threads: ~300M (writing the model on first use)');
        threadsCases.push(await benchThreads(ensureRandomModel(RANDOM_300M), 12, 3, 200));
      }
      return threadsCases;
    },
    threadsHeadline,
  );
}

const cpus = os.cpus();
const results: Results = {
  environment: {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpu: cpus[0]?.model.trim() ?? 'unknown CPU',
    cores,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    loadBefore,
    loadAfter: os.loadavg().map((x) => Number(x.toFixed(2))),
    durationS: Math.round((performance.now() - started) / 1000),
    options: args.join(' '),
    pinning: pinning
      ? `server under test on CPU ${pinning.server}, bench client on CPU ${pinning.client} (items 1, 3, 5)`
      : 'none',
  },
  ttft,
  tokensPerSecond,
  seal,
  relay,
  threads,
  turns: turnsResult,
  attestation,
  kem: kemResult,
  pacing,
};

const dir = resolve(REPO_ROOT, 'bench/results');
mkdirSync(dir, { recursive: true });
const file = only ? 'partial.json' : 'latest.json';
writeFileSync(resolve(dir, file), `${JSON.stringify(results, null, 2)}\n`);
if (!only) writeSummary(resolve(REPO_ROOT, 'BENCHMARKS.md'), results);
log(`wrote bench/results/${file}${only ? '' : ' and BENCHMARKS.md'}`);
process.exit(0);

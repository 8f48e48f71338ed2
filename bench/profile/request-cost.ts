/**
 * Issue 17, "Fixed cost per request": where the time and the CPU of an encrypted request
 * go, against the plaintext twin, directly against one bench enclave (no relay; test model;
 * unpaced unless told), run by hand: `npx tsx bench/profile/request-cost.ts [rounds] [pace]`
 * (pace: `off`, the default here, or a cadence such as `50ms`, the deployed default, where
 * one sealed chunk carries an interval's tokens). With
 * `BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR"` the enclave writes a CPU profile.
 *
 * Per request and path, interleaved: wall-clock phases at the client (sealing; post to
 * response headers; headers to the first text; first text to the end) and CPU time at the
 * client (`process.cpuUsage`) and at the enclave (`/proc/PID/stat`, 10 ms ticks: summed over
 * many requests, so the mean is right even though one request's reading is coarse). Two
 * answer lengths (8 and 64 tokens) split CPU into a fixed part and a part per token:
 * per token = (CPU at 64 − CPU at 8) / 56, and encrypted − plaintext is the protocol's.
 */
import { cpus, loadavg } from 'node:os';
import {
  fetchAttestedKey,
  type KeyConfig,
  postSealed,
  SseParser,
  sealChatRequest,
} from '@sotto/protocol';
import { installNodeAesGcm } from '@sotto/protocol/node/aes-gcm';
import { cpuMs, startBenchEnclave } from '../lib/processes';
import { summarizeRequest } from '../sections/ttft';

interface Sample {
  sealMs: number;
  headersMs: number;
  firstTextMs: number;
  restMs: number;
  tokens: number;
  clientCpuMs: number;
  enclaveCpuMs: number;
}

// As the CLI does (protocol/src/cli/main.ts); BENCH_AEAD=webcrypto (passed on to the
// enclave too) measures the WebCrypto path instead.
if (process.env.BENCH_AEAD !== 'webcrypto') installNodeAesGcm();
const rounds = Number(process.argv[2] ?? 30);
const pace = process.argv[3] ?? 'off';
const LENGTHS = [8, 64] as const;

async function sealed(url: string, key: KeyConfig, maxTokens: number, pid: number) {
  const cpu0 = process.cpuUsage();
  const e0 = cpuMs(pid);
  const t0 = performance.now();
  const s = await sealChatRequest(key, summarizeRequest(1024, maxTokens));
  const t1 = performance.now();
  const body = await postSealed(url, s);
  const t2 = performance.now();
  let first = Number.NaN;
  let tokens = 0;
  for await (const ev of s.openResponse(body)) {
    if (ev.type === 'delta') first = Number.isNaN(first) ? performance.now() : first;
    else tokens = ev.usage?.completion_tokens ?? 0;
  }
  const t3 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  return sample(t1 - t0, t2 - t1, first - t2, t3 - first, tokens, cpu, cpuMs(pid) - e0);
}

async function plain(url: string, maxTokens: number, pid: number) {
  const cpu0 = process.cpuUsage();
  const e0 = cpuMs(pid);
  const t1 = performance.now();
  const res = await fetch(`${url}/bench/plain/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...summarizeRequest(1024, maxTokens), stream: true }),
  });
  const t2 = performance.now();
  const parser = new SseParser();
  let first = Number.NaN;
  let tokens = 0;
  for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
    for (const data of parser.push(bytes)) {
      if (data === '[DONE]') continue;
      const ev = JSON.parse(data) as {
        choices?: { delta?: { content?: string } }[];
        usage?: { completion_tokens?: number };
      };
      if (ev.choices?.[0]?.delta?.content) first = Number.isNaN(first) ? performance.now() : first;
      if (ev.usage?.completion_tokens) tokens = ev.usage.completion_tokens;
    }
  }
  const t3 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  return sample(0, t2 - t1, first - t2, t3 - first, tokens, cpu, cpuMs(pid) - e0);
}

function sample(
  sealMs: number,
  headersMs: number,
  firstTextMs: number,
  restMs: number,
  tokens: number,
  cpu: NodeJS.CpuUsage,
  enclaveCpuMs: number,
): Sample {
  const clientCpuMs = (cpu.user + cpu.system) / 1000;
  return { sealMs, headersMs, firstTextMs, restMs, tokens, clientCpuMs, enclaveCpuMs };
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : Number.NaN;
};
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const r3 = (n: number) => Math.round(n * 1000) / 1000;

const enclave = await startBenchEnclave({
  model: '../shared/models/stories260K.gguf',
  threads: 1,
  sequences: 1,
  pace,
});
try {
  const { keyConfig } = await fetchAttestedKey(enclave.url, { allowDevelopment: true });
  const runs: Record<string, Sample[]> = {};
  const load0 = loadavg();
  for (let r = -3; r < rounds; r++) {
    for (const n of LENGTHS) {
      const order = r % 2 === 0 ? (['plain', 'sealed'] as const) : (['sealed', 'plain'] as const);
      for (const path of order) {
        const s =
          path === 'plain'
            ? await plain(enclave.url, n, enclave.pid)
            : await sealed(enclave.url, keyConfig, n, enclave.pid);
        if (r >= 0) (runs[`${path}-${n}`] ??= []).push(s);
      }
    }
  }
  const out: Record<string, unknown> = {
    cpu: cpus()[0]?.model,
    loadBefore: load0.map((x) => r3(x)),
    loadAfter: loadavg().map((x) => r3(x)),
    rounds,
    pace,
    aead: process.env.BENCH_AEAD === 'webcrypto' ? 'webcrypto' : 'node:crypto',
  };
  for (const [k, v] of Object.entries(runs)) {
    out[k] = {
      tokens: median(v.map((s) => s.tokens)),
      sealMs: r3(median(v.map((s) => s.sealMs))),
      headersMs: r3(median(v.map((s) => s.headersMs))),
      firstTextMs: r3(median(v.map((s) => s.firstTextMs))),
      ttftMs: r3(median(v.map((s) => s.sealMs + s.headersMs + s.firstTextMs))),
      restMs: r3(median(v.map((s) => s.restMs))),
      clientCpuMs: r3(mean(v.map((s) => s.clientCpuMs))),
      enclaveCpuMs: r3(mean(v.map((s) => s.enclaveCpuMs))),
    };
  }
  const at = (path: string, n: number, f: 'clientCpuMs' | 'enclaveCpuMs' | 'tokens') =>
    (out[`${path}-${n}`] as Record<string, number>)[f]!;
  for (const side of ['clientCpuMs', 'enclaveCpuMs'] as const) {
    const perToken = (path: string) =>
      (at(path, 64, side) - at(path, 8, side)) / (at(path, 64, 'tokens') - at(path, 8, 'tokens'));
    const fixed = (path: string) => at(path, 8, side) - perToken(path) * at(path, 8, 'tokens');
    out[`${side} protocol per token`] = r3(perToken('sealed') - perToken('plain'));
    out[`${side} protocol per request (fixed)`] = r3(fixed('sealed') - fixed('plain'));
  }
  console.log(JSON.stringify(out, null, 1));
} finally {
  await enclave.stop();
}

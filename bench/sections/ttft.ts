/**
 * Items 1 and 5: the encrypted path (seal → relay → enclave gateway → inner app → sealed
 * chunks → open) against the same inference served in plaintext by the bench enclave's plain
 * route, in one enclave process, requests interleaved; and time to first token over a growing
 * conversation. See servers/bench-enclave.ts for the bounded prompt (the whole page travels and
 * is sealed and opened; the model reads its last N characters on both paths).
 */
import {
  type ChatMessage,
  type ChatRequest,
  fetchAttestedKey,
  postSealed,
  sealChatRequest,
} from '@sotto/protocol';
import { type ChatTiming, plainChat, sealedChat } from '../lib/chat-clients';
import type { Pinning } from '../lib/cpu-pinning';
import { pageText } from '../lib/page-text';
import { type Child, startBenchEnclave, startRelay } from '../lib/processes';
import { interleaved, pairedRatio, roundSummary, type Summary, summarize } from '../lib/stats';

export interface TtftCase {
  model: string;
  pageBytes: number;
  reps: number;
  /** Requests that failed (recorded as NaN, left out of the figures), with their messages. */
  failures: string[];
  completionTokens: number;
  ttftMs: { plain: Summary; encryptedDirect: Summary; encryptedRelay: Summary };
  tokensPerSecond: { plain: Summary; encryptedDirect: Summary; encryptedRelay: Summary };
  /** encryptedRelay / plain, paired. */
  ttftRatio: Summary;
  /** encryptedRelay / plain, paired (higher is better). */
  tokensPerSecondRatio: Summary;
}

export interface TurnsResult {
  model: string;
  conversations: number;
  ttftMs: Record<string, Summary>;
  /** TTFT at turn 10 / TTFT at turn 1, per conversation. */
  ratio10to1: Summary;
  /** Prompt tokens in total and evaluated (not served from the cached prefix), per turn, median. */
  promptTokens: Record<string, { total: number; evaluated: number }>;
}

export interface EnclaveStack {
  enclave: Child;
  relay: Child;
  keyConfig: Awaited<ReturnType<typeof fetchAttestedKey>>['keyConfig'];
  /** Every key of the bound list (X-Wing and X25519); `keyConfig` is the client's choice. */
  keyConfigs: Awaited<ReturnType<typeof fetchAttestedKey>>['keyConfigs'];
  stop(): Promise<void>;
}

/**
 * Starts a bench enclave and a relay in front of it; answers unpaced unless `pace` names a
 * cadence (items 1 and 5 measure the encryption; bench/sections/pacing.ts adds pacing's cost).
 * With `pinning`, the enclave gets the
 * server cores and the relay shares the client's (the relay is not what item 1 measures, and
 * in deployment it runs on another host than the enclave).
 */
export async function startStack(
  model: string,
  threads: number,
  contextSize?: number,
  pinning?: Pinning,
  pace = 'off',
): Promise<EnclaveStack> {
  const enclave = await startBenchEnclave({
    model,
    threads,
    sequences: 1,
    pace,
    promptTailChars: PROMPT_TAIL_CHARS,
    ...(contextSize ? { contextSize } : {}),
    ...(pinning ? { cpus: pinning.server } : {}),
  });
  let relay: Child;
  try {
    relay = await startRelay([enclave.url], pinning?.client);
  } catch (e) {
    await enclave.stop();
    throw e;
  }
  const { keyConfig, keyConfigs } = await fetchAttestedKey(relay.url, { allowDevelopment: true });
  return {
    enclave,
    relay,
    keyConfig,
    keyConfigs,
    async stop() {
      await relay.stop();
      await enclave.stop();
    },
  };
}

/** What the bench enclave feeds the model of each message (BENCH_PROMPT_TAIL_CHARS). */
export const PROMPT_TAIL_CHARS = 600;
const SUFFIX = '\n\nSummary:';
let requestNumber = 0;

/**
 * A summarize request for a `bytes`-long page whose last {@link PROMPT_TAIL_CHARS} characters
 * (all the model reads) start with a request number: every request is evaluated from scratch
 * (no prefix-cache hit from the previous one) and all have the same token count.
 */
export function summarizeRequest(
  bytes: number,
  maxTokens: number,
  tailChars = PROMPT_TAIL_CHARS,
): ChatRequest {
  const marker = `(${String(++requestNumber).padStart(6, '0')}) `;
  const tail = marker + pageText(tailChars - marker.length - SUFFIX.length, 7) + SUFFIX;
  const head = pageText(Math.max(0, bytes - tail.length), 3);
  return {
    messages: [
      { role: 'system', content: 'Summarize the page for a child.' },
      { role: 'user', content: head + tail },
    ],
    max_tokens: maxTokens,
    temperature: 0,
    seed: 1,
  };
}

export async function benchTtft(
  stack: EnclaveStack,
  modelName: string,
  sizes: number[],
  reps: number,
  maxTokens: number,
): Promise<TtftCase[]> {
  const out: TtftCase[] = [];
  for (const bytes of sizes) {
    const request = () => summarizeRequest(bytes, maxTokens);
    let tokens = 0;
    const timings: Record<'plain' | 'encryptedDirect' | 'encryptedRelay', ChatTiming[]> = {
      plain: [],
      encryptedDirect: [],
      encryptedRelay: [],
    };
    const failures: string[] = [];
    const keep = (k: keyof typeof timings) => (p: Promise<ChatTiming>) =>
      p.then(
        (t) => {
          timings[k].push(t);
          tokens = t.completionTokens;
          return t.ttftMs;
        },
        (e: unknown) => {
          failures.push(`${k}: ${e instanceof Error ? e.message : String(e)}`);
          const nan = Number.NaN;
          timings[k].push({ ttftMs: nan, totalMs: nan, completionTokens: 0, tokensPerSecond: nan });
          return nan;
        },
      );
    await interleaved(
      {
        plain: () => keep('plain')(plainChat(stack.enclave.url, request())),
        encryptedDirect: () =>
          keep('encryptedDirect')(sealedChat(stack.enclave.url, stack.keyConfig, request())),
        encryptedRelay: () =>
          keep('encryptedRelay')(sealedChat(stack.relay.url, stack.keyConfig, request())),
      },
      reps,
      2,
    );
    // Drop the warm-up rounds (interleaved() timed them too; they were pushed first).
    for (const k of Object.keys(timings) as (keyof typeof timings)[]) {
      timings[k] = timings[k].slice(-reps);
    }
    const ttft = (k: keyof typeof timings) => timings[k].map((t) => t.ttftMs);
    const tps = (k: keyof typeof timings) => timings[k].map((t) => t.tokensPerSecond);
    out.push({
      model: modelName,
      pageBytes: bytes,
      reps,
      failures,
      completionTokens: tokens,
      ttftMs: {
        plain: roundSummary(summarize(ttft('plain'))),
        encryptedDirect: roundSummary(summarize(ttft('encryptedDirect'))),
        encryptedRelay: roundSummary(summarize(ttft('encryptedRelay'))),
      },
      tokensPerSecond: {
        plain: roundSummary(summarize(tps('plain'))),
        encryptedDirect: roundSummary(summarize(tps('encryptedDirect'))),
        encryptedRelay: roundSummary(summarize(tps('encryptedRelay'))),
      },
      ttftRatio: roundSummary(pairedRatio(ttft('encryptedRelay'), ttft('plain'))),
      tokensPerSecondRatio: roundSummary(pairedRatio(tps('encryptedRelay'), tps('plain'))),
    });
  }
  return out;
}

/**
 * A conversation of 10 turns through the encrypted path; each turn adds the model's answer and
 * a new user message (~200 characters; the first one 260, see below). The engine reuses the cached prefix of the previous
 * turn, so only the new tokens are evaluated.
 */
const TURN_CHARS = 200;
const FIRST_TURN_EXTRA_CHARS = 60;

export async function benchTurns(
  stack: EnclaveStack,
  modelName: string,
  conversations: number,
  maxTokens: number,
): Promise<TurnsResult> {
  const at: Record<number, number[]> = { 1: [], 5: [], 10: [] };
  const tokensAt: Record<number, { total: number[]; evaluated: number[] }> = {
    1: { total: [], evaluated: [] },
    5: { total: [], evaluated: [] },
    10: { total: [], evaluated: [] },
  };
  const requestLogs = () => stack.enclave.logs.filter((l) => l.route === 'ohttp');
  for (let c = 0; c < conversations + 1; c++) {
    const logsBefore = requestLogs().length;
    const messages: ChatMessage[] = [];
    for (let turn = 1; turn <= 10; turn++) {
      // Later turns also evaluate the previous answer (and a few tokens where its text
      // re-tokenizes differently), so turn 1 carries that much more text: every turn then
      // evaluates about the same number of new tokens, and the ratio isolates the history.
      const chars = turn === 1 ? TURN_CHARS + FIRST_TURN_EXTRA_CHARS : TURN_CHARS;
      messages.push({ role: 'user', content: `${pageText(chars, 100 * c + turn)}\n` });
      const request: ChatRequest = {
        messages,
        max_tokens: maxTokens,
        temperature: 0,
        seed: 1,
        // One conversation, one cache id: prefix reuse is scoped to it (sequence-pool.ts).
        cache_id: `bench-conversation-${c}`,
      };
      let answer = '';
      const start = performance.now();
      let first = Number.NaN;
      const sealed = await sealChatRequest(stack.keyConfig, request);
      for await (const ev of sealed.openResponse(await postSealed(stack.relay.url, sealed))) {
        if (ev.type === 'delta') {
          if (Number.isNaN(first)) first = performance.now();
          answer += ev.text;
        }
      }
      // The first conversation warms up (JIT, caches) and is not counted.
      if (c > 0 && at[turn]) at[turn]!.push(first - start);
      messages.push({ role: 'assistant', content: `${answer}\n` });
    }
    // The enclave logs each request just after its answer ends; wait for all ten lines.
    const deadline = performance.now() + 10_000;
    while (requestLogs().length < logsBefore + 10) {
      if (performance.now() > deadline) throw new Error('the enclave did not log all ten turns');
      await new Promise((r) => setTimeout(r, 5));
    }
    const lines = requestLogs().slice(logsBefore, logsBefore + 10);
    for (const turn of [1, 5, 10]) {
      if (c === 0) continue;
      const line = lines[turn - 1]!;
      tokensAt[turn]!.total.push(Number(line.promptTokens));
      tokensAt[turn]!.evaluated.push(Number(line.evaluatedPromptTokens));
    }
  }
  return {
    model: modelName,
    conversations,
    ttftMs: Object.fromEntries(
      Object.entries(at).map(([k, v]) => [`turn${k}`, roundSummary(summarize(v))]),
    ),
    ratio10to1: roundSummary(pairedRatio(at[10]!, at[1]!)),
    promptTokens: Object.fromEntries(
      Object.entries(tokensAt).map(([k, v]) => [
        `turn${k}`,
        { total: summarize(v.total).median, evaluated: summarize(v.evaluated).median },
      ]),
    ),
  };
}

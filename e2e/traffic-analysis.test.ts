/**
 * Playing the relay (issue 13): from the bytes between the relay and an enclave
 * only — the size and arrival time of each sealed chunk — an estimator tries to
 * recover the token lengths of 50 answers. Against the paced, padded enclave
 * (the default) it must do no better than always guessing the most common
 * length; against the unpadded baseline (`SOTTO_PACE=off`, one chunk per token
 * batch) the same estimator recovers them, so the test can fail.
 *
 * The attacker is given what a real one has: 10 answers of its own, whose
 * plaintext it knows, to calibrate on (the per-chunk overhead, the most common
 * length, the usual number of tokens). Ground truth for each answer is the text
 * of each delta the unpadded enclave sent for the same prompt (greedy decoding
 * gives both enclaves the same text).
 */
import { type AttestedKey, fetchAttestedKey, streamChat } from '@sotto/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PAD_SLOTS } from '../enclave/src/pacer';
import { type EnclaveProcess, startEnclave } from '../enclave/test/support/enclave-process';
import { type RelayProcess, startRelayProcess } from './support/relay-process';
import { type AnswerTrace, startTracingProxy, type TracingProxy } from './support/wire-trace';

/** Response nonce for AES-128-GCM, the AEAD the client prefers: max(Nn, Nk) = 16 (draft-08 §5). */
const NONCE_BYTES = 16;
const TRAINING = 10;
const ANSWERS = 50;

const NAMES = ['Lily', 'Tom', 'Sue', 'Ben', 'Max', 'Amy', 'Sam', 'Tim', 'Mia', 'Joe'];
const THINGS = ['a dog', 'a big tree', 'a red ball', 'a little bird', 'the sun', 'a cake'];
const PROMPTS = Array.from(
  { length: TRAINING + ANSWERS },
  (_, i) => `${NAMES[i % NAMES.length]} saw ${THINGS[Math.floor(i / NAMES.length)]}`,
);

interface Side {
  enclave: EnclaveProcess;
  proxy: TracingProxy;
  relay: RelayProcess;
  key: AttestedKey;
}

async function startSide(env: Record<string, string>): Promise<Side> {
  const enclave = await startEnclave(env);
  const proxy = await startTracingProxy({
    host: '127.0.0.1',
    port: Number(new URL(enclave.url).port),
  });
  const relay = await startRelayProcess({ SOTTO_ENCLAVES: proxy.url, SOTTO_RATE_LIMIT: 'off' });
  const key = await fetchAttestedKey(relay.url, { allowDevelopment: true });
  return { enclave, proxy, relay, key };
}

async function stopSide(s: Side | undefined) {
  await s?.relay.stop();
  await s?.proxy.close();
  await s?.enclave.stop();
}

/** One answer, asked one at a time so traces come in prompt order; returns each delta's byte length. */
async function ask(side: Side, prompt: string): Promise<{ text: string; deltas: number[] }> {
  let text = '';
  const deltas: number[] = [];
  for await (const ev of streamChat(
    side.relay.url,
    { messages: [{ role: 'user', content: prompt }], max_tokens: 24, temperature: 0 },
    { policy: { allowDevelopment: true }, key: side.key },
  )) {
    if (ev.type === 'delta') {
      text += ev.text;
      deltas.push(Buffer.byteLength(ev.text));
    }
  }
  return { text, deltas };
}

interface Calibration {
  offset: number;
  mode: number;
  tokens: number;
}

const modeOf = (xs: number[]) => {
  const counts = new Map<number, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
};

/**
 * Chunks that carry text, by the layout of the unpadded stream: the first holds the
 * response head, the next the role event and the first text, then one per text delta;
 * the last three the finish event, the Binary HTTP end and the final chunk.
 */
const textChunks = (t: AnswerTrace) => t.chunks.slice(1, -3);

function calibrate(traces: AnswerTrace[], truth: number[][]): Calibration {
  const diffs: number[] = [];
  traces.forEach((t, i) =>
    textChunks(t).forEach((c, k) => diffs.push(c.bytes - (truth[i]![k] ?? 0))),
  );
  const all = truth.flat();
  return {
    offset: diffs.length > 0 ? modeOf(diffs) : 0,
    mode: modeOf(all),
    tokens: Math.round(all.length / truth.length),
  };
}

/** Token lengths from sizes: chunk size minus the calibrated overhead; the mode where that is implausible. */
function estimate(t: AnswerTrace, cal: Calibration): number[] {
  const guess = textChunks(t).map((c) => {
    const n = c.bytes - cal.offset;
    return n >= 1 && n <= 64 ? n : cal.mode;
  });
  while (guess.length < cal.tokens) guess.push(cal.mode);
  return guess;
}

function accuracy(guesses: number[][], truth: number[][]): number {
  let right = 0;
  let all = 0;
  truth.forEach((tokens, i) => {
    tokens.forEach((len, k) => {
      all++;
      if (guesses[i]![k] === len) right++;
    });
  });
  return right / all;
}

describe('traffic analysis from the relay’s position', () => {
  let paced: Side | undefined;
  let baseline: Side | undefined;
  beforeAll(async () => {
    [paced, baseline] = await Promise.all([startSide({}), startSide({ SOTTO_PACE: 'off' })]);
  });
  afterAll(async () => {
    await Promise.all([stopSide(paced), stopSide(baseline)]);
  });

  it('recovers token lengths from the unpadded baseline, and no better than the mode from paced, padded answers', async () => {
    const truth: number[][] = [];
    const texts: string[] = [];
    for (const p of PROMPTS) {
      const a = await ask(baseline!, p);
      truth.push(a.deltas);
      texts.push(a.text);
    }
    for (const [i, p] of PROMPTS.entries()) {
      const a = await ask(paced!, p);
      expect(a.text).toBe(texts[i]); // same answer, so the same truth applies
    }
    const traces = {
      baseline: baseline!.proxy.traces(NONCE_BYTES),
      paced: paced!.proxy.traces(NONCE_BYTES),
    };
    for (const t of Object.values(traces)) {
      expect(t).toHaveLength(PROMPTS.length);
      for (const a of t) expect(a.chunks.at(-1)?.final).toBe(true);
    }

    const trainTruth = truth.slice(0, TRAINING);
    const testTruth = truth.slice(TRAINING);
    const result: Record<string, number> = {};
    for (const [name, t] of Object.entries(traces)) {
      const cal = calibrate(t.slice(0, TRAINING), trainTruth);
      result[name] = accuracy(
        t.slice(TRAINING).map((a) => estimate(a, cal)),
        testTruth,
      );
    }
    const mode = modeOf(trainTruth.flat());
    result.mode = accuracy(
      testTruth.map((tokens) => tokens.map(() => mode)),
      testTruth,
    );
    console.log('token-length recovery', JSON.stringify(result));
    expect(result.baseline).toBeGreaterThan(0.9);
    expect(result.baseline).toBeGreaterThan(result.mode! + 0.3);
    expect(result.paced).toBeLessThanOrEqual(result.mode! + 0.02);

    // And why: every paced chunk, the final one included, has one size on the wire, and
    // every answer has a bucketed number of chunks.
    // (Length prefix 2 + tag 16 around each slot; the final chunk: 1 + slot + 1 + 16.)
    const allowed = DEFAULT_PAD_SLOTS.map((s) => s + 18);
    for (const a of traces.paced) {
      const sizes = new Set(a.chunks.map((c) => c.bytes));
      expect(sizes.size).toBe(1);
      expect(allowed).toContain([...sizes][0]);
    }
    const counts = new Set(traces.paced.map((a) => a.chunks.length));
    for (const n of counts) expect([4, 6, 8, 11, 16, 23, 32]).toContain(n);
  });
});

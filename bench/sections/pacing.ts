/**
 * Issue 13: what padding and pacing cost. The same requests, interleaved, against two
 * enclaves of one model in one run: paced and padded (the default, `SOTTO_PACE=50ms`) and
 * the unpadded baseline (`SOTTO_PACE=off`). Per answer: time to first text, decode speed as
 * the client sees it, time until the answer is done (the final chunk, after the chunk-count
 * padding), and bytes on the wire both ways.
 *
 * Decode speed with coalescing: a paced delta carries every token made during one interval,
 * so "(tokens − 1) / (last − first delta)" would count the first delta's tokens against no
 * time. Both sides are measured the same way instead: the answer's tokens times the share of
 * its text in the deltas after the first, up to and including the second-to-last, over the
 * time from the first delta to the second-to-last. The first paced slot leaves with the
 * first token and each later one carries exactly what was made in the interval before it,
 * so this is the rate text arrives at. The last text is left out because it alone waits for
 * a slot with no token after it to amortize the wait (0 to one interval, half on average):
 * that wait is a fixed latency at the end of an answer, like TTFT at its start, and is
 * reported as such ("added time to last text", target ≤ one interval). The older span
 * figure (first to last delta) is kept beside it: on a 0.3 s answer it charges that one
 * wait to the rate.
 */
import { type ChatRequest, type KeyConfig, postSealed, sealChatRequest } from '@sotto/protocol';
import type { Pinning } from '../lib/cpu-pinning';
import { interleaved, pairedRatio, roundSummary, type Summary, summarize } from '../lib/stats';
import { type PacerDelay, pacerDelay } from './pacer-delay';
import { type EnclaveStack, startStack, summarizeRequest } from './ttft';

export interface PacingRun {
  ttftMs: number;
  /** From the first text to the second-to-last (see above). */
  tokensPerSecond: number;
  /** From the first text to the last: the end wait counted as decode time. */
  spanTokensPerSecond: number;
  /** From before sealing to the last text. */
  lastTextMs: number;
  doneMs: number;
  requestBytes: number;
  /** The same request unpadded (the client pads in both runs; this is what padding added). */
  unpaddedRequestBytes: number;
  responseBytes: number;
  completionTokens: number;
}

export interface PacingCase {
  model: string;
  cadence: string;
  reps: number;
  completionTokens: number;
  ttftMs: { off: Summary; on: Summary };
  /** on − off, paired: what pacing adds to the time to first text. */
  addedTtftMs: Summary;
  tokensPerSecond: { off: Summary; on: Summary };
  /** on / off, paired (higher is better; target ≥ 0.99). */
  tokensPerSecondRatio: Summary;
  /** The same with the span definition (first to last text). */
  spanTokensPerSecondRatio: Summary;
  /** on − off, paired: what pacing adds to the time until the last text (target ≤ one interval). */
  addedLastTextMs: Summary;
  doneMs: { off: Summary; on: Summary };
  /** off: the sealed request without its padding; on: as sent. */
  requestBytes: { off: Summary; on: Summary };
  responseBytes: { off: Summary; on: Summary };
  /** Text's wait inside the pacer alone at this cadence (pacer-delay.ts). */
  pacerDelay: PacerDelay;
}

/** One sealed answer through the relay, timed and counted on the wire. */
async function pacedRun(
  relayUrl: string,
  key: KeyConfig,
  request: ChatRequest,
): Promise<PacingRun> {
  const start = performance.now();
  const sealed = await sealChatRequest(key, request);
  let responseBytes = 0;
  const body = (await postSealed(relayUrl, sealed)).pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(c, ctl) {
        responseBytes += c.length;
        ctl.enqueue(c);
      },
    }),
  );
  const deltas: { at: number; chars: number }[] = [];
  let tokens = 0;
  for await (const ev of sealed.openResponse(body)) {
    if (ev.type === 'delta') deltas.push({ at: performance.now(), chars: ev.text.length });
    else tokens = ev.usage?.completion_tokens ?? 0;
  }
  const done = performance.now();
  const chars = deltas.reduce((n, d) => n + d.chars, 0);
  /** Tokens per second in the deltas after the first, up to delta `to` (inclusive). */
  const rate = (to: number) => {
    if (to < 1 || chars === 0) return Number.NaN;
    const between = deltas.slice(1, to + 1).reduce((n, d) => n + d.chars, 0);
    const ms = deltas[to]!.at - deltas[0]!.at;
    return ms > 0 ? (tokens * (between / chars) * 1000) / ms : Number.NaN;
  };
  const first = deltas[0]?.at ?? Number.NaN;
  const last = deltas[deltas.length - 1]?.at ?? Number.NaN;
  return {
    ttftMs: first - start,
    tokensPerSecond: rate(deltas.length - 2),
    spanTokensPerSecond: rate(deltas.length - 1),
    lastTextMs: last - start,
    doneMs: done - start,
    requestBytes: sealed.body.length,
    unpaddedRequestBytes: sealed.body.length - sealed.paddingBytes,
    responseBytes,
    completionTokens: tokens,
  };
}

export async function benchPacing(
  model: { name: string; path: string },
  contextSize: number | undefined,
  maxTokens: number,
  reps: number,
  pinning?: Pinning,
  cadence = '50ms',
): Promise<PacingCase> {
  const stacks: Record<'off' | 'on', EnclaveStack> = {
    off: await startStack(model.path, 1, contextSize, pinning, 'off'),
    on: await startStack(model.path, 1, contextSize, pinning, cadence),
  };
  try {
    const runs: Record<'off' | 'on', PacingRun[]> = { off: [], on: [] };
    const one = (k: 'off' | 'on') => async () => {
      const r = await pacedRun(
        stacks[k].relay.url,
        stacks[k].keyConfig,
        summarizeRequest(2048, maxTokens),
      );
      runs[k].push(r);
      return r.ttftMs;
    };
    await interleaved({ off: one('off'), on: one('on') }, reps, 1);
    for (const k of ['off', 'on'] as const) runs[k] = runs[k].slice(-reps);
    const pick = (k: 'off' | 'on', f: (r: PacingRun) => number) => runs[k].map(f);
    const both = (f: (r: PacingRun) => number) => ({
      off: roundSummary(summarize(pick('off', f))),
      on: roundSummary(summarize(pick('on', f))),
    });
    const ttft = (r: PacingRun) => r.ttftMs;
    const tps = (r: PacingRun) => r.tokensPerSecond;
    const span = (r: PacingRun) => r.spanTokensPerSecond;
    const lastText = (r: PacingRun) => r.lastTextMs;
    return {
      model: model.name,
      cadence,
      reps,
      completionTokens: runs.on[0]?.completionTokens ?? 0,
      ttftMs: both(ttft),
      addedTtftMs: roundSummary(
        summarize(pick('on', ttft).map((v, i) => v - pick('off', ttft)[i]!)),
      ),
      tokensPerSecond: both(tps),
      tokensPerSecondRatio: roundSummary(pairedRatio(pick('on', tps), pick('off', tps))),
      spanTokensPerSecondRatio: roundSummary(pairedRatio(pick('on', span), pick('off', span))),
      addedLastTextMs: roundSummary(
        summarize(pick('on', lastText).map((v, i) => v - pick('off', lastText)[i]!)),
      ),
      doneMs: both((r) => r.doneMs),
      requestBytes: {
        off: roundSummary(summarize(pick('on', (r) => r.unpaddedRequestBytes))),
        on: roundSummary(summarize(pick('on', (r) => r.requestBytes))),
      },
      responseBytes: both((r) => r.responseBytes),
      pacerDelay: await pacerDelay(Number.parseFloat(cadence)),
    };
  } finally {
    await stacks.off.stop();
    await stacks.on.stop();
  }
}

/**
 * The planner against a scripted transport that keeps the enclave's contract: it counts a
 * prompt's tokens (here: one per 1.5 characters, denser than the planner's first guess
 * allows for), refuses with the enclave's own 413 text when the prompt does not leave
 * room, and reports usage. The real enclave runs the same plans in e2e/cli-long.test.ts and
 * e2e/browser/long-content.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ServiceError } from '../../errors';
import type { ChatRequest } from '../chat';
import { TokenEstimate } from './estimate';
import { fitConversation } from './fold';
import { answerDocument, type Complete, type PlanProgress } from './map-reduce';
import { DATA_NOTE, documentTurn } from './prompts';

const CONTEXT = 512;

function scriptedEnclave(charsPerToken: number) {
  const seen: ChatRequest[] = [];
  let refused = 0;
  const complete: Complete = async (request, onDelta) => {
    seen.push(request);
    const chars = request.messages.reduce((n, m) => n + m.content.length, 0);
    const tokens = Math.ceil(chars / charsPerToken) + 3 * request.messages.length;
    if (tokens >= CONTEXT) {
      refused++;
      throw new ServiceError(
        `the enclave answered 413: prompt is ${tokens} tokens; the context holds ${CONTEXT}`,
        { status: 413, inner: true },
      );
    }
    const text = `S${seen.length}`;
    onDelta?.(text);
    return { text, finishReason: 'stop', promptTokens: tokens };
  };
  return { complete, seen, refused: () => refused };
}

const article = Array.from(
  { length: 40 },
  (_, i) => `## Part ${i + 1}\n\nParagraph ${i + 1}: ${'the garden grows slowly. '.repeat(12)}`,
).join('\n\n');

describe('answerDocument', () => {
  it('sends a document that fits whole as the caller built it', async () => {
    const e = scriptedEnclave(1.5);
    const doc = { title: 'Short', url: 'https://example.test/', text: 'A short page.' };
    const whole = documentTurn(doc, 'Summarize this page.');
    const r = await answerDocument(doc, 'Summarize this page.', whole, {
      contextTokens: CONTEXT,
      maxTokens: 64,
      estimate: new TokenEstimate(),
      complete: e.complete,
    });
    expect(r.parts).toBe(1);
    expect(e.seen).toHaveLength(1);
    expect(e.seen[0]!.messages).toEqual([whole]);
  });

  it('reads a long document in parts, in order, with progress, and combines them', async () => {
    const e = scriptedEnclave(1.5);
    const doc = { title: 'Garden', url: 'https://example.test/g', text: article };
    const progress: PlanProgress[] = [];
    let streamed = '';
    const r = await answerDocument(doc, 'Summarize this page.', documentTurn(doc, 'Summarize.'), {
      contextTokens: CONTEXT,
      maxTokens: 64,
      estimate: new TokenEstimate(),
      complete: e.complete,
      onProgress: (p) => progress.push(p),
      onDelta: (t) => (streamed += t),
    });
    expect(r.parts).toBeGreaterThan(10);
    const parts = progress.filter((p) => p.stage === 'part');
    expect(parts.map((p) => p.index)).toEqual(
      Array.from({ length: parts.length }, (_, i) => i + 1),
    );
    expect(parts[parts.length - 1]!.count).toBe(r.parts);
    expect(progress.some((p) => p.stage === 'combine')).toBe(true);
    // Every paragraph went to the enclave, inside the data fence.
    const sent = e.seen.map((s) => s.messages.map((m) => m.content).join('\n')).join('\n');
    for (let i = 1; i <= 40; i++) expect(sent).toContain(`Paragraph ${i}:`);
    for (const s of e.seen) {
      expect(s.messages[0]!.content).toContain(DATA_NOTE);
      expect(s.max_tokens).toBeLessThanOrEqual(64);
    }
    // Only the last request streamed, and it is the answer.
    expect(streamed).toBe(r.text);
    expect(r.text).toBe(`S${e.seen.length}`);
  });

  it('tries a page whole first when nothing was counted yet and it may fit a large vocabulary', async () => {
    // 4 characters per token, as Llama-3-class vocabularies give on English: the page fits.
    const e = scriptedEnclave(4);
    const doc = { title: '', url: '', text: 'the garden grows slowly. '.repeat(60) };
    const whole = documentTurn(doc, 'Summarize.');
    const estimate = new TokenEstimate();
    const r = await answerDocument(doc, 'Summarize.', whole, {
      contextTokens: CONTEXT,
      maxTokens: 64,
      estimate,
      complete: e.complete,
    });
    expect(r.parts).toBe(1);
    expect(e.seen.map((s) => s.messages)).toEqual([[whole]]);
    expect(estimate.learned).toBe(true);
    // The same page on a fine vocabulary: refused once as too long, then read in parts.
    const fine = scriptedEnclave(1.5);
    const again = await answerDocument(doc, 'Summarize.', whole, {
      contextTokens: CONTEXT,
      maxTokens: 64,
      estimate: new TokenEstimate(),
      complete: fine.complete,
    });
    expect(fine.refused()).toBe(1);
    expect(again.parts).toBeGreaterThan(1);
  });

  it('plans again, smaller, when the enclave counts more tokens than estimated', async () => {
    // Text denser than the first guess: the first part is refused as too long.
    const e = scriptedEnclave(1);
    const doc = { title: '', url: '', text: article };
    const r = await answerDocument(doc, 'Summarize.', documentTurn(doc, 'Summarize.'), {
      contextTokens: CONTEXT,
      maxTokens: 64,
      estimate: new TokenEstimate(),
      complete: e.complete,
    });
    expect(e.refused()).toBeGreaterThan(0);
    expect(r.parts).toBeGreaterThan(20);
    const sent = e.seen.map((s) => s.messages.map((m) => m.content).join('\n')).join('\n');
    for (let i = 1; i <= 40; i++) expect(sent).toContain(`Paragraph ${i}:`);
  });

  it('stops when the signal aborts, sending nothing more', async () => {
    const e = scriptedEnclave(1.5);
    const stop = new AbortController();
    const doc = { title: '', url: '', text: article };
    const run = answerDocument(doc, 'Summarize.', documentTurn(doc, 'Summarize.'), {
      contextTokens: CONTEXT,
      maxTokens: 64,
      estimate: new TokenEstimate(),
      complete: e.complete,
      signal: stop.signal,
      onProgress: (p) => {
        if (p.stage === 'part' && p.index === 3) stop.abort();
      },
    });
    await expect(run).rejects.toThrow();
    expect(e.seen.length).toBe(2);
  });
});

describe('fitConversation', () => {
  const turns = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      role: (i % 2 === 0 ? 'user' : 'assistant') as 'user' | 'assistant',
      content: `Turn ${i + 1}: ${'a little story about a cat. '.repeat(3)}`,
    }));

  it('leaves a chat that fits alone', async () => {
    const e = scriptedEnclave(1.5);
    const r = await fitConversation(turns(3), {
      contextTokens: CONTEXT,
      maxTokens: 32,
      estimate: new TokenEstimate(),
      complete: e.complete,
    });
    expect(r).toEqual({ kind: 'fits', messages: turns(3) });
    expect(e.seen).toHaveLength(0);
  });

  it('folds the oldest turns into one summary, then reuses and extends the fold', async () => {
    const e = scriptedEnclave(1.5);
    const options = {
      contextTokens: CONTEXT,
      maxTokens: 32,
      estimate: new TokenEstimate(),
      complete: e.complete,
    };
    const first = await fitConversation(turns(15), options);
    if (first.kind !== 'fits') throw new Error('expected a fold');
    expect(first.fold!.count).toBeGreaterThan(0);
    expect(first.messages[0]!.role).toBe('system');
    expect(first.messages[0]!.content).toContain(first.fold!.summary);
    expect(first.messages[first.messages.length - 1]).toEqual(turns(15)[14]);
    // The fold requests carried the folded turns as data (in parts when they are long).
    const fold = e.seen.map((s) => s.messages[0]!.content).join('\n');
    expect(fold).toMatch(/<(conversation|page)>\nUser: Turn 1:/);
    expect(fold).toContain(DATA_NOTE);
    // Two turns later: the same fold serves, no new request.
    const sent = e.seen.length;
    const again = await fitConversation(turns(17), { ...options, previous: first.fold! });
    expect(again.kind === 'fits' && again.fold).toEqual(first.fold);
    expect(e.seen.length).toBe(sent);
    // Much later: the fold is extended from the previous summary.
    const later = await fitConversation(turns(31), { ...options, previous: first.fold! });
    if (later.kind !== 'fits') throw new Error('expected a fold');
    expect(later.fold!.count).toBeGreaterThan(first.fold!.count);
    expect(
      e.seen
        .slice(sent)
        .map((s) => s.messages[0]!.content)
        .join('\n'),
    ).toContain(`Summary of the turns before: ${first.fold!.summary}`);
  });

  it('says when the newest turn alone does not fit', async () => {
    const e = scriptedEnclave(1.5);
    const huge = { role: 'user' as const, content: 'word '.repeat(2000) };
    const r = await fitConversation([...turns(2), huge], {
      contextTokens: CONTEXT,
      maxTokens: 32,
      estimate: new TokenEstimate(),
      complete: e.complete,
    });
    expect(r.kind).toBe('last-turn-too-long');
  });
});

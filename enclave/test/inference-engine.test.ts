/**
 * The inference engine against the real test model (../shared/models/stories260K.gguf, a
 * TinyStories llama without a chat template): greedy continuation, streaming, stop strings,
 * seeds, cancellation, the bounded queue, multi-turn prefix reuse and request validation.
 */
import { fileURLToPath } from 'node:url';
import { BusyError, LimitExceededError, MalformedError, UnsupportedError } from '@sotto/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CompletionEvent, createEngine, type InferenceEngine } from '../src/inference';

const MODEL = fileURLToPath(new URL('../../../shared/models/stories260K.gguf', import.meta.url));
const MODEL_SHA256 = '1eea071ee5507fc04dd96603c64560e14951db1bef0c006666ea2f5a54568acd';
/** What the model really writes after "Once upon a time", greedy, 60 tokens (checked by hand). */
const GREEDY_60 =
  ', there was a little girl named Lily. She loved to play outside in the park. One day, she ' +
  'saw a big, red ball. She wanted to play with it, but it was too high.\nLily';

const once = (extra: Record<string, unknown> = {}) => ({
  messages: [{ role: 'user', content: 'Once upon a time' }],
  temperature: 0,
  ...extra,
});

async function collect(
  engine: InferenceEngine,
  request: unknown,
  signal = new AbortController().signal,
) {
  const events: CompletionEvent[] = [];
  for await (const event of engine.complete(request, signal)) events.push(event);
  const done = events.at(-1);
  if (done?.type !== 'done') throw new Error('stream did not end with done');
  const deltas = events.filter((e) => e.type === 'delta');
  return { text: deltas.map((e) => e.text).join(''), deltas: deltas.length, done };
}

describe('inference engine (stories260K, 2 sequences)', () => {
  let engine: InferenceEngine;
  beforeAll(async () => {
    engine = await createEngine({ modelSpec: MODEL, sequences: 2, queueLimit: 4 });
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('describes the model for the evidence and chose one thread and the plain prompt', () => {
    expect(engine.model.sha256).toBe(MODEL_SHA256);
    expect(engine.model.name).toBe('stories260K.gguf');
    expect(engine.model.sizeBytes).toBe(1_185_408);
    expect(engine.threads).toBe(1);
    expect(engine.contextSize).toBe(512);
    expect(engine.promptFormat).toBe('plain');
  });

  it('continues "Once upon a time" greedily, streamed in many events', async () => {
    const { text, deltas, done } = await collect(engine, once({ max_tokens: 60 }));
    expect(text.startsWith(', there was a little girl named Lily')).toBe(true);
    expect(text).toBe(GREEDY_60);
    expect(deltas).toBeGreaterThan(1);
    expect(done.finishReason).toBe('length');
    expect(done.usage.completionTokens).toBe(60);
    expect(done.usage.promptTokens).toBe(5); // BOS + 4 tokens
  });

  it('is deterministic at temperature 0 and with a fixed seed', async () => {
    const a = await collect(engine, once({ max_tokens: 30 }));
    const b = await collect(engine, once({ max_tokens: 30 }));
    expect(b.text).toBe(a.text);
    const seeded = once({ max_tokens: 40, temperature: 1, seed: 1234 });
    const s1 = await collect(engine, seeded);
    const s2 = await collect(engine, seeded);
    expect(s2.text).toBe(s1.text);
    const others = await Promise.all(
      [1, 2, 3, 4].map((seed) => collect(engine, once({ max_tokens: 40, temperature: 1, seed }))),
    );
    expect(new Set([s1.text, ...others.map((o) => o.text)]).size).toBeGreaterThan(1);
  });

  it('stops at a stop string, across token boundaries, without emitting it', async () => {
    const { text, done } = await collect(engine, once({ max_tokens: 100, stop: ['Lily', 'zzz'] }));
    expect(text).toBe(', there was a little girl named ');
    expect(done.finishReason).toBe('stop');
    const split = await collect(engine, once({ max_tokens: 100, stop: 'girl nam' }));
    expect(split.text).toBe(', there was a little ');
  });

  it('stops promptly on abort and frees the sequence', async () => {
    const controller = new AbortController();
    const stream = engine.complete(once({ max_tokens: 400 }), controller.signal);
    const first = await stream.next();
    expect(first.value).toMatchObject({ type: 'delta' });
    expect(engine.stats().busy).toBe(1);
    controller.abort();
    const rest: CompletionEvent[] = [];
    for await (const event of { [Symbol.asyncIterator]: () => stream }) rest.push(event);
    const done = rest.at(-1);
    expect(done?.type).toBe('done');
    if (done?.type !== 'done') return;
    expect(done.finishReason).toBe('abort');
    expect(done.usage.completionTokens).toBeLessThan(5);
    expect(engine.stats()).toEqual({ busy: 0, queued: 0 });
    const next = await collect(engine, once({ max_tokens: 8 }));
    expect(next.done.finishReason).toBe('length');
  });

  it('serves two requests in parallel with the same greedy output', async () => {
    const [a, b] = await Promise.all([
      collect(engine, once({ max_tokens: 60 })),
      collect(engine, once({ max_tokens: 60 })),
    ]);
    expect(a.text).toBe(GREEDY_60);
    expect(b.text).toBe(GREEDY_60);
  });

  it('frees the sequence when the consumer stops iterating', async () => {
    for await (const event of engine.complete(
      once({ max_tokens: 400 }),
      new AbortController().signal,
    )) {
      expect(event.type).toBe('delta');
      break;
    }
    expect(engine.stats()).toEqual({ busy: 0, queued: 0 });
  });

  it('reuses the cached history on a follow-up turn of the same conversation (cache id)', async () => {
    const conversation = 'conv-AAAAAAAAAAAAAAAA';
    const first = await collect(engine, once({ max_tokens: 60, cache_id: conversation }));
    // An unrelated request in between goes to the other (least recently used) sequence.
    await collect(engine, { messages: [{ role: 'user', content: 'A dog ran' }], max_tokens: 30 });
    const followUp = {
      messages: [
        { role: 'user', content: 'Once upon a time' },
        { role: 'assistant', content: first.text },
        { role: 'user', content: ' The next day, Lily' },
      ],
      temperature: 0,
      max_tokens: 20,
      cache_id: conversation,
    };
    const second = await collect(engine, followUp);
    const { promptTokens, evaluatedPromptTokens } = second.done.usage;
    console.info(
      `second turn: ${evaluatedPromptTokens} of ${promptTokens} prompt tokens evaluated`,
    );
    expect(promptTokens).toBeGreaterThan(60);
    expect(evaluatedPromptTokens).toBeGreaterThan(0);
    expect(evaluatedPromptTokens).toBeLessThan(0.5 * promptTokens);
    // The same request again: all but the last prompt token come from the cache.
    const again = await collect(engine, followUp);
    expect(again.done.usage.evaluatedPromptTokens).toBe(1);
    expect(again.text).toBe(second.text);

    // Anyone else sending the very same prompt (another id, or none) gets no head start:
    // every prompt token is evaluated, so its timing says nothing about the other conversation.
    for (const cache_id of ['conv-BBBBBBBBBBBBBBBB', undefined]) {
      const other = await collect(engine, { ...followUp, cache_id });
      expect(other.done.usage.evaluatedPromptTokens).toBe(promptTokens);
      expect(other.text).toBe(second.text);
    }
    // And the conversation's own cache was not left to them: it was cleared on their use, or
    // it is still there, but in no case did they read it. Its owner still gets the same answer.
    expect((await collect(engine, followUp)).text).toBe(second.text);
  });

  it('refuses a malformed cache id', async () => {
    for (const cache_id of ['short', 'x'.repeat(65), 'has space in it!!', 42]) {
      await expect(collect(engine, once({ cache_id }))).rejects.toBeInstanceOf(MalformedError);
    }
  });

  it.each([
    ['a non-object body', 'hello', MalformedError],
    ['no messages', { messages: [] }, MalformedError],
    ['messages not an array', { messages: 'hi' }, MalformedError],
    ['an unknown role', { messages: [{ role: 'tool', content: 'x' }] }, MalformedError],
    ['non-text content', { messages: [{ role: 'user', content: 42 }] }, MalformedError],
    [
      'a bad content part',
      { messages: [{ role: 'user', content: [{ type: 'image_url' }] }] },
      MalformedError,
    ],
    ['a string temperature', once({ temperature: 'hot' }), MalformedError],
    ['temperature over 2', once({ temperature: 2.5 }), MalformedError],
    ['top_p of 0', once({ top_p: 0 }), MalformedError],
    ['a fractional max_tokens', once({ max_tokens: 1.5 }), MalformedError],
    ['a negative seed', once({ seed: -1 }), MalformedError],
    ['an empty stop string', once({ stop: [''] }), MalformedError],
    ['a non-boolean stream', once({ stream: 'yes' }), MalformedError],
    ['max_tokens over the cap', once({ max_tokens: 1_000_000 }), LimitExceededError],
    ['too many stop strings', once({ stop: ['a', 'b', 'c', 'd', 'e'] }), LimitExceededError],
    [
      'too many messages',
      { messages: Array.from({ length: 300 }, () => ({ role: 'user', content: 'a' })) },
      LimitExceededError,
    ],
    [
      'an oversized message',
      { messages: [{ role: 'user', content: 'a'.repeat(300_000) }] },
      LimitExceededError,
    ],
    [
      'a prompt longer than the context',
      { messages: [{ role: 'user', content: 'the cat sat. '.repeat(400) }] },
      LimitExceededError,
    ],
    ['n = 2', once({ n: 2 }), UnsupportedError],
  ])('refuses %s with a typed error before any event', async (_name, request, type) => {
    const stream = engine.complete(request, new AbortController().signal);
    await expect(stream.next()).rejects.toBeInstanceOf(type);
    expect(engine.stats()).toEqual({ busy: 0, queued: 0 });
  });

  it('accepts OpenAI text parts, developer messages and max_completion_tokens', async () => {
    const { text, done } = await collect(engine, {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Once upon ' },
            { type: 'text', text: 'a time' },
          ],
        },
      ],
      temperature: 0,
      max_completion_tokens: 12,
      model: 'ignored',
    });
    expect(GREEDY_60.startsWith(text)).toBe(true);
    expect(done.usage.completionTokens).toBe(12);
  });
});

describe('inference engine queue (1 sequence, queue of 1)', () => {
  let engine: InferenceEngine;
  beforeAll(async () => {
    engine = await createEngine({
      modelSpec: MODEL,
      sequences: 1,
      queueLimit: 1,
      retryAfterSeconds: 3,
    });
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('refuses a request with BusyError when the sequence is busy and the queue is full', async () => {
    const a = new AbortController();
    const b = new AbortController();
    const streamA = engine.complete(once({ max_tokens: 400 }), a.signal);
    expect((await streamA.next()).value).toMatchObject({ type: 'delta' }); // A holds the sequence
    const streamB = engine.complete(once({ max_tokens: 400 }), b.signal);
    const firstB = streamB.next(); // B waits in the queue
    expect(engine.stats()).toEqual({ busy: 1, queued: 1 });

    const streamC = engine.complete(once({ max_tokens: 400 }), new AbortController().signal);
    const refused = await streamC.next().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BusyError);
    expect((refused as BusyError).retryAfterSeconds).toBe(3);

    b.abort(); // B leaves the queue without ever running
    expect((await firstB).value).toMatchObject({ type: 'done', finishReason: 'abort' });
    expect(engine.stats()).toEqual({ busy: 1, queued: 0 });
    a.abort();
    expect((await streamA.next()).value).toMatchObject({ type: 'done', finishReason: 'abort' });
    expect(engine.stats()).toEqual({ busy: 0, queued: 0 });
  });

  it('serves a queued request when the running one finishes', async () => {
    const a = new AbortController();
    const streamA = engine.complete(once({ max_tokens: 400 }), a.signal);
    await streamA.next();
    const waiting = collect(engine, once({ max_tokens: 10 }));
    expect(engine.stats()).toEqual({ busy: 1, queued: 1 });
    a.abort();
    await streamA.next();
    const served = await waiting;
    expect(served.done.finishReason).toBe('length');
    expect(served.text).toBe(GREEDY_60.slice(0, served.text.length));
  });

  it('evaluates the whole history on a cold sequence (the counter is honest)', async () => {
    const history = {
      messages: [
        { role: 'user', content: 'Once upon a time' },
        { role: 'assistant', content: GREEDY_60 },
        { role: 'user', content: ' The next day, Lily' },
      ],
      temperature: 0,
      max_tokens: 4,
    };
    await collect(engine, { messages: [{ role: 'user', content: 'A dog ran' }], max_tokens: 4 });
    const cold = await collect(engine, history);
    // Nothing is reused from the "A dog ran" request, not even the beginning-of-sequence token:
    // neither request carries a cache id (sequence-pool.ts, cache scope).
    expect(cold.done.usage.evaluatedPromptTokens).toBe(cold.done.usage.promptTokens);
  });

  it('close() ends running and queued requests with abort, then refuses new ones', async () => {
    const closing = await createEngine({ modelSpec: MODEL, sequences: 1, queueLimit: 1 });
    const streamA = closing.complete(once({ max_tokens: 400 }), new AbortController().signal);
    await streamA.next();
    const streamB = closing.complete(once({ max_tokens: 400 }), new AbortController().signal);
    const firstB = streamB.next();
    const closed = closing.close();
    expect((await firstB).value).toMatchObject({ type: 'done', finishReason: 'abort' });
    expect((await streamA.next()).value).toMatchObject({ type: 'done', finishReason: 'abort' });
    await closed;
    const late = closing.complete(once(), new AbortController().signal);
    await expect(late.next()).rejects.toBeInstanceOf(BusyError);
  });
});

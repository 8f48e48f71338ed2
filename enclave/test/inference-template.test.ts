/**
 * The chat-template path: the test model given a `tokenizer.chat_template` (written into a
 * temporary copy of the GGUF) is prompted through node-llama-cpp's wrapper for that template,
 * and the template's end-of-turn text stops generation.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CompletionEvent, createEngine, type InferenceEngine } from '../src/inference';
import { writeGgufWithString } from './inference-gguf-fixture';

const MODEL = fileURLToPath(new URL('../../../shared/models/stories260K.gguf', import.meta.url));
/** A template no specialised wrapper matches, so the Jinja template itself is rendered. */
const TEMPLATE =
  "{% for message in messages %}{{ message['role'] }}: {{ message['content'] }}\n{% endfor %}" +
  '{% if add_generation_prompt %}assistant:{% endif %}';

describe('inference engine with a GGUF chat template', () => {
  let dir: string;
  let engine: InferenceEngine;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sotto-template-'));
    const templated = path.join(dir, 'stories260K-chat.gguf');
    await writeGgufWithString(MODEL, templated, 'tokenizer.chat_template', TEMPLATE);
    engine = await createEngine({ modelSpec: templated, sequences: 1, queueLimit: 0 });
  });
  afterAll(async () => {
    await engine?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('uses the template, and its end-of-turn text ends the answer', async () => {
    expect(engine.promptFormat).toBe('gguf-chat-template');
    const request = {
      messages: [
        { role: 'system', content: 'Stories.' },
        { role: 'user', content: 'Once upon a time' },
      ],
      temperature: 0,
      max_tokens: 100,
    };
    const events: CompletionEvent[] = [];
    for await (const event of engine.complete(request, new AbortController().signal)) {
      events.push(event);
    }
    const done = events.at(-1);
    expect(done).toMatchObject({ type: 'done', finishReason: 'stop' });
    const text = events.map((e) => (e.type === 'delta' ? e.text : '')).join('');
    expect(text).not.toContain('\n');
    expect(text.length).toBeGreaterThan(0);
    // The rendered template ("system: Stories.\nuser: Once upon a time\nassistant:") is far
    // longer than the raw user text (5 tokens in the plain fallback).
    if (done?.type === 'done') expect(done.usage.promptTokens).toBeGreaterThan(20);
  });
});

/**
 * `SOTTO_ENGINE=openai:…` (issue 17): the real enclave process forwarding opened
 * requests to a real OpenAI-compatible HTTP server process on loopback (the
 * project's own engine served plainly by enclave/scripts/openai-server.ts, as
 * vLLM or llama-server would be inside the VM), and sealing its streamed answer.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import {
  fetchAttestedKey,
  postSealed,
  ServiceError,
  SseParser,
  sealChatRequest,
  streamChat,
} from '@sotto/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEngineSetting } from '../src/inference/openai-engine';
import {
  type EnclaveProcess,
  REPO_ROOT,
  startEnclave,
  TEST_MODEL,
  TEST_MODEL_SHA256,
} from './support/enclave-process';

const REQUEST = {
  messages: [{ role: 'user' as const, content: 'Once upon a time' }],
  max_tokens: 24,
  temperature: 0,
};

async function startOpenAiServer(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'enclave/scripts/openai-server.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, SOTTO_MODEL: TEST_MODEL },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /"listening":"(http:[^"]+)"/.exec(line);
      if (m) resolve(m[1]!);
    });
    child.once('exit', () => reject(new Error('openai-server exited')));
  });
  return { url, child };
}

/** The answer the upstream gives to a plain (unsealed) request. */
async function plainAnswer(url: string): Promise<string> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...REQUEST, stream: true }),
  });
  const parser = new SseParser();
  let text = '';
  for (const data of parser.push(new Uint8Array(await res.arrayBuffer()))) {
    if (data === '[DONE]') break;
    const c = JSON.parse(data) as { choices: { delta: { content?: string } }[] };
    text += c.choices[0]?.delta.content ?? '';
  }
  return text;
}

describe('enclave with an OpenAI-compatible engine', () => {
  let upstream: { url: string; child: ChildProcess };
  let enclave: EnclaveProcess;
  beforeAll(async () => {
    upstream = await startOpenAiServer();
    enclave = await startEnclave({ SOTTO_ENGINE: `openai:${upstream.url}` });
  });
  afterAll(async () => {
    await enclave?.stop();
    if (upstream?.child.exitCode === null) upstream.child.kill('SIGTERM');
  });

  it('binds the weights file in its evidence and streams the upstream answer sealed', async () => {
    const { evidence } = await fetchAttestedKey(enclave.url, { allowDevelopment: true });
    expect(evidence.model.sha256).toBe(TEST_MODEL_SHA256);
    let text = '';
    let finish: string | undefined;
    for await (const ev of streamChat(enclave.url, REQUEST, {
      policy: { allowDevelopment: true },
    })) {
      if (ev.type === 'delta') text += ev.text;
      if (ev.type === 'done') finish = ev.finishReason;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(finish).toBeDefined();
    expect(text).toBe(await plainAnswer(upstream.url)); // greedy: the same answer, sealed
    expect(enclave.output()).not.toContain(text.trim().slice(0, 12));
  });

  it('answers a sealed 503 (busy, Retry-After) when the upstream is gone', async () => {
    const exited = new Promise((r) => upstream.child.once('exit', r));
    upstream.child.kill('SIGTERM');
    await exited;
    const { keyConfig } = await fetchAttestedKey(enclave.url, { allowDevelopment: true });
    const sealed = await sealChatRequest(keyConfig, REQUEST);
    const events = sealed.openResponse(await postSealed(enclave.url, sealed));
    const err = await events.next().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceError);
    expect(err).toMatchObject({ status: 503, inner: true, retryAfterSeconds: 1 });
  });
});

describe('SOTTO_ENGINE', () => {
  it('accepts the built-in engine and loopback OpenAI-compatible servers only', () => {
    expect(parseEngineSetting(undefined)).toEqual({ kind: 'llama' });
    expect(parseEngineSetting('llama')).toEqual({ kind: 'llama' });
    expect(parseEngineSetting('openai:http://127.0.0.1:8000/')).toEqual({
      kind: 'openai',
      baseUrl: 'http://127.0.0.1:8000',
    });
    expect(parseEngineSetting('openai:http://[::1]:8000')).toMatchObject({ kind: 'openai' });
    for (const bad of [
      'vllm',
      'openai:',
      'openai:http://10.0.0.5:8000',
      'openai:https://api.example.com',
      'openai:http://user:pw@127.0.0.1:1',
      'openai:file:///etc/passwd',
    ]) {
      expect(() => parseEngineSetting(bad)).toThrow(/SOTTO_ENGINE/);
    }
  });
});

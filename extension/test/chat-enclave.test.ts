/**
 * The worker's chat service against the REAL enclave process (test model), whose
 * URL serves `/v1/evidence` and `/v1/ohttp` exactly as the relay does: evidence
 * verified before anything is sent, dev refused unless development mode is on,
 * deltas streamed as they open, Stop, the stale-key retry after an enclave
 * restart, a killed enclave, and the history stored sealed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EnclaveProcess,
  startEnclave,
  TEST_MODEL_SHA256,
} from '../../enclave/test/support/enclave-process';
import type { WorkerToPanel } from '../src/messaging';
import type { ChatStart } from '../src/services/chat';
import {
  containsBytes,
  type Harness,
  harness,
  prfBytes,
  rowBytes,
  type Tamper,
} from './support/services';

let enclave: EnclaveProcess;

beforeAll(async () => {
  enclave = await startEnclave();
}, 120_000);

afterAll(async () => {
  await enclave?.stop();
});

async function ready(options: { developmentMode: boolean; tamper?: Tamper }): Promise<Harness> {
  const h = harness(undefined, options.tamper);
  await h.vault.create({
    prf: prfBytes(3),
    salt: new Uint8Array(32).fill(1),
    credentialId: new Uint8Array([42, 42]),
  });
  await h.settings.set({
    relayUrl: enclave.url,
    developmentMode: options.developmentMode,
    generation: { maxTokens: 48, temperature: 0 },
  });
  return h;
}

function start(content: string, extra: Partial<ChatStart> = {}): ChatStart {
  return {
    type: 'chat/start',
    requestId: crypto.randomUUID(),
    messages: [{ role: 'user', content }],
    ...extra,
  };
}

async function run(
  h: Harness,
  request: ChatStart,
  onMessage?: (m: WorkerToPanel) => void,
): Promise<WorkerToPanel[]> {
  const out: WorkerToPanel[] = [];
  await h.chat.run(request, (m) => {
    out.push(m);
    onMessage?.(m);
  });
  return out;
}

function canary(): string {
  return `CANARY-${crypto.randomUUID()}`;
}

describe('chat service against the real enclave', () => {
  it('refuses dev evidence when development mode is off, and sends nothing', async () => {
    const h = await ready({ developmentMode: false });
    const out = await run(h, start('Once upon a time'));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ type: 'chat/error', code: 'dev-refused', retryable: false });
    expect(h.fetchCalls).toEqual(['GET /v1/evidence']);
    expect(await h.db.messages.count()).toBe(0);
  });

  it('refuses tampered evidence with its reasons, and sends nothing', async () => {
    const flipReportByte: Tamper = async (path, res) => {
      if (path !== '/v1/evidence') return res;
      const json = (await res.json()) as { report: string };
      const report = Buffer.from(json.report, 'base64');
      report[report.length - 200]! ^= 0x01;
      json.report = report.toString('base64');
      return new Response(JSON.stringify(json), { status: 200, headers: res.headers });
    };
    const h = await ready({ developmentMode: true, tamper: flipReportByte });
    const out = await run(h, start('Once upon a time'));
    expect(out).toHaveLength(1);
    const error = out[0] as Extract<WorkerToPanel, { type: 'chat/error' }>;
    expect(error).toMatchObject({ type: 'chat/error', code: 'evidence-refused', retryable: false });
    expect(error.reasons?.length).toBeGreaterThan(0);
    expect(h.fetchCalls).toEqual(['GET /v1/evidence']);
    const summary = await h.handlers['evidence/get']({});
    expect(summary).toMatchObject({ error: { code: 'evidence-refused' } });
  });

  it('refuses while locked, before fetching anything', async () => {
    const h = await ready({ developmentMode: true });
    await h.vault.lock();
    const out = await run(h, start('Once upon a time'));
    expect(out).toEqual([expect.objectContaining({ type: 'chat/error', code: 'locked' })]);
    expect(h.fetchCalls).toEqual([]);
  });

  it('streams deltas from the model and stores the turn sealed', async () => {
    const h = await ready({ developmentMode: true });
    const c = canary();
    const request = start(`Once upon a time ${c}`, {
      context: { kind: 'summarize', pageUrl: `http://article.test/${c}`, pageTitle: `About ${c}` },
    });
    const out = await run(h, request);
    const started = out[0];
    expect(started).toMatchObject({
      type: 'chat/started',
      requestId: request.requestId,
      evidence: { platform: 'dev', development: true, model: { sha256: TEST_MODEL_SHA256 } },
    });
    const deltas = out.filter((m) => m.type === 'chat/delta');
    expect(deltas.length).toBeGreaterThan(1);
    const done = out.at(-1);
    expect(done).toMatchObject({ type: 'chat/done', requestId: request.requestId });
    expect(out.filter((m) => m.type === 'chat/error')).toEqual([]);
    expect(h.fetchCalls).toEqual(['GET /v1/evidence', 'POST /v1/ohttp']);

    const conversationId = (started as { conversationId: string }).conversationId;
    const stored = await h.history.get(conversationId);
    const text = deltas.map((d) => (d as { text: string }).text).join('');
    expect(stored.conversation).toMatchObject({ kind: 'summarize', title: `Summary: About ${c}` });
    expect(stored.messages.map((m) => [m.role, m.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'complete'],
    ]);
    expect(stored.messages[1]?.content).toBe(text);
    expect(stored.messages[1]?.id).toBe((done as { messageId: string }).messageId);
    expect(stored.messages[1]?.evidence).toMatchObject({ platform: 'dev', development: true });

    const needle = new TextEncoder().encode(c);
    for (const table of h.db.tables) {
      for (const row of await table.toArray()) {
        for (const bytes of rowBytes(row)) expect(containsBytes(bytes, needle)).toBe(false);
      }
    }
    // A second turn in the same conversation reuses the verified key.
    const second = await run(
      h,
      start('And then?', {
        conversationId,
        messages: [
          { role: 'user', content: request.messages[0]!.content },
          { role: 'assistant', content: text },
          { role: 'user', content: 'And then?' },
        ],
      }),
    );
    expect(second.at(-1)).toMatchObject({ type: 'chat/done', conversationId });
    expect(h.fetchCalls.filter((f) => f.startsWith('GET'))).toHaveLength(1);
    expect((await h.history.get(conversationId)).messages).toHaveLength(4);
  });

  it('Stop ends the answer; what arrived is stored marked stopped', async () => {
    const h = await ready({ developmentMode: true });
    await h.settings.set({ generation: { maxTokens: 400, temperature: 0 } });
    const request = start('Once upon a time there was a dragon');
    const out = await run(h, request, (m) => {
      if (m.type === 'chat/delta') h.chat.stop(request.requestId);
    });
    const deltas = out.filter((m) => m.type === 'chat/delta');
    expect(deltas).toHaveLength(1);
    const done = out.at(-1) as Extract<WorkerToPanel, { type: 'chat/done' }>;
    expect(done).toMatchObject({ type: 'chat/done', finishReason: 'user-stop' });
    const stored = await h.history.get(done.conversationId);
    expect(stored.messages[1]).toMatchObject({
      role: 'assistant',
      status: 'stopped',
      content: (deltas[0] as { text: string }).text,
    });
    expect(h.chat.running).toEqual([]);
  });

  it('Stop before any text arrives stores nothing', async () => {
    const h = await ready({ developmentMode: true });
    const request = start('Once upon a time');
    const out = await run(h, request, (m) => {
      if (m.type === 'chat/started') h.chat.stop(request.requestId);
    });
    expect(out.map((m) => m.type)).toEqual(['chat/started', 'chat/done']);
    expect(out.at(-1)).toMatchObject({ finishReason: 'user-stop', messageId: '' });
    expect(await h.db.messages.count()).toBe(0);
    expect(await h.db.conversations.count()).toBe(0);
  });

  it('Regenerate stores the new answer after the one it replaces: both versions stay', async () => {
    const h = await ready({ developmentMode: true });
    const first = await run(h, start('Once upon a time'));
    const { conversationId } = first.at(-1) as Extract<WorkerToPanel, { type: 'chat/done' }>;
    const text = first
      .filter((m) => m.type === 'chat/delta')
      .map((d) => (d as { text: string }).text)
      .join('');
    const again = await run(h, start('Once upon a time', { conversationId, regenerate: true }));
    const done = again.at(-1) as Extract<WorkerToPanel, { type: 'chat/done' }>;
    expect(done).toMatchObject({ type: 'chat/done', conversationId });
    const stored = await h.history.get(conversationId);
    expect(stored.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'assistant']);
    expect(stored.messages[1]?.content).toBe(text);
    expect(stored.messages[2]?.id).toBe(done.messageId);
  });

  it('a system prompt sent first is kept sealed with the conversation, and cleared when no longer sent', async () => {
    const h = await ready({ developmentMode: true });
    const c = canary();
    const system = { role: 'system' as const, content: `Speak like a pirate ${c}` };
    const out = await run(
      h,
      start('Once upon a time', {
        messages: [system, { role: 'user', content: 'Once upon a time' }],
      }),
    );
    const { conversationId } = out.at(-1) as Extract<WorkerToPanel, { type: 'chat/done' }>;
    expect((await h.history.get(conversationId)).conversation.systemPrompt).toBe(system.content);
    expect((await h.history.get(conversationId)).messages.map((m) => m.role)).toEqual([
      'user',
      'assistant',
    ]);
    const needle = new TextEncoder().encode(c);
    for (const table of h.db.tables)
      for (const row of await table.toArray())
        for (const bytes of rowBytes(row)) expect(containsBytes(bytes, needle)).toBe(false);
    await run(
      h,
      start('More', {
        conversationId,
        messages: [
          { role: 'user', content: 'Once upon a time' },
          { role: 'assistant', content: 'x' },
          { role: 'user', content: 'More' },
        ],
      }),
    );
    expect((await h.history.get(conversationId)).conversation.systemPrompt).toBeUndefined();
  });

  it('a temporary conversation is answered and never stored, not even its conversation row', async () => {
    const h = await ready({ developmentMode: true });
    const c = canary();
    const out = await run(h, start(`Once upon a time ${c}`, { temporary: true }));
    expect(out.filter((m) => m.type === 'chat/delta').length).toBeGreaterThan(0);
    expect(out.at(-1)).toMatchObject({ type: 'chat/done', messageId: '' });
    const { conversationId } = out.at(-1) as Extract<WorkerToPanel, { type: 'chat/done' }>;
    // A follow-up turn in it stores nothing either.
    await run(
      h,
      start('And then?', {
        conversationId,
        temporary: true,
        messages: [
          { role: 'user', content: `Once upon a time ${c}` },
          { role: 'assistant', content: 'x' },
          { role: 'user', content: 'And then?' },
        ],
      }),
    );
    expect(await h.db.messages.count()).toBe(0);
    expect(await h.db.conversations.count()).toBe(0);
    expect(await h.history.list()).toEqual([]);
  });

  it('validates requests from the panel', async () => {
    const h = await ready({ developmentMode: true });
    const out = await run(h, {
      type: 'chat/start',
      requestId: 'x',
      messages: [{ role: 'assistant', content: 'no user turn' }],
    });
    expect(out).toEqual([expect.objectContaining({ type: 'chat/error', code: 'invalid' })]);
    expect(h.fetchCalls).toEqual([]);
  });
});

describe('chat service when the enclave dies and comes back', () => {
  it('reports the failure, stores nothing, and a retry after restart re-verifies the new key', async () => {
    // A restart keeps its data dir, and with it the dev signing key the client pinned.
    const dataDir = mkdtempSync(join(tmpdir(), 'sotto-enclave-'));
    const own = await startEnclave({ SOTTO_DATA_DIR: dataDir });
    try {
      const h = harness();
      await h.vault.create({
        prf: prfBytes(4),
        salt: new Uint8Array(32).fill(2),
        credentialId: new Uint8Array([7]),
      });
      await h.settings.set({
        relayUrl: own.url,
        developmentMode: true,
        generation: { maxTokens: 400, temperature: 0 },
      });
      const first = await h.evidence.current();
      const request = start('Once upon a time there was a big castle');
      let killed: Promise<void> | undefined;
      const out = await run(h, request, (m) => {
        if (m.type === 'chat/delta' && !killed) killed = own.stop('SIGKILL');
      });
      await killed;
      const error = out.at(-1);
      // Cut mid-stream → one retry → the enclave is gone.
      expect(out.filter((m) => m.type === 'chat/retrying')).toEqual([
        expect.objectContaining({ reason: 'truncated' }),
      ]);
      expect(error).toMatchObject({
        type: 'chat/error',
        code: 'relay-unreachable',
        retryable: true,
      });
      expect(out.some((m) => m.type === 'chat/done')).toBe(false);
      expect(await h.db.messages.count()).toBe(0);
      expect(await h.db.conversations.count()).toBe(0);

      // Restart on the same port: a new process has a new key. The cut answer's retry
      // already dropped the old key (its fresh evidence fetch failed), so the next
      // request verifies the new key before sealing anything.
      const port = new URL(own.url).port;
      let again = await startEnclave({ SOTTO_ENCLAVE_PORT: port, SOTTO_DATA_DIR: dataDir });
      try {
        expect(again.url).toBe(own.url);
        const retry = await run(h, { ...request, requestId: crypto.randomUUID() });
        expect(retry.filter((m) => m.type === 'chat/retrying')).toEqual([]);
        const started = retry[0] as Extract<WorkerToPanel, { type: 'chat/started' }>;
        expect(started.evidence.keyCreatedAt).not.toBe(first.summary.keyCreatedAt);
        expect(retry.at(-1)).toMatchObject({ type: 'chat/done' });
        expect(await h.db.messages.count()).toBe(2);

        // Restarted between two requests: the cached key is stale; the relay's 400
        // (key identifier unknown) makes the worker verify the new key and re-seal.
        const cached = await h.evidence.current();
        await again.stop();
        again = await startEnclave({ SOTTO_ENCLAVE_PORT: port, SOTTO_DATA_DIR: dataDir });
        const rekeyed = await run(h, start('Once upon a time there was a dog'));
        expect(rekeyed.filter((m) => m.type === 'chat/retrying')).toEqual([
          expect.objectContaining({ reason: 'key-rotated' }),
        ]);
        expect(rekeyed.at(-1)).toMatchObject({ type: 'chat/done' });
        const latest = await h.evidence.current();
        expect(latest.summary.keyCreatedAt).not.toBe(cached.summary.keyCreatedAt);
      } finally {
        await again.stop();
      }
    } finally {
      await own.stop();
    }
  }, 120_000);
});

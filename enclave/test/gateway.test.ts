/**
 * The real enclave process with the real test model, driven through protocol/'s
 * client code over HTTP on 127.0.0.1.
 */
import {
  type ChatEvent,
  createChunkedRequest,
  decodeKeyConfig,
  decodeResponseStream,
  KEM_X25519_HKDF_SHA256,
  KEM_XWING,
  encodeRequest,
  fetchAttestedKey,
  fromUtf8,
  postSealed,
  ServiceError,
  sealChatRequest,
  streamChat,
  utf8,
} from '@sotto/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EnclaveProcess, startEnclave, TEST_MODEL_SHA256 } from './support/enclave-process';

const ONCE = { messages: [{ role: 'user' as const, content: 'Once upon a time' }], temperature: 0 };
let enclave: EnclaveProcess;

beforeAll(async () => {
  enclave = await startEnclave();
});
afterAll(async () => {
  await enclave?.stop();
});

async function collect(
  events: AsyncIterable<ChatEvent>,
): Promise<{ text: string; deltas: number; done?: ChatEvent }> {
  let text = '';
  let deltas = 0;
  let done: ChatEvent | undefined;
  for await (const e of events) {
    if (e.type === 'delta') {
      text += e.text;
      deltas++;
    } else done = e;
  }
  return { text, deltas, done };
}

async function ask(max_tokens = 40) {
  const { keyConfig } = await fetchAttestedKey(enclave.url, { allowDevelopment: true });
  const sealed = await sealChatRequest(keyConfig, { ...ONCE, max_tokens });
  return collect(sealed.openResponse(await postSealed(enclave.url, sealed)));
}

describe('enclave gateway', () => {
  it('serves dev evidence that verifies and binds the test model', async () => {
    const { evidence } = await fetchAttestedKey(enclave.url, { allowDevelopment: true });
    expect(evidence.platform).toBe('dev');
    expect(evidence.development).toBe(true);
    expect(evidence.model.sha256).toBe(TEST_MODEL_SHA256);
    expect(evidence.measurement).toMatch(/^[0-9a-f]{96}$/);
    await expect(fetchAttestedKey(enclave.url, {})).rejects.toThrow(/development mode is off/);
  });

  it('binds one key per KEM in one list, and the client seals to X-Wing', async () => {
    const { keyConfig, keyConfigs } = await fetchAttestedKey(enclave.url, {
      allowDevelopment: true,
    });
    expect(keyConfigs.map((c) => [c.kemId, c.publicKey.length])).toEqual([
      [KEM_XWING, 1216],
      [KEM_X25519_HKDF_SHA256, 32],
    ]);
    expect(new Set(keyConfigs.map((c) => c.keyId)).size).toBe(2);
    expect(keyConfig).toBe(keyConfigs[0]);
    const sealed = await sealChatRequest(keyConfig, { ...ONCE, max_tokens: 3 });
    expect((sealed.body[1]! << 8) | sealed.body[2]!).toBe(KEM_XWING);
    const { deltas } = await collect(sealed.openResponse(await postSealed(enclave.url, sealed)));
    expect(deltas).toBeGreaterThan(0);
  });

  it('still answers a request sealed to its X25519 key (which the client never picks while X-Wing is bound)', async () => {
    const { keyConfigs } = await fetchAttestedKey(enclave.url, { allowDevelopment: true });
    const x25519 = keyConfigs.find((c) => c.kemId === KEM_X25519_HKDF_SHA256)!;
    const sealed = await sealChatRequest(x25519, { ...ONCE, max_tokens: 3 });
    const { deltas } = await collect(sealed.openResponse(await postSealed(enclave.url, sealed)));
    expect(deltas).toBeGreaterThan(0);
  });

  it('continues "Once upon a time" greedily, as the model does', async () => {
    const { text, deltas, done } = await ask(40);
    expect(text.startsWith(', there was a little girl named Lily')).toBe(true);
    // Paced (pacer.ts): the tiny model writes all 40 tokens within one interval, so one delta.
    expect(deltas).toBeGreaterThanOrEqual(1);
    expect(done).toMatchObject({ type: 'done', finishReason: 'length' });
  });

  it('seals the answer in more than one chunk, each opened as it arrives', async () => {
    const { keyConfig } = await fetchAttestedKey(enclave.url, { allowDevelopment: true });
    const chunked = await createChunkedRequest(keyConfig);
    const inner = encodeRequest({
      method: 'POST',
      scheme: 'https',
      authority: 'enclave',
      path: '/v1/chat/completions',
      body: utf8(JSON.stringify({ ...ONCE, max_tokens: 20, stream: true })),
    });
    const res = await fetch(`${enclave.url}/v1/ohttp`, {
      method: 'POST',
      headers: { 'content-type': 'message/ohttp-chunked-req' },
      body: (await chunked.encapsulate(inner)) as BodyInit,
    });
    expect(res.headers.get('content-type')).toBe('message/ohttp-chunked-res');
    let chunks = 0;
    const counted = chunked.decapsulateResponse(res.body!).pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(c, ctl) {
          chunks++;
          ctl.enqueue(c);
        },
      }),
    );
    const response = await decodeResponseStream(counted);
    expect(response.status).toBe(200);
    const body = fromUtf8(new Uint8Array(await new Response(response.body).arrayBuffer()));
    expect(body).toContain('data: [DONE]');
    // Paced: at least the smallest chunk-count bucket (4), each chunk one padded slot.
    expect(chunks).toBeGreaterThanOrEqual(4);
  });

  it('answers a whole (non-chunked) OHTTP request too', async () => {
    const { encapsulateRequest, decodeResponse } = await import('@sotto/protocol');
    const { keyConfig } = await fetchAttestedKey(enclave.url, { allowDevelopment: true });
    const req = await encapsulateRequest(
      keyConfig,
      encodeRequest({
        method: 'POST',
        scheme: 'https',
        authority: 'enclave',
        path: '/v1/chat/completions',
        body: utf8(JSON.stringify({ ...ONCE, max_tokens: 8, stream: true })),
      }),
    );
    const res = await fetch(`${enclave.url}/v1/ohttp`, {
      method: 'POST',
      headers: { 'content-type': 'message/ohttp-req' },
      body: req.encapsulated as BodyInit,
    });
    expect(res.headers.get('content-type')).toBe('message/ohttp-res');
    const sealed = new Uint8Array(await res.arrayBuffer());
    // Padded to a power of two from 1 KiB (RFC 9292 §3.8), plus the 16-byte nonce and tag.
    expect([1024, 2048, 4096, 8192]).toContain(sealed.length - 32);
    const inner = decodeResponse(await req.decapsulateResponse(sealed));
    expect(inner.status).toBe(200);
    expect(fromUtf8(inner.body)).toContain('"content":" there"');
    expect(fromUtf8(inner.body)).toContain('data: [DONE]');
  });

  it('returns inner errors sealed, with only an outer 200 visible', async () => {
    const { keyConfig } = await fetchAttestedKey(enclave.url, { allowDevelopment: true });
    const sealed = await sealChatRequest(keyConfig, { messages: [], max_tokens: 5 });
    const err = await collect(sealed.openResponse(await postSealed(enclave.url, sealed))).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(ServiceError);
    expect(err).toMatchObject({ status: 400, inner: true });
  });

  it('refuses tampered, truncated and wrong-key requests cleanly and stays up', async () => {
    const { keyConfig } = await fetchAttestedKey(enclave.url, { allowDevelopment: true });
    const sealed = await sealChatRequest(keyConfig, { ...ONCE, max_tokens: 5 });
    const post = (body: Uint8Array) =>
      fetch(`${enclave.url}/v1/ohttp`, {
        method: 'POST',
        headers: { 'content-type': 'message/ohttp-chunked-req' },
        body: body as BodyInit,
      });
    const tampered = sealed.body.slice();
    tampered[tampered.length - 3]! ^= 1;
    expect((await post(tampered)).status).toBe(400);
    expect((await post(sealed.body.slice(0, sealed.body.length - 20))).status).toBe(400);
    expect((await post(sealed.body.slice(0, 5))).status).toBe(400);
    const wrongKey = sealed.body.slice();
    wrongKey[0] = (wrongKey[0]! + 128) % 256; // neither of the two key ids
    const res = await post(wrongKey);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toMatchObject({ type: expect.stringContaining('ohttp-key') });
    const other = await sealChatRequest(
      decodeKeyConfig(
        new Uint8Array([keyConfig.keyId, 0, 0x20, ...new Uint8Array(32).fill(9), 0, 4, 0, 1, 0, 1]),
      ),
      { ...ONCE, max_tokens: 5 },
    );
    expect((await post(other.body)).status).toBe(400);
    const wrongType = await fetch(`${enclave.url}/v1/ohttp`, {
      method: 'POST',
      body: sealed.body as BodyInit,
    });
    expect(wrongType.status).toBe(415);
    // Still serving.
    expect((await ask(5)).text.length).toBeGreaterThan(0);
  });

  it('stops generating when the client goes away', async () => {
    const { keyConfig } = await fetchAttestedKey(enclave.url, { allowDevelopment: true });
    const sealed = await sealChatRequest(keyConfig, { ...ONCE, max_tokens: 400 });
    const abort = new AbortController();
    const events = sealed.openResponse(
      await postSealed(enclave.url, sealed, { signal: abort.signal }),
    );
    const first = await events.next();
    expect(first.value).toMatchObject({ type: 'delta' });
    abort.abort();
    // Chunks already buffered may still open; the stream must then fail, never end cleanly.
    let ended: 'failed' | 'clean' = 'clean';
    try {
      while (!(await events.next()).done) {
        // drain
      }
    } catch {
      ended = 'failed';
    }
    expect(ended).toBe('failed');
    const line = await enclave.waitForLog((l) => l.outcome === 'client-gone');
    // No per-request token count in the log (issue 13): id, route, status, outcome, key only.
    const allowed = ['t', 'requestId', 'route', 'status', 'outcome', 'keyId'];
    for (const k of Object.keys(line)) expect(allowed).toContain(k);
    expect((await ask(5)).text.length).toBeGreaterThan(0);
  });

  it('never logs prompt or answer text', async () => {
    const canary = `canary-${Math.random().toString(36).slice(2)}`;
    const { keyConfig } = await fetchAttestedKey(enclave.url, { allowDevelopment: true });
    const sealed = await sealChatRequest(keyConfig, {
      messages: [{ role: 'user', content: `Once upon a time ${canary}` }],
      max_tokens: 10,
      temperature: 0,
    });
    const { text } = await collect(sealed.openResponse(await postSealed(enclave.url, sealed)));
    await enclave.waitForLog((l) => l.route === 'ohttp' && l.outcome === 'inner-200-length');
    expect(enclave.output()).not.toContain(canary);
    expect(enclave.output()).not.toContain(text.trim().slice(0, 12));
  });
});

describe('enclave queue', () => {
  it('answers 503 with Retry-After when every sequence is busy and the queue is full', async () => {
    const busy = await startEnclave({ SOTTO_SEQUENCES: '1', SOTTO_QUEUE_LIMIT: '0' });
    try {
      const { keyConfig } = await fetchAttestedKey(busy.url, { allowDevelopment: true });
      const long = await sealChatRequest(keyConfig, { ...ONCE, max_tokens: 400 });
      const abort = new AbortController();
      const events = long.openResponse(await postSealed(busy.url, long, { signal: abort.signal }));
      await events.next();
      const second = await sealChatRequest(keyConfig, { ...ONCE, max_tokens: 5 });
      const err = await postSealed(busy.url, second).catch((e) => e);
      expect(err).toBeInstanceOf(ServiceError);
      expect(err).toMatchObject({ status: 503, inner: false, retryAfterSeconds: 1 });

      // streamChat waits as told and retries; its wait is where the long answer ends.
      const seen: string[] = [];
      let text = '';
      for await (const ev of streamChat(
        busy.url,
        { ...ONCE, max_tokens: 5 },
        {
          policy: { allowDevelopment: true },
          sleep: async () => {
            abort.abort();
            await busy.waitForLog((l) => l.outcome === 'client-gone');
          },
        },
      )) {
        seen.push(ev.type === 'retry' ? `retry:${ev.reason}` : ev.type);
        if (ev.type === 'delta') text += ev.text;
      }
      expect(seen.slice(0, 3)).toEqual(['attested', 'retry:busy', 'attested']);
      expect(seen.at(-1)).toBe('done');
      expect(text.startsWith(', there was')).toBe(true);
    } finally {
      await busy.stop();
    }
  });
});

describe('enclave key rotation', () => {
  it('refuses the old key once rotation and its grace window have passed', async () => {
    const rotating = await startEnclave({ SOTTO_KEY_ROTATE: '1500ms', SOTTO_KEY_GRACE: '300ms' });
    try {
      const { keyConfigs: oldKeys } = await fetchAttestedKey(rotating.url, {
        allowDevelopment: true,
      });
      // Wait for the rotation event, then for the grace window to close: each is an event in the log.
      const rotated = await rotating.waitForLog((l) => l.event === 'key-rotated');
      const { keyConfigs: newKeys } = await fetchAttestedKey(rotating.url, {
        allowDevelopment: true,
      });
      expect(newKeys.map((k) => k.keyId).join(',')).toBe(rotated.keyIds);
      expect(newKeys.map((k) => k.keyId)).not.toEqual(oldKeys.map((k) => k.keyId));
      await rotating.waitForLog((l) => l.event === 'key-rotated' && l.keyIds !== rotated.keyIds);
      // Both retired keys (X-Wing and X25519) were erased: neither opens a request.
      for (const oldKey of oldKeys) {
        const stale = await sealChatRequest(oldKey, { ...ONCE, max_tokens: 3 });
        const err = await postSealed(rotating.url, stale).catch((e) => e);
        expect(err).toBeInstanceOf(ServiceError);
        expect(err.message).toMatch(/key identifier unknown/);
      }
      const fresh = await fetchAttestedKey(rotating.url, { allowDevelopment: true });
      const ok = await sealChatRequest(fresh.keyConfig, { ...ONCE, max_tokens: 3 });
      expect(
        (await collect(ok.openResponse(await postSealed(rotating.url, ok)))).deltas,
      ).toBeGreaterThan(0);
    } finally {
      await rotating.stop();
    }
  });
});

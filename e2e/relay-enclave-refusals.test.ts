/**
 * How the real relay passes on the real enclave's refusals (issue 11, "Failover"),
 * as processes on 127.0.0.1: an early refusal of a large upload is the enclave's
 * answer, not a connection failure; overload is an outer 503 + Retry-After counted
 * at arrival, distinct from a dead enclave's 503 `enclave_unavailable`.
 */
import http from 'node:http';
import {
  createChunkedRequest,
  fetchAttestedKey,
  isStaleKey,
  postSealed,
  sealChatRequest,
  ServiceError,
  streamChat,
} from '@sotto/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EnclaveProcess, startEnclave } from '../enclave/test/support/enclave-process';
import { type RelayProcess, startRelayProcess } from './support/relay-process';

const DEV = { allowDevelopment: true };
const ONCE = { messages: [{ role: 'user' as const, content: 'Once upon a time' }], temperature: 0 };

async function health(relay: RelayProcess) {
  const res = await fetch(`${relay.url}/healthz`);
  return (await res.json()) as { ok: boolean; enclaves: { index: number; healthy: boolean }[] };
}

/** A sealed request to `keyId` (one the enclave does not hold) with a body of about `bytes`. */
async function sealedToOtherKey(relayUrl: string, bytes: number) {
  const { keyConfig, keyConfigs } = await fetchAttestedKey(relayUrl, DEV);
  // A key id the enclave does not hold: none of the bound list (one key per KEM).
  const held = new Set(keyConfigs.map((c) => c.keyId));
  let keyId = keyConfig.keyId;
  while (held.has(keyId)) keyId = (keyId + 1) % 256;
  const other = { ...keyConfig, keyId };
  const chunked = await createChunkedRequest(other);
  return chunked.encapsulate(new Uint8Array(bytes).fill(0x61));
}

/** Opens a POST to the enclave and sends only part of its body: it holds a place. */
function holdUpload(enclaveUrl: string): Promise<http.ClientRequest> {
  const req = http.request(`${enclaveUrl}/v1/ohttp`, {
    method: 'POST',
    headers: { 'content-type': 'message/ohttp-chunked-req', 'transfer-encoding': 'chunked' },
  });
  req.on('error', () => {});
  req.write(Buffer.from([0x01]));
  return new Promise((resolve) => req.on('socket', (s) => s.once('connect', () => resolve(req))));
}

/**
 * Sends the first 64 KiB of `body`, waits for the answer's head (the refusal
 * arrives while the upload is under way), then sends the rest and reads the
 * answer to its end.
 */
function uploadPastAnswer(relayUrl: string, body: Uint8Array) {
  return new Promise<{ status: number; type: string | undefined; text: string }>(
    (resolve, reject) => {
      const req = http.request(`${relayUrl}/v1/ohttp`, {
        method: 'POST',
        headers: {
          'content-type': 'message/ohttp-chunked-req',
          'content-length': String(body.length),
        },
      });
      req.on('error', reject);
      req.on('response', (res) => {
        req.end(body.subarray(64 * 1024));
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () =>
          resolve({ status: res.statusCode!, type: res.headers['content-type'], text }),
        );
        res.on('error', reject);
      });
      req.write(body.subarray(0, 64 * 1024));
    },
  );
}

describe('relay + enclave: early refusals', () => {
  let enclave: EnclaveProcess;
  let relay: RelayProcess;
  beforeAll(async () => {
    enclave = await startEnclave();
    relay = await startRelayProcess({
      SOTTO_ENCLAVES: enclave.url,
      // No interval check between the requests of a test: what /healthz shows is
      // what the requests themselves made the relay believe.
      SOTTO_HEALTH_INTERVAL: '60m',
      SOTTO_RATE_LIMIT: 'off',
    });
  });
  afterAll(async () => {
    await relay?.stop();
    await enclave?.stop();
  });

  it("passes on the enclave's 400 to a ~1 MB request for a key it does not hold, and keeps it healthy", async () => {
    const body = await sealedToOtherKey(relay.url, 1024 * 1024);
    expect(body.length).toBeGreaterThan(1024 * 1024);
    // The refusal comes while most of the body is still to be sent.
    for (let i = 0; i < 3; i++) {
      const early = await uploadPastAnswer(relay.url, body);
      expect(early).toMatchObject({ status: 400, type: 'application/problem+json' });
      expect(JSON.parse(early.text)).toMatchObject({ title: 'key identifier unknown' });
      expect(await health(relay)).toEqual({ ok: true, enclaves: [{ index: 0, healthy: true }] });
    }
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${relay.url}/v1/ohttp`, {
        method: 'POST',
        headers: { 'content-type': 'message/ohttp-chunked-req' },
        body: body as BodyInit,
      });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(await res.json()).toEqual({
        type: 'https://iana.org/assignments/http-problem-types#ohttp-key',
        title: 'key identifier unknown',
      });
      expect(await health(relay)).toEqual({ ok: true, enclaves: [{ index: 0, healthy: true }] });
    }
    // The shared client reads it as a stale key (refetch evidence, re-seal) …
    const err = await postSealed(relay.url, {
      body,
      contentType: 'message/ohttp-chunked-req',
    }).catch((e: unknown) => e);
    expect(isStaleKey(err)).toBe(true);
    // … and the enclave still answers.
    let text = '';
    for await (const ev of streamChat(relay.url, { ...ONCE, max_tokens: 8 }, { policy: DEV })) {
      if (ev.type === 'delta') text += ev.text;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(relay.logs().filter((l) => l.event === 'enclave_health')).toEqual([]);
  });
});

describe('relay + enclave: overload and a dead enclave', () => {
  let enclave: EnclaveProcess;
  let relay: RelayProcess;
  beforeAll(async () => {
    // Admission: 1 running + 1 waiting.
    enclave = await startEnclave({ SOTTO_SEQUENCES: '1', SOTTO_QUEUE_LIMIT: '1' });
    relay = await startRelayProcess({
      SOTTO_ENCLAVES: enclave.url,
      SOTTO_HEALTH_INTERVAL: '60m',
      SOTTO_RATE_LIMIT: 'off',
    });
  });
  afterAll(async () => {
    await relay?.stop();
    await enclave?.stop();
  });

  it('counts a request the moment it arrives, and refuses the overflow with an outer 503 + Retry-After', async () => {
    // Two uploads still in progress take both places before any body is read.
    const held = [await holdUpload(enclave.url), await holdUpload(enclave.url)];
    const { keyConfig } = await fetchAttestedKey(relay.url, DEV);
    const sealed = await sealChatRequest(keyConfig, { ...ONCE, max_tokens: 4 });
    const res = await fetch(`${relay.url}/v1/ohttp`, {
      method: 'POST',
      headers: { 'content-type': sealed.contentType },
      body: sealed.body as BodyInit,
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toEqual({ error: 'enclave_busy' });
    expect(await health(relay)).toEqual({ ok: true, enclaves: [{ index: 0, healthy: true }] });

    // Places are given back when the held requests go (as soon as the enclave
    // notices): then a request is served.
    for (const r of held) r.destroy();
    let outcome: unknown;
    for (;;) {
      const again = await sealChatRequest(keyConfig, { ...ONCE, max_tokens: 4 });
      outcome = await postSealed(relay.url, again).then(
        (b) => b.cancel().then(() => 'served'),
        (e: unknown) => e,
      );
      if (!(outcome instanceof ServiceError && outcome.status === 503)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(outcome).toBe('served');
  });

  it('answers a burst with complete answers or outer 503s only, never a sealed inner 503', async () => {
    const { keyConfig } = await fetchAttestedKey(relay.url, DEV);
    // Sealed first, then sent at once: they arrive while the first is still answering.
    const burst = await Promise.all(
      Array.from({ length: 12 }, () => sealChatRequest(keyConfig, { ...ONCE, max_tokens: 200 })),
    );
    const outcomes = await Promise.all(
      burst.map(async (sealed) => {
        const res = await fetch(`${relay.url}/v1/ohttp`, {
          method: 'POST',
          headers: { 'content-type': sealed.contentType },
          body: sealed.body as BodyInit,
        });
        if (res.status !== 200) {
          expect(res.status).toBe(503);
          expect(res.headers.get('retry-after')).toBe('1');
          expect(await res.json()).toEqual({ error: 'enclave_busy' });
          return 'busy';
        }
        // An inner error would throw here (ServiceError, inner: true).
        for await (const _ of sealed.openResponse(res.body!));
        return 'answered';
      }),
    );
    expect(outcomes).toContain('answered');
    expect(outcomes).toContain('busy');
  });

  it('tells a dead enclave (503 enclave_unavailable, no Retry-After) from a busy one', async () => {
    const { keyConfig } = await fetchAttestedKey(relay.url, DEV);
    await enclave.stop();
    const sealed = await sealChatRequest(keyConfig, { ...ONCE, max_tokens: 4 });
    const res = await fetch(`${relay.url}/v1/ohttp`, {
      method: 'POST',
      headers: { 'content-type': sealed.contentType },
      body: sealed.body as BodyInit,
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBeNull();
    expect(await res.json()).toEqual({ error: 'enclave_unavailable' });
    expect(await health(relay)).toEqual({ ok: false, enclaves: [{ index: 0, healthy: false }] });
  });
});

describe('relay + enclave: a rate-limited evidence fetch', () => {
  let enclave: EnclaveProcess;
  let relay: RelayProcess;
  beforeAll(async () => {
    enclave = await startEnclave();
    relay = await startRelayProcess({
      SOTTO_ENCLAVES: enclave.url,
      SOTTO_RATE_LIMIT: '1/s,burst=1',
    });
  });
  afterAll(async () => {
    await relay?.stop();
    await enclave?.stop();
  });

  it('is retried by the client as Retry-After says, and succeeds', async () => {
    await fetchAttestedKey(relay.url, DEV); // takes the only token
    const limited = await fetch(`${relay.url}/v1/evidence`);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const waits: number[] = [];
    const key = await fetchAttestedKey(relay.url, DEV, {
      sleep: (ms) => {
        waits.push(ms);
        return new Promise((r) => setTimeout(r, ms));
      },
    });
    expect(key.evidence.development).toBe(true);
    expect(waits.length).toBeGreaterThanOrEqual(1);
    expect(waits.every((ms) => ms >= 1000)).toBe(true); // never sooner than Retry-After
  });
});

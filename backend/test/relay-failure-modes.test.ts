/**
 * The relay against network stand-ins for the enclave (support/stand-in-enclave.ts):
 * status codes, limits, retries, streaming and truncation, over real HTTP on
 * 127.0.0.1. Waits on events, never on sleeps.
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { CHUNKED_REQ, sealedLike, startRelay, type TestRelay } from './support/relay-harness';
import { refusedUrl, startStandIn } from './support/stand-in-enclave';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function relayWith(
  enclaves: string[],
  overrides: Parameters<typeof startRelay>[1] = {},
  options: Parameters<typeof startRelay>[2] = {},
): Promise<TestRelay> {
  const r = await startRelay(enclaves, overrides, options);
  cleanups.push(() => r.close());
  return r;
}

async function standIn(keyId: number, handler?: Parameters<typeof startStandIn>[1]) {
  const s = await startStandIn(keyId, handler);
  cleanups.push(() => s.close());
  return s;
}

function post(url: string, body: Buffer, type = CHUNKED_REQ) {
  return fetch(`${url}/v1/ohttp`, {
    method: 'POST',
    headers: { 'content-type': type },
    body: new Uint8Array(body),
  });
}

/** A deferred signal the test resolves to let a stand-in go on. */
function signal() {
  let fire!: () => void;
  const fired = new Promise<void>((r) => {
    fire = r;
  });
  return { fire, fired };
}

describe('relay failure modes', () => {
  it('forwards a request and returns the answer bytes unchanged', async () => {
    const e = await standIn(1);
    const r = await relayWith([e.url]);
    const res = await post(r.url, sealedLike(1, 'abc'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('message/ohttp-chunked-res');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(
      Buffer.concat([Buffer.from('R'), sealedLike(1, 'abc')]),
    );
  });

  it('answers 415 to any other media type, without contacting an enclave', async () => {
    const e = await standIn(1);
    const r = await relayWith([e.url]);
    for (const type of ['application/json', 'text/plain', 'message/ohttp-res', '']) {
      const res = await post(r.url, sealedLike(1), type);
      expect(res.status).toBe(415);
      expect(await res.json()).toEqual({ error: 'unsupported_media_type' });
    }
    expect((await post(r.url, sealedLike(1), 'Message/OHTTP-req; x=1')).status).toBe(200);
    expect(e.requests).toHaveLength(1);
  });

  it('answers 413 to a declared length over the limit without reading the body', async () => {
    const e = await standIn(1);
    const r = await relayWith([e.url], { maxBodyBytes: 1024 });
    const res = await post(r.url, Buffer.alloc(1025, 1));
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: 'too_large' });
    expect(e.requests).toHaveLength(0);
    expect((await post(r.url, Buffer.alloc(1024, 1))).status).toBe(200);
  });

  it('answers 413 to a streamed body that grows past the limit and aborts the upstream', async () => {
    const e = await standIn(1);
    const r = await relayWith([e.url], { maxBodyBytes: 1024 });
    const req = http.request(`${r.url}/v1/ohttp`, {
      method: 'POST',
      headers: { 'content-type': CHUNKED_REQ, 'transfer-encoding': 'chunked' },
    });
    req.on('error', () => {}); // the relay may close while we still write
    const response = new Promise<http.IncomingMessage>((resolve) => req.on('response', resolve));
    req.write(Buffer.alloc(600, 1));
    const upstream = await e.nextRequest();
    req.write(Buffer.alloc(600, 2)); // 1200 > 1024
    const res = await response;
    expect(res.statusCode).toBe(413);
    res.resume();
    const closed = await upstream.closed;
    expect(closed.complete).toBe(false);
    expect(closed.bytes).toBeLessThanOrEqual(1024);
    req.destroy();
  });

  it('rate-limits per client with 429 and Retry-After', async () => {
    const e = await standIn(1);
    const r = await relayWith(
      [e.url],
      { rateLimit: { burst: 2, refillPerSecond: 0.1 } },
      { now: () => 1_000 },
    );
    expect((await post(r.url, sealedLike(1))).status).toBe(200);
    expect((await fetch(`${r.url}/v1/evidence`)).status).toBe(200);
    const limited = await post(r.url, sealedLike(1));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await limited.json()).toEqual({ error: 'rate_limited' });
    expect((await fetch(`${r.url}/healthz`)).status).toBe(200); // health is not limited
  });

  it('answers 503 enclave_unavailable when no enclave answers', async () => {
    const r = await relayWith([await refusedUrl(), await refusedUrl()]);
    const res = await post(r.url, sealedLike(1));
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: 'enclave_unavailable' });
    expect((await fetch(`${r.url}/v1/evidence`)).status).toBe(503);
    const health = (await (await fetch(`${r.url}/healthz`)).json()) as { ok: boolean };
    expect(health.ok).toBe(false);
  });

  it('answers 504 when the enclave accepts but never answers', async () => {
    const e = await standIn(1, () => {}); // hangs
    const r = await relayWith([e.url], { upstreamTimeoutMs: 100 });
    const res = await post(r.url, sealedLike(1));
    expect(res.status).toBe(504);
    expect(await res.json()).toEqual({ error: 'upstream_timeout' });
    expect((await e.requests[0]!.closed).complete).toBe(true);
  });

  it('retries on another enclave when the first refuses the connection', async () => {
    const good = await standIn(1);
    const r = await relayWith([await refusedUrl(), good.url]);
    const res = await post(r.url, sealedLike(1, 'retry me'));
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).subarray(1)).toEqual(sealedLike(1, 'retry me'));
    const [line] = await r.waitForRequestLogs(1);
    expect(line).toMatchObject({ attempts: 2, enclave: 1, outcome: 'ok', status: 200 });
    expect(r.relay.pool.status().map((s) => s.healthy)).toEqual([false, true]);
  });

  it('retries a busy (503) enclave on another holding the same key id, replaying the body', async () => {
    const busy = await standIn(5, (_req, res) => {
      res.writeHead(503, { 'retry-after': '3', 'content-type': 'application/json' });
      res.end('{"error":"busy"}');
    });
    const other = await standIn(5); // key id collision: both serve key id 5
    const r = await relayWith([busy.url, other.url]);
    for (let i = 0; i < 2; i++) await fetch(`${r.url}/v1/evidence`); // learn both key ids
    const body = sealedLike(5, Buffer.alloc(64 * 1024, 9));
    const res = await post(r.url, body);
    expect(res.status).toBe(200);
    // Byte-for-byte (Buffer.equals: a deep toEqual on 64 KiB is needlessly slow).
    expect(
      Buffer.from(await res.arrayBuffer())
        .subarray(1)
        .equals(body),
    ).toBe(true);

    other.onOhttp = busy.onOhttp; // now both busy
    const both = await post(r.url, sealedLike(5));
    expect(both.status).toBe(503);
    expect(both.headers.get('retry-after')).toBe('3');
    expect(await both.json()).toEqual({ error: 'enclave_busy' });
  });

  it('streams the first chunk to the client before the enclave has finished', async () => {
    const release = signal();
    const e = await standIn(1, (_req, res) => {
      res.writeHead(200, { 'content-type': 'message/ohttp-chunked-res' });
      res.write('first');
      void release.fired.then(() => res.end('second'));
    });
    const r = await relayWith([e.url]);
    const res = await post(r.url, sealedLike(1));
    const reader = res.body!.getReader();
    const first = await reader.read(); // resolves while the enclave still holds its answer open
    expect(Buffer.from(first.value!).toString()).toBe('first');
    release.fire();
    let rest = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += Buffer.from(value).toString();
    }
    expect(rest).toBe('second');
  });

  it('streams a request body to the enclave as it arrives', async () => {
    const e = await standIn(1);
    const r = await relayWith([e.url]);
    const more = signal();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        controller.enqueue(sealedLike(1, 'part-one'));
        await more.fired;
        controller.enqueue(Buffer.from('part-two'));
        controller.close();
      },
    });
    const response = fetch(`${r.url}/v1/ohttp`, {
      method: 'POST',
      headers: { 'content-type': CHUNKED_REQ },
      body,
      duplex: 'half',
    } as RequestInit);
    const upstream = await e.nextRequest();
    await upstream.received('part-one'); // reached the enclave while the client still holds part two
    expect(Buffer.concat(upstream.chunks).includes('part-two')).toBe(false);
    more.fire();
    const res = await response;
    expect(Buffer.from(await res.arrayBuffer()).toString()).toBe('R\x01part-onepart-two');
  });

  it('truncates the client stream when the enclave dies mid-answer', async () => {
    const die = signal();
    const e = await standIn(1, (_req, res) => {
      res.writeHead(200, { 'content-type': 'message/ohttp-chunked-res' });
      res.write('partial');
      void die.fired.then(() => res.socket?.destroy());
    });
    const r = await relayWith([e.url]);
    const res = await post(r.url, sealedLike(1));
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(Buffer.from(first.value!).toString()).toBe('partial');
    die.fire();
    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) return 'clean end';
      })(),
    ).rejects.toThrow();
    const [line] = await r.waitForRequestLogs(1);
    expect(line).toMatchObject({ outcome: 'upstream_died', complete: false });
  });

  it('passes an enclave outer 4xx through as it is', async () => {
    const e = await standIn(1, (_req, res) => {
      res.writeHead(422, { 'content-type': 'application/problem+json' });
      res.end('{"type":"unknown-key"}');
    });
    const r = await relayWith([e.url]);
    const res = await post(r.url, sealedLike(9));
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.text()).toBe('{"type":"unknown-key"}');
  });

  it('answers 400 to an empty body (no key id byte)', async () => {
    const e = await standIn(1);
    const r = await relayWith([e.url]);
    const res = await post(r.url, Buffer.alloc(0));
    expect(res.status).toBe(400);
    expect(e.requests).toHaveLength(0);
  });

  it('truncates the client stream when the enclave goes silent mid-answer (idle timeout)', async () => {
    const e = await standIn(1, (_req, res) => {
      res.writeHead(200, { 'content-type': 'message/ohttp-chunked-res' });
      res.write('partial'); // then silence
    });
    const r = await relayWith([e.url], { upstreamIdleTimeoutMs: 100 });
    const res = await post(r.url, sealedLike(1));
    const reader = res.body!.getReader();
    expect(Buffer.from((await reader.read()).value!).toString()).toBe('partial');
    await expect(reader.read()).rejects.toThrow();
    const [line] = await r.waitForRequestLogs(1);
    expect(line).toMatchObject({ outcome: 'upstream_timeout', complete: false });
  });

  it('closes the enclave connection when the client goes away mid-answer', async () => {
    let upstreamClosed!: (finished: boolean) => void;
    const closed = new Promise<boolean>((resolve) => {
      upstreamClosed = resolve;
    });
    const e = await standIn(1, (_req, res) => {
      res.writeHead(200, { 'content-type': 'message/ohttp-chunked-res' });
      res.write('partial');
      res.on('close', () => upstreamClosed(res.writableFinished));
    });
    const r = await relayWith([e.url]);
    const abort = new AbortController();
    const res = await fetch(`${r.url}/v1/ohttp`, {
      method: 'POST',
      headers: { 'content-type': CHUNKED_REQ },
      body: new Uint8Array(sealedLike(1)),
      signal: abort.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    abort.abort();
    expect(await closed).toBe(false); // torn down, not finished
    const [line] = await r.waitForRequestLogs(1);
    expect(line).toMatchObject({ outcome: 'client_aborted', complete: false });
  });

  it('carries 50 concurrent requests from one client with the default limits', async () => {
    const e = await standIn(1);
    const r = await relayWith([e.url], { rateLimit: { burst: 100, refillPerSecond: 60 } });
    const results = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const res = await post(r.url, sealedLike(1, `req-${i}`));
        return [
          res.status,
          Buffer.from(await res.arrayBuffer())
            .subarray(2)
            .toString(),
        ];
      }),
    );
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => [200, `req-${i}`]));
  });

  it('answers 408 to a client that stalls before or while sending its body', async () => {
    const e = await standIn(1, () => {}); // would hang too, but the client stalls first
    const r = await relayWith([e.url], { upstreamTimeoutMs: 100 });
    const send = (first: Buffer | null) =>
      new Promise<number>((resolve, reject) => {
        const req = http.request(`${r.url}/v1/ohttp`, {
          method: 'POST',
          headers: { 'content-type': CHUNKED_REQ, 'content-length': '100' },
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
          req.destroy();
        });
        req.on('error', reject);
        if (first) req.write(first);
        else req.flushHeaders();
      });
    expect(await send(null)).toBe(408); // headers, then nothing
    expect(e.requests).toHaveLength(0);
    expect(await send(sealedLike(1, 'ten bytes'))).toBe(408); // 10 of 100 bytes, then nothing
    expect(e.requests).toHaveLength(1);
    expect((await e.requests[0]!.closed).complete).toBe(false); // the enclave side was torn down
  });

  it('does not mark an enclave down for a connection it closed mid-upload while its health check passes', async () => {
    const e = await standIn(1, (req) => req.socket.destroy()); // closes on the first bytes
    const r = await relayWith([e.url]);
    const res = await post(r.url, sealedLike(1, Buffer.alloc(256 * 1024, 3)));
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({ error: 'enclave_reset' });
    expect(r.relay.pool.status()).toEqual([{ index: 0, healthy: true }]);

    // A reset from an enclave whose health check fails too is a dead enclave.
    const url = e.url;
    await e.close();
    const dead = await relayWith([url]);
    const gone = await post(dead.url, sealedLike(1));
    expect(gone.status).toBe(503);
    expect(await gone.json()).toEqual({ error: 'enclave_unavailable' });
    expect(dead.relay.pool.status()).toEqual([{ index: 0, healthy: false }]);
  });

  it('lets a client still uploading read a refusal whole (429 mid-body), then closes', async () => {
    const e = await standIn(1);
    const r = await relayWith(
      [e.url],
      { rateLimit: { burst: 1, refillPerSecond: 0.01 } },
      { now: () => 1_000 },
    );
    expect((await post(r.url, sealedLike(1))).status).toBe(200);
    const body = Buffer.alloc(512 * 1024, 5);
    const answer = await new Promise<{ status: number; text: string; retryAfter: unknown }>(
      (resolve, reject) => {
        const req = http.request(`${r.url}/v1/ohttp`, {
          method: 'POST',
          headers: { 'content-type': CHUNKED_REQ, 'content-length': String(body.length) },
        });
        req.on('error', reject);
        req.on('response', (res) => {
          req.end(body.subarray(1024)); // the rest, after the answer has begun
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () =>
            resolve({ status: res.statusCode!, text, retryAfter: res.headers['retry-after'] }),
          );
          res.on('error', reject);
        });
        req.write(body.subarray(0, 1024));
      },
    );
    expect(answer.status).toBe(429);
    expect(JSON.parse(answer.text)).toEqual({ error: 'rate_limited' });
    expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(e.requests).toHaveLength(1); // the refused body never reached an enclave
  });
});

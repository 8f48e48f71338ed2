/**
 * What the relay passes on and what it writes down: the enclave receives only
 * the protocol's headers, and the request logs hold no body byte, no header
 * value and no client address, whatever the client sends.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { CHUNKED_REQ, sealedLike, startRelay, type TestRelay } from './support/relay-harness';
import { startStandIn } from './support/stand-in-enclave';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** POSTs with node:http so any header (cookie included) can be sent. */
function rawPost(
  url: string,
  body: Buffer,
  headers: Record<string, string>,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/v1/ohttp`, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

const NOSY_HEADERS = {
  cookie: 'session=abc',
  'x-forwarded-for': '203.0.113.7',
  forwarded: 'for=203.0.113.7',
  'x-real-ip': '203.0.113.7',
  'user-agent': 'NosyBrowser/1.0',
  authorization: 'Bearer secret-token',
  referer: 'https://example.com/private',
  origin: 'chrome-extension://abc',
  'accept-language': 'de-CH',
};

describe('relay privacy', () => {
  it('forwards only content-type and content-length to the enclave, and returns only protocol headers', async () => {
    const e = await startStandIn(1, (req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, {
          'content-type': 'message/ohttp-res',
          'set-cookie': 'tracker=1',
          server: 'enclave/1.0',
          'x-enclave-debug': 'yes',
        });
        res.end('sealed');
      });
    });
    cleanups.push(() => e.close());
    const r = await startRelay([e.url]);
    cleanups.push(() => r.close());
    const res = await rawPost(r.url, sealedLike(1), {
      ...NOSY_HEADERS,
      'content-type': 'message/ohttp-req',
    });
    expect(res.status).toBe(200);
    const sent = Object.keys(e.requests[0]!.headers).sort();
    expect(sent).toEqual(['connection', 'content-length', 'content-type', 'host']);
    expect(e.requests[0]!.headers['content-type']).toBe('message/ohttp-req');
    expect(e.requests[0]!.headers.connection).toBe('keep-alive'); // pooled connections (upstream.ts);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.headers.server).toBeUndefined();
    expect(res.headers['x-enclave-debug']).toBeUndefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body.toString()).toBe('sealed');
  });

  it('sends Incremental: ?1 with chunked requests and passes the enclave’s back (chunked OHTTP §3)', async () => {
    const e = await startStandIn(1, (req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'message/ohttp-chunked-res', incremental: '?1' });
        res.end('sealed');
      });
    });
    cleanups.push(() => e.close());
    const r = await startRelay([e.url]);
    cleanups.push(() => r.close());
    const res = await rawPost(r.url, sealedLike(1), {
      'content-type': CHUNKED_REQ,
      incremental: '?1',
    });
    expect(res.status).toBe(200);
    expect(e.requests[0]!.headers.incremental).toBe('?1');
    expect(res.headers.incremental).toBe('?1');
  });

  it('logs one line per request with no body byte, no header value and no client address', async () => {
    const canary = `CANARY-${randomBytes(12).toString('hex')}`;
    const forms = [
      canary,
      Buffer.from(canary).toString('base64'),
      Buffer.from(canary).toString('hex'),
      encodeURIComponent(`${canary} x`),
    ];
    const e = await startStandIn(1);
    cleanups.push(() => e.close());
    const r: TestRelay = await startRelay([e.url], {
      maxBodyBytes: 4096,
      rateLimit: { burst: 6, refillPerSecond: 0.001 },
    });
    cleanups.push(() => r.close());
    const headers = { ...NOSY_HEADERS, cookie: `c=${canary}`, 'user-agent': canary };
    const body = sealedLike(1, `prompt ${canary} ${forms.join(' ')}`);

    const ok = await rawPost(r.url, body, { ...headers, 'content-type': CHUNKED_REQ });
    expect(ok.status).toBe(200);
    expect(ok.body.includes(canary)).toBe(true); // it really went through
    expect((await rawPost(r.url, body, { ...headers, 'content-type': 'text/plain' })).status).toBe(
      415,
    );
    const big = Buffer.concat([body, Buffer.alloc(5000, 0x41)]);
    expect((await rawPost(r.url, big, { ...headers, 'content-type': CHUNKED_REQ })).status).toBe(
      413,
    );
    expect((await fetch(`${r.url}/v1/evidence?q=${canary}`, { headers })).status).toBe(200);
    expect((await fetch(`${r.url}/${canary}`, { headers })).status).toBe(404);
    expect((await fetch(`${r.url}/v1/ohttp?${canary}`, { headers })).status).toBe(405);
    // Two more to run out the burst: the 429 is logged too.
    await rawPost(r.url, body, { ...headers, 'content-type': CHUNKED_REQ });
    expect((await rawPost(r.url, body, { ...headers, 'content-type': CHUNKED_REQ })).status).toBe(
      429,
    );

    const lines = await r.waitForRequestLogs(8);
    expect(lines.map((l) => l.status)).toEqual([200, 415, 413, 200, 404, 405, 200, 429]);
    expect(lines.map((l) => l.route)).toEqual([
      'ohttp',
      'ohttp',
      'ohttp',
      'evidence',
      'other',
      'ohttp',
      'ohttp',
      'ohttp',
    ]);
    for (const l of lines) {
      expect(Object.keys(l).sort()).toEqual(
        [
          't',
          'id',
          'method',
          'route',
          'status',
          'requestSize',
          'responseSize',
          'enclave',
          'attempts',
          'outcome',
          'complete',
        ].sort(),
      );
      expect(l.id).toMatch(/^[0-9a-f-]{36}$/);
    }
    // Sizes only as classes, the time only to the minute (issue 13).
    expect(lines[0]).toMatchObject({ requestSize: '≤1KiB', responseSize: '≤1KiB' });
    for (const l of lines) expect(l.t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\dZ$/);
    expect(new Set(lines.map((l) => l.id)).size).toBe(8);

    const all = r.logs.join('\n');
    for (const form of forms) expect(all).not.toContain(form);
    for (const secret of ['203.0.113.7', 'secret-token', 'NosyBrowser', 'example.com', 'session']) {
      expect(all).not.toContain(secret);
    }
    // No client (or any) address: not the loopback client, not v4-mapped, not v6 loopback.
    expect(all).not.toMatch(/127\.0\.0\.1|::1|::ffff|localhost/);
  });

  it('writes exact sizes and timings only as aggregated classes, or on every line with the debug flag', async () => {
    const e = await startStandIn(1);
    cleanups.push(() => e.close());
    const r = await startRelay([e.url]);
    cleanups.push(() => r.close());
    const body = sealedLike(1, Buffer.alloc(3000, 7));
    for (let i = 0; i < 6; i++) {
      expect((await rawPost(r.url, body, { 'content-type': CHUNKED_REQ })).status).toBe(200);
    }
    await r.waitForRequestLogs(6);
    const exact = String(body.length);
    expect(r.logs.join('\n')).not.toContain(exact);
    r.relay.flushTraffic();
    const traffic = r.logs.map((l) => JSON.parse(l)).find((l) => l.event === 'traffic');
    expect(traffic).toMatchObject({ requests: 6, requestSize: JSON.stringify({ '≤4KiB': 6 }) });
    expect(JSON.stringify(traffic)).not.toContain(exact);

    const d = await startRelay([e.url], { logDetail: true });
    cleanups.push(() => d.close());
    await rawPost(d.url, body, { 'content-type': CHUNKED_REQ });
    const [line] = await d.waitForRequestLogs(1);
    expect(line).toMatchObject({ requestBytes: body.length, responseBytes: body.length + 1 });
    expect(typeof line!.totalMs).toBe('number');
  });
});

/**
 * The relay against hostile clients (issue 17, "Abuse"), over real HTTP on
 * 127.0.0.1: an absolute body deadline that trickled bytes cannot push back, a
 * per-client connection cap, a rate limiter that tells clients apart behind a
 * configured proxy and believes no one else's forwarding headers; and the
 * keep-alive pool towards the enclave.
 */
import http, { type IncomingMessage } from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { clientAddress, trustedProxyList } from '../src/client-address';
import { CHUNKED_REQ, sealedLike, startRelay, type TestRelay } from './support/relay-harness';
import { startStandIn } from './support/stand-in-enclave';

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

function post(url: string, headers: Record<string, string> = {}) {
  return fetch(`${url}/v1/ohttp`, {
    method: 'POST',
    headers: { 'content-type': CHUNKED_REQ, ...headers },
    body: new Uint8Array(sealedLike(1)),
  });
}

/** A raw TCP connection that has sent one keep-alive request and read its answer. */
async function openConnection(url: string): Promise<net.Socket> {
  const { port } = new URL(url);
  const socket = net.connect(Number(port), '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('data', () => resolve());
    socket.write('GET /healthz HTTP/1.1\r\nHost: relay\r\nConnection: keep-alive\r\n\r\n');
  });
  return socket;
}

/** Resolves with what a new connection gets: an answer, or closed before one. */
function tryConnection(url: string): Promise<'answered' | 'closed'> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    socket.on('error', () => resolve('closed'));
    socket.once('data', () => {
      socket.destroy();
      resolve('answered');
    });
    socket.once('close', () => resolve('closed'));
    socket.write('GET /healthz HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n');
  });
}

describe('relay abuse limits', () => {
  it('cuts a body trickled one byte at a time at its absolute deadline (408)', async () => {
    const e = await standIn(1, () => {}); // reads, never answers
    // The progress timer alone would wait 10 s after every byte; the deadline does not move.
    const r = await relayWith([e.url], { bodyTimeoutMs: 300, upstreamTimeoutMs: 10_000 });
    const req = http.request(`${r.url}/v1/ohttp`, {
      method: 'POST',
      headers: { 'content-type': CHUNKED_REQ, 'content-length': '100000' },
    });
    req.on('error', () => {});
    const answer = new Promise<IncomingMessage>((resolve) => req.on('response', resolve));
    req.write(Buffer.from([1]));
    const trickle = setInterval(() => req.write(Buffer.from([2])), 20);
    const res = await answer;
    clearInterval(trickle);
    req.destroy();
    expect(res.statusCode).toBe(408);
    const [line] = await r.waitForRequestLogs(1);
    expect(line).toMatchObject({ outcome: 'client_timeout' });
    expect((await e.requests[0]!.closed).complete).toBe(false);
  });

  it('closes a connection over the per-client cap before reading a byte', async () => {
    const e = await standIn(1);
    const r = await relayWith([e.url], { maxConnectionsPerClient: 2 });
    const held = [await openConnection(r.url), await openConnection(r.url)];
    expect(await tryConnection(r.url)).toBe('closed');
    held[0]!.destroy();
    // Once the relay has seen that connection go, a new one is served.
    let outcome: 'answered' | 'closed';
    while ((outcome = await tryConnection(r.url)) === 'closed') {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(outcome).toBe('answered');
    held[1]!.destroy();
  });

  it('keys the rate limit by the client a trusted proxy names, and by the socket otherwise', async () => {
    const e = await standIn(1);
    const limit = { rateLimit: { burst: 1, refillPerSecond: 0.001 } };
    const behind = await relayWith([e.url], { ...limit, trustedProxies: ['127.0.0.1'] }, {});
    const a = { 'x-forwarded-for': '203.0.113.1' };
    const b = { forwarded: 'for="[2001:db8::7]:4711";proto=https' };
    expect((await post(behind.url, a)).status).toBe(200);
    expect((await post(behind.url, b)).status).toBe(200); // another client, its own bucket
    expect((await post(behind.url, a)).status).toBe(429);
    expect((await post(behind.url, { forwarded: 'for=2001:db8::7' })).status).toBe(429);
    // What the client itself wrote (left of what the proxy appended) is not believed.
    expect(
      (await post(behind.url, { 'x-forwarded-for': '198.51.100.9, 203.0.113.1' })).status,
    ).toBe(429);

    // Without a configured proxy, forwarding headers are ignored: one bucket per socket address.
    const direct = await relayWith([e.url], limit);
    expect((await post(direct.url, a)).status).toBe(200);
    expect((await post(direct.url, { 'x-forwarded-for': '203.0.113.2' })).status).toBe(429);
  });

  it('reuses connections to the enclave (keep-alive pool)', async () => {
    const e = await standIn(1);
    // A TCP pass-through in front of the stand-in counts the relay's connections.
    const sockets = new Set<net.Socket>();
    const counter = net.createServer((client) => {
      const upstream = net.connect(Number(new URL(e.url).port), '127.0.0.1');
      sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => counter.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => counter.close(() => resolve()));
    });
    const r = await relayWith([`http://127.0.0.1:${(counter.address() as net.AddressInfo).port}`]);
    for (let i = 0; i < 10; i++) expect((await post(r.url)).status).toBe(200);
    expect(e.requests).toHaveLength(10);
    expect(sockets.size / 2).toBeLessThan(10); // connections opened for 10 requests
  });
});

describe('clientAddress', () => {
  const req = (remoteAddress: string, headers: Record<string, string>) =>
    ({ socket: { remoteAddress }, headers }) as unknown as IncomingMessage;
  const trusted = trustedProxyList(['10.0.0.0/8', '::1']);

  it('believes forwarding headers from configured proxies only', () => {
    const xff = { 'x-forwarded-for': '203.0.113.5' };
    expect(clientAddress(req('10.1.2.3', xff), trusted)).toBe('203.0.113.5');
    expect(clientAddress(req('::ffff:10.1.2.3', xff), trusted)).toBe('203.0.113.5');
    expect(clientAddress(req('192.0.2.1', xff), trusted)).toBe('192.0.2.1');
    expect(clientAddress(req('10.1.2.3', xff), null)).toBe('10.1.2.3');
  });

  it('walks the chain from the right, past every trusted hop', () => {
    const chain = { 'x-forwarded-for': '1.1.1.1, 203.0.113.5, 10.9.9.9' };
    expect(clientAddress(req('10.1.2.3', chain), trusted)).toBe('203.0.113.5');
    const fwd = { forwarded: 'for=1.1.1.1, for="203.0.113.5:8080";by=x, for=10.0.0.2' };
    expect(clientAddress(req('::1', fwd), trusted)).toBe('203.0.113.5');
    const v6 = { forwarded: 'For="[2001:DB8::1]:443"' };
    expect(clientAddress(req('::1', v6), trusted)).toBe('2001:db8::1');
  });

  it('falls back to the proxy itself when the header does not parse', () => {
    const cases: Record<string, string>[] = [
      { 'x-forwarded-for': 'not-an-ip' },
      { forwarded: 'for=unknown' },
      { forwarded: 'proto=https' },
      { 'x-forwarded-for': '' },
      {},
    ];
    for (const headers of cases) {
      expect(clientAddress(req('10.1.2.3', headers), trusted)).toBe('10.1.2.3');
    }
  });
});

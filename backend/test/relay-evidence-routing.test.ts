/**
 * Evidence pass-through and key-id routing across several enclaves
 * (support/stand-in-enclave.ts serves evidence whose keyConfig starts with its
 * key id). The evidence TTL runs on an injected clock.
 */
import http, { type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { keyIdsOfEvidence } from '../src/evidence-cache';
import { CHUNKED_REQ, sealedLike, startRelay, type TestRelay } from './support/relay-harness';
import { evidenceJson, startStandIn } from './support/stand-in-enclave';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function standIn(keyId: number, handler?: Parameters<typeof startStandIn>[1]) {
  const s = await startStandIn(keyId, handler);
  cleanups.push(() => s.close());
  return s;
}

async function relayWith(
  enclaves: string[],
  overrides: Parameters<typeof startRelay>[1] = {},
  options: Parameters<typeof startRelay>[2] = {},
): Promise<TestRelay> {
  const r = await startRelay(enclaves, overrides, options);
  cleanups.push(() => r.close());
  return r;
}

const getEvidence = async (url: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${url}/v1/evidence`, { headers });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
};

const post = (url: string, body: Buffer) =>
  fetch(`${url}/v1/ohttp`, {
    method: 'POST',
    headers: { 'content-type': CHUNKED_REQ },
    body: new Uint8Array(body),
  });

describe('evidence pass-through', () => {
  it('reads the key ids from the keyConfigs list and nothing else', () => {
    expect(keyIdsOfEvidence(Buffer.from(evidenceJson(0xab)))).toEqual([0xab]);
    expect(keyIdsOfEvidence(Buffer.from(evidenceJson(0xab, 0xac)))).toEqual([0xab, 0xac]);
    expect(keyIdsOfEvidence(Buffer.from('not json'))).toBeUndefined();
    expect(keyIdsOfEvidence(Buffer.from('{"keyConfigs":"!!"}'))).toBeUndefined();
    expect(keyIdsOfEvidence(Buffer.from('{"keyConfigs":""}'))).toBeUndefined();
    // badly framed lists: a zero length, an entry running past the end, a dangling byte
    const b64 = (...b: number[]) => Buffer.from(b).toString('base64');
    for (const list of [b64(0, 0, 1), b64(0, 9, 1, 0, 0x20), b64(0, 1, 7, 3)]) {
      expect(keyIdsOfEvidence(Buffer.from(JSON.stringify({ keyConfigs: list })))).toBeUndefined();
    }
    expect(keyIdsOfEvidence(Buffer.from('null'))).toBeUndefined();
  });

  it('reads the key id of v2 evidence from the first entry of keyConfigs (RFC 9458 §3.2)', () => {
    const list = Buffer.concat([Buffer.from([0, 41, 0xcd, 0x00, 0x20]), Buffer.alloc(38, 7)]);
    const v2 = JSON.stringify({ format: 'sotto-evidence/2', keyConfigs: list.toString('base64') });
    expect(keyIdsOfEvidence(Buffer.from(v2))).toEqual([0xcd]);
    expect(keyIdsOfEvidence(Buffer.from('{"keyConfigs":"!!"}'))).toBeUndefined();
  });

  it('serves the enclave bytes unchanged, from cache within the TTL', async () => {
    let now = 0;
    const e = await standIn(3);
    const r = await relayWith([e.url], { evidenceTtlMs: 10_000 }, { now: () => now });
    const a = await getEvidence(r.url);
    expect(a).toEqual({ status: 200, type: 'application/json', text: evidenceJson(3) });
    const b = await getEvidence(r.url);
    expect(b.text).toBe(a.text);
    expect(e.evidenceHits).toBe(1);

    await getEvidence(r.url, { 'cache-control': 'no-cache' });
    expect(e.evidenceHits).toBe(2);

    now += 9_999;
    await getEvidence(r.url);
    expect(e.evidenceHits).toBe(2);
    now += 1;
    await getEvidence(r.url);
    expect(e.evidenceHits).toBe(3);
  });

  it('drops the cache when the enclave refuses the key it served (rotation)', async () => {
    const e = await standIn(3, (_req, res) => {
      res.writeHead(422, { 'content-type': 'application/json' });
      res.end('{"error":"unknown_key"}');
    });
    const r = await relayWith([e.url], { evidenceTtlMs: 3_600_000 }, { now: () => 0 });
    expect((await getEvidence(r.url)).text).toBe(evidenceJson(3));
    e.keyId = 4; // the enclave rotates
    expect((await getEvidence(r.url)).text).toBe(evidenceJson(3)); // still cached
    const res = await post(r.url, sealedLike(3));
    expect(res.status).toBe(422);
    expect((await getEvidence(r.url)).text).toBe(evidenceJson(4));
    expect(e.evidenceHits).toBe(2);
  });

  it('answers 503 when no enclave can serve evidence, and 502 for a bundle without a key config', async () => {
    const e = await standIn(3);
    const r = await relayWith([e.url]);
    await e.close();
    expect((await getEvidence(r.url)).status).toBe(503);

    // An "enclave" whose bundle carries no key config: nothing to route by.
    const broken = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(req.url === '/healthz' ? '{"ok":true}' : '{"format":"sotto-evidence/1"}');
    });
    await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => broken.close(() => resolve())));
    const { port } = broken.address() as AddressInfo;
    const r2 = await relayWith([`http://127.0.0.1:${port}`]);
    expect(await getEvidence(r2.url)).toMatchObject({ status: 502 });
  });
});

describe('key-id routing across enclaves', () => {
  it('routes each request to the enclave whose evidence named its key id', async () => {
    const a = await standIn(1);
    const b = await standIn(2);
    const r = await relayWith([a.url, b.url], {}, { checkFirst: true });
    const served = [await getEvidence(r.url), await getEvidence(r.url)].map((e) => e.text);
    // Round-robin: clients spread over both enclaves' keys.
    expect(new Set(served)).toEqual(new Set([evidenceJson(1), evidenceJson(2)]));
    for (let i = 0; i < 3; i++) {
      expect((await post(r.url, sealedLike(2, `to-b-${i}`))).status).toBe(200);
      expect((await post(r.url, sealedLike(1, `to-a-${i}`))).status).toBe(200);
    }
    const bodies = (s: typeof a) =>
      s.requests.map((q) => Buffer.concat(q.chunks).subarray(1).toString());
    expect(bodies(a)).toEqual(['to-a-0', 'to-a-1', 'to-a-2']);
    expect(bodies(b)).toEqual(['to-b-0', 'to-b-1', 'to-b-2']);
  });

  it("routes every key id of an enclave's list to it (one key per KEM: X-Wing and X25519)", async () => {
    const a = await standIn(1);
    a.moreKeyIds = [2];
    const b = await standIn(3);
    b.moreKeyIds = [4];
    const r = await relayWith([a.url, b.url], {}, { checkFirst: true });
    await getEvidence(r.url);
    await getEvidence(r.url);
    for (const id of [2, 1, 4, 3])
      expect((await post(r.url, sealedLike(id, `k${id}`))).status).toBe(200);
    const bodies = (s: typeof a) =>
      s.requests.map((q) => Buffer.concat(q.chunks).subarray(1).toString());
    expect(bodies(a)).toEqual(['k2', 'k1']);
    expect(bodies(b)).toEqual(['k4', 'k3']);
  });

  it("answers 503 enclave_unavailable when the key's enclave is down, and serves a healthy enclave's evidence", async () => {
    const a = await standIn(1);
    const b = await standIn(2);
    const r = await relayWith([a.url, b.url], {}, { checkFirst: true });
    await getEvidence(r.url);
    await getEvidence(r.url);
    await b.close();
    await r.relay.pool.checkAll();
    expect(r.relay.pool.status().map((s) => s.healthy)).toEqual([true, false]);

    const res = await post(r.url, sealedLike(2));
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: 'enclave_unavailable' });
    expect(a.requests).toHaveLength(0); // never sent to an enclave without that key
    for (let i = 0; i < 3; i++) {
      expect((await getEvidence(r.url, { 'cache-control': 'no-cache' })).text).toBe(
        evidenceJson(1),
      );
    }
    expect((await post(r.url, sealedLike(1))).status).toBe(200);
  });

  it('tries every healthy enclave for a key id it has not seen', async () => {
    const reject = (_req: unknown, res: ServerResponse) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{"error":"unknown_key"}');
    };
    const a = await standIn(1, reject);
    const b = await standIn(2);
    const r = await relayWith([a.url, b.url]);
    // The relay has fetched no evidence: key id 2 is unknown, enclave 0 is tried first.
    const res = await post(r.url, sealedLike(2, 'hello'));
    expect(res.status).toBe(200);
    expect(a.requests).toHaveLength(1);
    expect(b.requests).toHaveLength(1);
    const [line] = await r.waitForRequestLogs(1);
    expect(line).toMatchObject({ attempts: 2, enclave: 1 });
  });

  it('reports enclave health at /healthz by index, never the enclave URLs', async () => {
    const a = await standIn(1);
    const b = await standIn(2);
    const r = await relayWith([a.url, b.url], {}, { checkFirst: true });
    await b.close();
    await r.relay.pool.checkAll();
    const res = await fetch(`${r.url}/healthz`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({
      ok: true,
      enclaves: [
        { index: 0, healthy: true },
        { index: 1, healthy: false },
      ],
    });
    for (const url of [a.url, b.url]) {
      expect(text).not.toContain(url);
      expect(text).not.toContain(new URL(url).port);
    }
  });

  it('rechecks before refusing when every candidate is marked down', async () => {
    const a = await standIn(1);
    const r = await relayWith([a.url]);
    r.relay.pool.markDown(r.relay.pool.enclaves[0]!); // e.g. one reset connection
    expect((await post(r.url, sealedLike(1))).status).toBe(200);
    r.relay.pool.markDown(r.relay.pool.enclaves[0]!);
    expect((await getEvidence(r.url)).status).toBe(200);
  });

  it('finds an enclave that came back when the one it believed healthy is gone', async () => {
    const a = await standIn(1);
    const b = await standIn(2);
    const r = await relayWith([a.url, b.url]);
    r.relay.pool.markDown(r.relay.pool.enclaves[1]!); // b was not up at the last check
    await a.close(); // a dies; the relay has not noticed yet
    const res = await getEvidence(r.url, { 'cache-control': 'no-cache' });
    expect(res).toMatchObject({ status: 200, text: evidenceJson(2) });
    expect(r.relay.pool.status().map((s) => s.healthy)).toEqual([false, true]);
  });
});

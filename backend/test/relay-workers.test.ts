/**
 * The relay process on every core (issue 17, "Relay"): `SOTTO_RELAY_WORKERS=2`
 * forks two workers behind one port, and new connections are spread over both.
 * Real relay process, real HTTP on 127.0.0.1, a network stand-in for the enclave.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHUNKED_REQ, sealedLike } from './support/relay-harness';
import { type StandIn, startStandIn } from './support/stand-in-enclave';

const REPO_ROOT = resolve(import.meta.dirname, '../..');

/** One request on a connection of its own (no keep-alive: each is a new connection). */
function postOnNewConnection(url: string): Promise<number> {
  return new Promise((resolvePost, reject) => {
    const req = http.request(`${url}/v1/ohttp`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': CHUNKED_REQ, connection: 'close' },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolvePost(res.statusCode ?? 0));
    });
    req.end(sealedLike(1));
  });
}

describe('relay workers', () => {
  let enclave: StandIn;
  let child: ChildProcess;
  let url: string;
  const lines: Record<string, unknown>[] = [];
  beforeAll(async () => {
    enclave = await startStandIn(1);
    child = spawn(process.execPath, ['--import', 'tsx', 'backend/src/server.ts'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        SOTTO_RELAY_PORT: '0',
        SOTTO_RELAY_WORKERS: '2',
        SOTTO_ENCLAVES: enclave.url,
        SOTTO_RATE_LIMIT: 'off',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    url = await new Promise<string>((resolveUrl, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const m = /listening on (http:\/\/\S+) .*\(2 workers\)/.exec(line);
        if (m) resolveUrl(m[1]!);
        if (line.startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
      });
      child.once('exit', () => reject(new Error('relay exited')));
    });
  });
  afterAll(async () => {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    await enclave.close();
  });

  it('spreads new connections over both workers', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push(await postOnNewConnection(url));
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(enclave.requests).toHaveLength(20);
    const served = () => lines.filter((l) => l.route === 'ohttp');
    while (served().length < 20) await new Promise((r) => setTimeout(r, 20));
    const perWorker = new Map<unknown, number>();
    for (const l of served()) perWorker.set(l.worker, (perWorker.get(l.worker) ?? 0) + 1);
    console.log(`requests per worker: ${JSON.stringify(Object.fromEntries(perWorker))}`);
    expect([...perWorker.keys()].sort()).toEqual([0, 1]);
    for (const n of perWorker.values()) expect(n).toBeGreaterThanOrEqual(5);
  });
});

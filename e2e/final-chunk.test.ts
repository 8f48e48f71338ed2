/**
 * A relay that drops or alters the final chunk of a chunked OHTTP answer
 * (draft-ietf-ohai-chunked-ohttp-08 §5, §6.2: the final chunk is sealed with
 * the AAD "final" so truncation is detected). The client must not report an
 * answer as done on the inner `[DONE]` alone: `sotto ask` retries once and then
 * fails with the truncation error, exit 5. In front of the real relay and a real
 * enclave sits a hostile hop that edits only the cleartext framing and bytes.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EnclaveProcess,
  REPO_ROOT,
  startEnclave,
} from '../enclave/test/support/enclave-process';
import { type RelayProcess, startRelayProcess } from './support/relay-process';

type Tamper = 'none' | 'drop-final' | 'alter-final' | 'final-as-non-final';

/** Response nonce for AES-128-GCM: max(Nn, Nk) = 16 (draft-08 §5). */
const NONCE_BYTES = 16;

/** Splits a chunked OHTTP response body into its nonce, non-final frames and the final chunk. */
function split(body: Buffer): { head: Buffer; final: Buffer } {
  let i = NONCE_BYTES;
  while (i < body.length) {
    const first = body[i]!;
    const prefix = 1 << (first >> 6);
    let len = first & 0x3f;
    for (let k = 1; k < prefix; k++) len = len * 256 + body[i + k]!;
    if (len === 0) break;
    i += prefix + len;
  }
  return { head: body.subarray(0, i), final: body.subarray(i) };
}

function tamper(body: Buffer, how: Tamper): Buffer {
  if (how === 'none') return body;
  const { head, final } = split(body);
  if (how === 'drop-final') return head;
  const sealed = Buffer.from(final.subarray(1));
  if (how === 'alter-final') {
    sealed[sealed.length - 1]! ^= 1;
    return Buffer.concat([head, Buffer.from([0]), sealed]);
  }
  // The final chunk re-framed as a non-final one (a length prefix instead of 0): no final chunk follows.
  return Buffer.concat([
    head,
    Buffer.from([0x40 | (sealed.length >> 8), sealed.length & 0xff]),
    sealed,
  ]);
}

/** A hop in front of the relay that edits sealed answers as `mode()` says. */
async function hostileHop(
  relayUrl: string,
  mode: () => Tamper,
): Promise<{ url: string; server: Server; incremental: { sent: string[]; returned: string[] } }> {
  const incremental = { sent: [] as string[], returned: [] as string[] };
  const server = createServer(async (req, res) => {
    const parts: Buffer[] = [];
    for await (const p of req) parts.push(p as Buffer);
    const headers: Record<string, string> = {};
    for (const h of ['content-type', 'cache-control', 'incremental'])
      if (typeof req.headers[h] === 'string') headers[h] = req.headers[h] as string;
    const up = await fetch(`${relayUrl}${req.url}`, {
      method: req.method ?? 'GET',
      headers,
      ...(req.method === 'POST' ? { body: Buffer.concat(parts) } : {}),
    });
    if (req.method === 'POST') {
      incremental.sent.push(String(req.headers.incremental));
      incremental.returned.push(String(up.headers.get('incremental')));
    }
    const body = Buffer.from(await up.arrayBuffer());
    const type = up.headers.get('content-type') ?? 'application/octet-stream';
    res.writeHead(up.status, { 'content-type': type });
    res.end(type === 'message/ohttp-chunked-res' ? tamper(body, mode()) : body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  return {
    url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`,
    server,
    incremental,
  };
}

function sotto(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['protocol/bin/sotto.js', ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('a relay that drops or alters the final chunk', () => {
  let enclave: EnclaveProcess;
  let relay: RelayProcess;
  let hop: Awaited<ReturnType<typeof hostileHop>>;
  let mode: Tamper = 'none';
  beforeAll(async () => {
    enclave = await startEnclave();
    relay = await startRelayProcess({ SOTTO_ENCLAVES: enclave.url });
    hop = await hostileHop(relay.url, () => mode);
  });
  afterAll(async () => {
    hop?.server.close();
    await relay?.stop();
    await enclave?.stop();
  });

  const ask = () =>
    sotto([
      'ask',
      '--relay',
      hop.url,
      '--allow-dev',
      '--temperature',
      '0',
      '--max-tokens',
      '20',
      'Once upon a time',
    ]);

  it('answers through the hop when it leaves the answer alone', async () => {
    mode = 'none';
    const r = await ask();
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith(', there was a little girl')).toBe(true);
    // Incremental: ?1 (chunked OHTTP §3) from the client, and from the enclave back through the relay.
    expect(hop.incremental).toEqual({ sent: ['?1'], returned: ['?1'] });
  });

  for (const how of ['drop-final', 'alter-final', 'final-as-non-final'] as const) {
    it(`fails with the truncation error, exit 5 after one retry, when it does ${how}`, async () => {
      mode = how;
      const r = await ask();
      expect(r.stderr).toMatch(/cut off; retrying/);
      expect(r.stderr).toMatch(/cut off again; giving up/);
      expect(r.code).toBe(5);
    });
  }
});

/**
 * The running stack as processes on 127.0.0.1: two real enclaves with the test
 * model, the real relay, and the `sotto` CLI — with recording TCP proxies on both
 * sides of the relay to prove what crossed each boundary.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AttestedKey, fetchAttestedKey, streamChat } from '@sotto/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EnclaveProcess,
  REPO_ROOT,
  startEnclave,
} from '../enclave/test/support/enclave-process';
import { findCanary, makeCanary } from './support/canary';
import { type RecordingProxy, startRecordingProxy } from './support/recording-proxy';
import { type RelayProcess, startRelayProcess } from './support/relay-process';

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function sotto(args: string[], onStdout?: (text: string) => void): Promise<CliResult> {
  const child = spawn(process.execPath, ['protocol/bin/sotto.js', ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    onStdout?.(stdout);
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

interface Stack {
  enclaves: EnclaveProcess[];
  enclaveProxies: RecordingProxy[];
  relay: RelayProcess;
  clientProxy: RecordingProxy;
  stop(): Promise<void>;
}

async function startStack(enclaveEnv: Record<string, string> = {}): Promise<Stack> {
  const enclaves = await Promise.all([startEnclave(enclaveEnv), startEnclave(enclaveEnv)]);
  const enclaveProxies = await Promise.all(
    enclaves.map((e) => startRecordingProxy({ host: '127.0.0.1', port: portOf(e.url) })),
  );
  const relay = await startRelayProcess({
    SOTTO_ENCLAVES: enclaveProxies.map((p) => p.url).join(','),
    SOTTO_HEALTH_INTERVAL: '500ms',
  });
  const clientProxy = await startRecordingProxy({ host: '127.0.0.1', port: portOf(relay.url) });
  return {
    enclaves,
    enclaveProxies,
    relay,
    clientProxy,
    async stop() {
      await clientProxy.close();
      await relay.stop();
      await Promise.all(enclaveProxies.map((p) => p.close()));
      await Promise.all(enclaves.map((e) => e.stop()));
    },
  };
}

/** The enclave that holds the key the relay currently hands out. */
async function servingEnclave(stack: Stack): Promise<{ index: number; key: AttestedKey }> {
  const key = await fetchAttestedKey(stack.relay.url, { allowDevelopment: true }, { fresh: true });
  for (const [index, e] of stack.enclaves.entries()) {
    const own = await fetchAttestedKey(e.url, { allowDevelopment: true });
    if (own.keyConfig.keyId === key.keyConfig.keyId) return { index, key };
  }
  throw new Error('no enclave holds the served key');
}

describe('the stack: relay + two enclaves + CLI', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('answers `sotto ask --allow-dev "Once upon a time"` through the relay', async () => {
    const r = await sotto([
      'ask',
      '--relay',
      stack.clientProxy.url,
      '--allow-dev',
      '--temperature',
      '0',
      '--max-tokens',
      '40',
      'Once upon a time',
    ]);
    expect(r.stderr).toContain('DEVELOPMENT');
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith(', there was a little girl named Lily')).toBe(true);
  });

  it('refuses development evidence without --allow-dev, and says so', async () => {
    const r = await sotto(['ask', '--relay', stack.relay.url, 'Once upon a time']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/--allow-dev/);
    expect(r.stdout).toBe('');
  });

  it('prints the verified evidence summary', async () => {
    const r = await sotto(['evidence', '--relay', stack.relay.url, '--allow-dev', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      platform: 'dev',
      development: true,
      modelSha256: '1eea071ee5507fc04dd96603c64560e14951db1bef0c006666ea2f5a54568acd',
    });
  });

  it('completes 50 concurrent asks', async () => {
    const policy = { allowDevelopment: true };
    const key = await fetchAttestedKey(stack.relay.url, policy);
    const results = await Promise.all(
      Array.from({ length: 50 }, async () => {
        let text = '';
        let done = false;
        for await (const ev of streamChat(
          stack.relay.url,
          {
            messages: [{ role: 'user', content: 'Once upon a time' }],
            max_tokens: 16,
            temperature: 0,
          },
          { policy, key },
        )) {
          if (ev.type === 'delta') text += ev.text;
          if (ev.type === 'done') done = true;
        }
        return { text, done };
      }),
    );
    expect(results.every((r) => r.done && r.text.startsWith(', there was'))).toBe(true);
  });

  it('refuses an oversized body with 413 and a wrong media type with 415', async () => {
    // Declared too large: the relay must refuse from the header alone, before any body byte.
    const big = await new Promise<{ status: number }>((resolve, reject) => {
      const req = request(`${stack.relay.url}/v1/ohttp`, {
        method: 'POST',
        headers: { 'content-type': 'message/ohttp-chunked-req', 'content-length': 5 * 1024 * 1024 },
      });
      req.on('response', (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0 });
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(big.status).toBe(413);
    const wrong = await fetch(`${stack.relay.url}/v1/ohttp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(wrong.status).toBe(415);
  });

  it('keeps no prompt, page or answer in any byte between client, relay and enclaves, or in relay logs', async () => {
    const canary = makeCanary();
    const dir = await mkdtemp(join(tmpdir(), 'sotto-page-'));
    const page = join(dir, 'page.txt');
    writeFileSync(page, `An article about gardens. ${canary} The end.`);
    const r = await sotto([
      'ask',
      '--relay',
      stack.clientProxy.url,
      '--allow-dev',
      '--max-tokens',
      '30',
      '--system',
      `Be brief ${canary}`,
      '--file',
      page,
      `Once upon a time ${canary}`,
    ]);
    expect(r.code).toBe(0);
    const answer = r.stdout.trim();
    expect(answer.length).toBeGreaterThan(10);
    const places = {
      'client↔relay': stack.clientProxy.recorded(),
      'relay↔enclave 1': stack.enclaveProxies[0]!.recorded(),
      'relay↔enclave 2': stack.enclaveProxies[1]!.recorded(),
      'relay logs': Buffer.from(stack.relay.output()),
    };
    expect(places['client↔relay'].length).toBeGreaterThan(1000);
    for (const [where, bytes] of Object.entries(places)) {
      expect({ where, found: findCanary(bytes, canary) }).toEqual({ where, found: [] });
      // The model's answer is plaintext too: a long enough piece of it must not appear either.
      expect({ where, answer: bytes.includes(Buffer.from(answer.slice(0, 24))) }).toEqual({
        where,
        answer: false,
      });
    }
  });

  it('proves the scan works: it finds the canary in a deliberately unencrypted sample', async () => {
    const canary = makeCanary();
    const control = await startRecordingProxy({ host: '127.0.0.1', port: portOf(stack.relay.url) });
    try {
      for (const body of [
        canary,
        Buffer.from(`x${canary}`).toString('base64'),
        Buffer.from(canary).toString('hex'),
        encodeURIComponent(`q=${canary}`),
      ]) {
        await fetch(`${control.url}/v1/ohttp`, { method: 'POST', body }).then((r) =>
          r.arrayBuffer(),
        );
      }
      expect(findCanary(control.recorded(), canary)).toEqual(
        expect.arrayContaining(['raw', 'hex', 'url', expect.stringMatching(/^base64/)]),
      );
    } finally {
      await control.close();
    }
  });

  it('keeps answering through the other enclave when one is killed', async () => {
    const { index } = await servingEnclave(stack);
    await stack.enclaves[index]!.stop('SIGKILL');
    // Evidence is handed out round-robin: two asks make sure one is first sent towards the dead one.
    for (let i = 0; i < 2; i++) {
      const r = await sotto([
        'ask',
        '--relay',
        stack.relay.url,
        '--allow-dev',
        '--temperature',
        '0',
        '--max-tokens',
        '20',
        'Once upon a time',
      ]);
      expect(r.code).toBe(0);
      expect(r.stdout.startsWith(', there was a little girl')).toBe(true);
    }
  });
});

describe('the stack: an enclave dies mid-answer', () => {
  let stack: Stack;
  beforeAll(async () => {
    // Two threads on the tiny model is the slow setting measured in enclave/src/inference/threads.ts:
    // slow enough to kill the process while it is still answering.
    stack = await startStack({ SOTTO_THREADS: '2' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('reports the truncation and succeeds on retry', async () => {
    let killed = -1;
    const r = await sotto(
      [
        'ask',
        '--relay',
        stack.relay.url,
        '--allow-dev',
        '--temperature',
        '0',
        '--max-tokens',
        '200',
        'Once upon a time',
      ],
      (out) => {
        if (killed >= 0 || out.length === 0) return;
        // The enclave answering is the one with an open OHTTP request through its proxy.
        killed = stack.enclaveProxies.findIndex((p) => p.openRequests('POST /v1/ohttp') > 0);
        stack.enclaves[killed]?.child.kill('SIGKILL');
      },
    );
    expect(killed).toBeGreaterThanOrEqual(0);
    expect(r.stderr).toMatch(/cut off; retrying/);
    expect(r.code).toBe(0);
    const [, retried] = r.stdout.split('\n', 2);
    expect(retried?.startsWith(', there was')).toBe(true);
    // Two slow generations back to back: ~30 s alone on a loaded 2-core machine, more in the full run.
  }, 120_000);
});

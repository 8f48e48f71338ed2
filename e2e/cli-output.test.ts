/**
 * The `sotto` CLI as a subprocess, writing to a pipe that closes early (issue 11,
 * bug 12: `sotto ask … | head`) and printing text a hostile relay chose (bug 13:
 * terminal escape injection). Real enclave and relay processes; the hostile
 * relay is a proxy in front of the real one that rewrites its answers.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EnclaveProcess,
  REPO_ROOT,
  startEnclave,
} from '../enclave/test/support/enclave-process';
import { type RelayProcess, startRelayProcess } from './support/relay-process';

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; with `closeStdout`, the read end of its stdout is closed before it writes. */
function sotto(args: string[], options: { closeStdout?: boolean } = {}): Promise<Run> {
  const child = spawn(process.execPath, ['protocol/bin/sotto.js', ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  if (options.closeStdout) child.stdout.destroy();
  else child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
}

/** Every C0 control but LF and TAB, DEL, C1, and the bidi controls. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** Text a hostile relay puts in its errors: OSC window title, screen clear, C1 CSI, bidi override. */
const HOSTILE = '\u001b]2;pwned\u0007\u001b[2J\u009b31m\u202eevil\r';

/**
 * A relay that passes evidence on from the real one, and answers every sealed
 * request with an error whose text carries terminal escapes.
 */
async function hostileRelay(realUrl: string, status: number, body: string, type: string) {
  const server = http.createServer((req, res) => {
    if (req.url === '/v1/evidence') {
      void fetch(`${realUrl}/v1/evidence`)
        .then(async (r) => {
          res.writeHead(r.status, { 'content-type': 'application/json' });
          res.end(await r.text());
        })
        .catch(() => res.destroy());
      return;
    }
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('sotto CLI output', () => {
  let enclave: EnclaveProcess;
  let relay: RelayProcess;
  beforeAll(async () => {
    enclave = await startEnclave();
    relay = await startRelayProcess({ SOTTO_ENCLAVES: enclave.url, SOTTO_RATE_LIMIT: 'off' });
  });
  afterAll(async () => {
    await relay?.stop();
    await enclave?.stop();
  });

  it('ends quietly with status 0 when stdout is closed (sotto ask … | head)', async () => {
    const args = ['ask', '--relay', relay.url, '--allow-dev', '--max-tokens', '64'];
    const run = await sotto([...args, 'Once upon a time'], { closeStdout: true });
    expect(run.stderr).not.toMatch(/EPIPE|Error|\n\s+at /);
    expect(run.signal).toBeNull();
    expect(run.code).toBe(0);
    // The same command with an open stdout prints the answer (the pipe was the only difference).
    const open = await sotto([...args, 'Once upon a time']);
    expect(open.code).toBe(0);
    expect(open.stdout.trim().length).toBeGreaterThan(0);
  });

  it("writes a hostile relay's error text with its control characters made inert", async () => {
    const problems = [
      // An outer error body in the relay's own shape …
      { status: 503, type: 'application/json', body: JSON.stringify({ error: HOSTILE }) },
      // … and as an RFC 9457 problem title.
      {
        status: 400,
        type: 'application/problem+json',
        body: JSON.stringify({ type: 'about:blank', title: HOSTILE }),
      },
    ];
    for (const p of problems) {
      const hostile = await hostileRelay(relay.url, p.status, p.body, p.type);
      try {
        const run = await sotto(['ask', '--relay', hostile.url, '--allow-dev', 'Once']);
        expect(run.code).toBe(6);
        expect(run.stderr).toContain(`the relay answered ${p.status}`);
        // The shared client drops C0/C1 controls from relay text; the CLI makes what is
        // left (bidi controls) inert: shown, not obeyed.
        expect(run.stderr).toContain(']2;pwned');
        expect(run.stderr).toContain('\\u202e');
        expect(run.stderr).not.toMatch(CONTROL);
        expect(run.stdout).not.toMatch(CONTROL);
      } finally {
        await hostile.close();
      }
    }
  });

  it('makes control characters in refused evidence inert too (sotto evidence)', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: HOSTILE }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const run = await sotto(['evidence', '--relay', url, '--allow-dev']);
      expect(run.code).toBe(6);
      expect(run.stderr).toContain('the relay answered 502');
      expect(run.stderr).not.toMatch(CONTROL);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

/**
 * `npm start` as a newcomer runs it (issue 11): the real script, as a process.
 * Without a reachable model it stops before building anything and says why and
 * how to set SOTTO_MODEL; with the test model and a non-default relay port it
 * builds the extension for that relay (default relay and host permission), starts
 * the enclave and the relay there, and prints the next steps.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT, TEST_MODEL } from '../enclave/test/support/enclave-process';

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

const running: Run[] = [];

function start(env: Record<string, string>): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, SOTTO_RELAY_URL: '', SOTTO_ENCLAVES: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: Ctrl-C reaches the script and its children
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const run = { child, stdout: () => out, stderr: () => err, exited };
  running.push(run);
  return run;
}

/** Resolves when stdout contains `text`; rejects if the process exits first. */
function waitForOutput(run: Run, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (run.stdout().includes(text)) {
        run.child.stdout!.off('data', check);
        resolve();
      }
    };
    run.child.stdout!.on('data', check);
    void run.exited.then((code) =>
      reject(new Error(`npm start exited (${code}):\n${run.stdout()}\n${run.stderr()}`)),
    );
    check();
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

afterEach(async () => {
  for (const run of running.splice(0)) {
    if (run.child.exitCode === null && run.child.signalCode === null) {
      process.kill(-run.child.pid!, 'SIGINT');
      await run.exited;
    }
  }
});

describe('npm start', () => {
  const temp = () => mkdtempSync(join(tmpdir(), 'sotto-start-'));

  it('without a reachable model stops before building, saying why and how to set SOTTO_MODEL', async () => {
    const dir = temp();
    const notGguf = join(dir, 'notes.gguf');
    writeFileSync(notGguf, 'just text');
    const cases = [
      // A remote model, not cached, whose host cannot be reached: no network.
      {
        model: `https://127.0.0.1:${await freePort()}/models/tiny.gguf`,
        says: /not in the cache .* cannot be reached \(no network: \w+\)/,
      },
      { model: join(dir, 'missing.gguf'), says: /No model file at .*missing\.gguf/ },
      { model: notGguf, says: /is not a GGUF model file/ },
    ];
    for (const { model, says } of cases) {
      const out = join(dir, `out-${cases.findIndex((c) => c.model === model)}`);
      const run = start({
        SOTTO_MODEL: model,
        SOTTO_DATA_DIR: join(dir, 'data'),
        SOTTO_OUTPUT_DIR: out,
      });
      expect({ model, code: await run.exited }).toEqual({ model, code: 1 });
      expect(run.stderr()).toMatch(says);
      expect(run.stderr()).toContain('SOTTO_MODEL=../shared/models/stories260K.gguf npm start');
      expect(run.stdout()).not.toMatch(/building/);
      expect(existsSync(out)).toBe(false);
    }
  }, 60_000);

  it('builds the extension for the relay it starts on a non-default port, and prints the next steps', async () => {
    const dir = temp();
    const relayPort = await freePort();
    const enclavePort = await freePort();
    const out = join(dir, 'out');
    const run = start({
      SOTTO_MODEL: TEST_MODEL,
      SOTTO_RELAY_PORT: String(relayPort),
      SOTTO_ENCLAVE_PORT: String(enclavePort),
      SOTTO_DATA_DIR: join(dir, 'data'),
      SOTTO_OUTPUT_DIR: out,
      SOTTO_THREADS: '1',
    });
    await waitForOutput(run, 'Press Ctrl-C to stop.');
    const relayUrl = `http://127.0.0.1:${relayPort}`;

    const extensionDir = join(out, 'chrome-mv3');
    const manifest = JSON.parse(readFileSync(join(extensionDir, 'manifest.json'), 'utf8')) as {
      host_permissions: string[];
    };
    expect(manifest.host_permissions).toEqual([`${relayUrl}/*`]);
    // The default relay compiled into the worker and pages is the one started.
    const built = filesUnder(extensionDir)
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    expect(built).toContain(JSON.stringify(relayUrl));
    expect(built).not.toContain('"http://127.0.0.1:8787"');
    // …and it answers there.
    expect((await fetch(`${relayUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${relayUrl}/v1/evidence`)).status).toBe(200);

    const printed = run.stdout();
    expect(printed).toContain(`relay        ${relayUrl}`);
    expect(printed).toContain(`Load unpacked" and pick ${extensionDir}`);
    expect(printed).toMatch(/toolbar icon/);
    expect(printed).toMatch(/Create passkey/);
    expect(printed).toMatch(/Use this development enclave/);
    expect(printed).toContain(`npx sotto ask --relay ${relayUrl} --allow-dev`);

    process.kill(-run.child.pid!, 'SIGINT');
    expect(await run.exited).toBe(0);
  }, 240_000);
});

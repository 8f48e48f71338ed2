/**
 * Starts the real enclave process (`enclave/src/server.ts`) on a free port with the
 * test model, and collects its log lines. Shared by the enclave, relay and CLI tests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

export const REPO_ROOT = resolve(import.meta.dirname, '../../..');
export const TEST_MODEL = resolve(REPO_ROOT, '../shared/models/stories260K.gguf');
export const TEST_MODEL_SHA256 = '1eea071ee5507fc04dd96603c64560e14951db1bef0c006666ea2f5a54568acd';

export interface EnclaveProcess {
  url: string;
  child: ChildProcess;
  /** Every JSON log line so far, parsed. */
  logs: Record<string, unknown>[];
  /** Raw stderr and stdout text, for privacy scans. */
  output: () => string;
  /** Resolves with the first log line matching `pred` (past or future). */
  waitForLog(pred: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function startEnclave(env: Record<string, string> = {}): Promise<EnclaveProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'enclave/src/server.ts'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      SOTTO_MODEL: TEST_MODEL,
      SOTTO_ENCLAVE_PORT: '0',
      SOTTO_DATA_DIR: mkdtempSync(join(tmpdir(), 'sotto-enclave-')),
      SOTTO_THREADS: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let raw = '';
  const waiters: {
    pred: (l: Record<string, unknown>) => boolean;
    resolve: (l: Record<string, unknown>) => void;
  }[] = [];
  const onLine = (line: string) => {
    raw += `${line}\n`;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line);
    } catch {
      return;
    }
    logs.push(parsed);
    for (const w of [...waiters]) {
      if (w.pred(parsed)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(parsed);
      }
    }
  };
  createInterface({ input: child.stderr! }).on('line', onLine);
  createInterface({ input: child.stdout! }).on('line', onLine);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));

  const waitForLog = (pred: (l: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolvePromise, reject) => {
      const found = logs.find(pred);
      if (found) return resolvePromise(found);
      waiters.push({ pred, resolve: resolvePromise });
      exited.then(() => reject(new Error(`enclave exited; output:\n${raw}`)));
    });

  const listening = await waitForLog((l) => l.event === 'listening');
  return {
    url: String(listening.url),
    child,
    logs,
    output: () => raw,
    waitForLog,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

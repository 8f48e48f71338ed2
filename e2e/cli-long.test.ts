/**
 * `sotto ask --file` on a page far beyond the model's context (issue 15): the CLI plans by
 * the context size the verified evidence states (512 tokens for the test model), reads the
 * page in parts with `part i of n` on stderr, and prints only the answer on stdout. A page
 * that tries to give instructions is read the same way as one that does not. Real enclave
 * and relay processes, the CLI as a subprocess.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EnclaveProcess,
  REPO_ROOT,
  startEnclave,
} from '../enclave/test/support/enclave-process';
import {
  CONTROL_PARAGRAPH,
  INJECTION,
  LONG_ARTICLE_MIN_CHARS,
  longArticle,
} from './support/long-article';
import { type RelayProcess, startRelayProcess } from './support/relay-process';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function sotto(args: string[]): Promise<Run> {
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

const SLOW_MS = 900_000;

describe('sotto ask --file on a long page', () => {
  let enclave: EnclaveProcess;
  let relay: RelayProcess;
  const dir = mkdtempSync(join(tmpdir(), 'sotto-long-'));
  beforeAll(async () => {
    enclave = await startEnclave({ SOTTO_PACE: 'off' });
    relay = await startRelayProcess({ SOTTO_ENCLAVES: enclave.url, SOTTO_RATE_LIMIT: 'off' });
  });
  afterAll(async () => {
    await relay?.stop();
    await enclave?.stop();
  });

  const ask = (file: string) =>
    sotto([
      'ask',
      '--relay',
      relay.url,
      '--allow-dev',
      '--file',
      file,
      '--max-tokens',
      '48',
      '--temperature',
      '0',
      'Summarize this page',
    ]);

  it(
    'reads a page of 20 contexts in parts, progress on stderr, the summary on stdout',
    async () => {
      const planted = join(dir, 'planted.txt');
      const control = join(dir, 'control.txt');
      writeFileSync(planted, longArticle(INJECTION));
      writeFileSync(control, longArticle(CONTROL_PARAGRAPH));
      expect(longArticle(INJECTION).length).toBeGreaterThanOrEqual(LONG_ARTICLE_MIN_CHARS);

      const run = await ask(planted);
      expect(run.stderr).not.toMatch(/Error|\n\s+at /);
      expect(run.code).toBe(0);
      const parts = [...run.stderr.matchAll(/^sotto: part (\d+) of (\d+)$/gm)].map((m) => [
        Number(m[1]),
        Number(m[2]),
      ]);
      const n = parts[parts.length - 1]![1]!;
      expect(n).toBeGreaterThanOrEqual(20);
      // Every part read once, in order (a re-plan after a 413 may change the count once).
      const last = parts.filter(([, of]) => of === n).map(([i]) => i!);
      expect(last).toEqual(Array.from({ length: last.length }, (_, k) => n - last.length + k + 1));
      expect(parts[parts.length - 1]![0]).toBe(n);
      expect(run.stderr).toMatch(/^sotto: combining 1 of \d+ \(round 1\)$/m);
      expect(run.stderr).toContain(`the answer was built from ${n} parts of ${planted}`);
      // stdout is the answer alone: no progress, no page text echoed back.
      expect(run.stdout.trim().length).toBeGreaterThan(0);
      expect(run.stdout).not.toMatch(/part \d+ of|sotto:/);

      // The page that gives instructions is planned exactly like its control of the same length.
      const same = await ask(control);
      expect(same.code).toBe(0);
      const lines = (r: Run) => r.stderr.split('\n').filter((l) => /^sotto: part /.test(l));
      expect(lines(run)).toEqual(lines(same));
      expect(same.stderr).toContain(`the answer was built from ${n} parts of ${control}`);
    },
    SLOW_MS,
  );
});

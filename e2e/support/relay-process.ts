/** Starts the real relay process (`backend/src/server.ts`) on a free port and collects its log lines. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '../../enclave/test/support/enclave-process';

export interface RelayProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  logs: () => Record<string, unknown>[];
  stop(): Promise<void>;
}

export async function startRelayProcess(env: Record<string, string>): Promise<RelayProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'backend/src/server.ts'], {
    cwd: REPO_ROOT,
    // One process unless a test asks for workers (their logs and key-id maps are per worker).
    env: { ...process.env, SOTTO_RELAY_PORT: '0', SOTTO_RELAY_WORKERS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let raw = '';
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = await new Promise<string>((resolve, reject) => {
    const onLine = (line: string) => {
      raw += `${line}\n`;
      const m = /listening on (http:\/\/[^\s]+)/.exec(line);
      if (m) resolve(m[1]!);
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    exited.then(() => reject(new Error(`relay exited:\n${raw}`)));
  });
  return {
    url,
    child,
    output: () => raw,
    logs: () =>
      raw
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

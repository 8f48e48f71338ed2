/** Starts the real sync service process (`backend/src/sync/server.ts`) on a free port and keeps its output. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '../../enclave/test/support/enclave-process';

export interface SyncProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

export async function startSyncProcess(env: Record<string, string>): Promise<SyncProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'backend/src/sync/server.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, DATABASE_URL: '', SOTTO_SYNC_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let raw = '';
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = await new Promise<string>((resolve, reject) => {
    const onLine = (line: string) => {
      raw += `${line}\n`;
      const m = /sotto sync listening on (http:\/\/[^\s]+)/.exec(line);
      if (m) resolve(m[1]!);
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    exited.then(() => reject(new Error(`sync service exited:\n${raw}`)));
  });
  return {
    url,
    child,
    output: () => raw,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * Child processes the benchmarks start: the bench enclave (`servers/bench-enclave.ts`) and the
 * real relay (`backend/src/server.ts`), each in its own Node process as in production, plus
 * their resident memory read from /proc.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { pinnedCommand } from './cpu-pinning';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');

export interface Child {
  url: string;
  pid: number;
  /** Extra fields of the ready line (bench enclave: threads, contextSize). */
  ready: Record<string, unknown>;
  /** Every JSON line it printed, parsed (the bench enclave's request log). */
  logs: Record<string, unknown>[];
  /** The last 100 kB of its stdout and stderr. */
  output(): string;
  stop(): Promise<void>;
}

function start(
  script: string,
  env: Record<string, string>,
  parseReady: (line: string) => Record<string, unknown> | undefined,
  timeoutMs: number,
  cpus?: string,
): Promise<Child> {
  // BENCH_NODE_ARGS: extra Node flags for the servers, e.g. "--cpu-prof --cpu-prof-dir=DIR"
  // (Node refuses --cpu-prof in NODE_OPTIONS); bench/profile/ uses it.
  const extra = process.env.BENCH_NODE_ARGS?.split(' ').filter((a) => a !== '') ?? [];
  const [command, ...args] = pinnedCommand(cpus, [
    process.execPath,
    ...extra,
    '--import',
    'tsx',
    script,
  ]);
  // taskset execs the command, so the child's pid is the server's own.
  const child: ChildProcess = spawn(command!, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let output = '';
  const logs: Record<string, unknown>[] = [];
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not start in ${timeoutMs} ms:\n${output.slice(-2000)}`));
    }, timeoutMs);
    const onLine = (line: string) => {
      output += `${line}\n`;
      if (output.length > 200_000) output = output.slice(-100_000);
      if (line.startsWith('{')) {
        try {
          logs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // not a log line
        }
      }
      const ready = parseReady(line);
      if (!ready) return;
      clearTimeout(timer);
      resolvePromise({
        url: String(ready.url),
        pid: child.pid!,
        ready,
        logs,
        output: () => output,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 8000);
          await exited;
          clearTimeout(killer);
        },
      });
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code}) before it was ready:\n${output.slice(-2000)}`));
    });
  });
}

export interface BenchEnclaveOptions {
  model: string;
  threads?: number;
  sequences?: number;
  promptTailChars?: number;
  contextSize?: number;
  /** CPU list to run on (taskset); all cores when undefined. */
  cpus?: string;
  /** `SOTTO_PACE`: a cadence such as "50ms" (padded, paced answers) or "off" (the default here). */
  pace?: string;
}

/** Starts the bench enclave (real enclave + plaintext twin route); see servers/bench-enclave.ts. */
export function startBenchEnclave(o: BenchEnclaveOptions): Promise<Child> {
  return start(
    'bench/servers/bench-enclave.ts',
    {
      BENCH_MODEL: o.model,
      BENCH_THREADS: String(o.threads ?? 1),
      BENCH_SEQUENCES: String(o.sequences ?? 1),
      BENCH_PROMPT_TAIL_CHARS: String(o.promptTailChars ?? 600),
      ...(o.contextSize ? { BENCH_CONTEXT: String(o.contextSize) } : {}),
      SOTTO_PACE: o.pace ?? 'off',
    },
    (line) => {
      if (!line.startsWith('{')) return undefined;
      try {
        const j = JSON.parse(line) as Record<string, unknown>;
        return j.event === 'listening' ? j : undefined;
      } catch {
        return undefined;
      }
    },
    180_000,
    o.cpus,
  );
}

/**
 * Starts the real relay in front of `enclaves`, rate limiter and per-client connection cap
 * off in effect (a load test is one client with up to 200 streams; the default cap of 128
 * connections per client would reset the rest).
 */
export function startRelay(enclaves: string[], cpus?: string): Promise<Child> {
  return start(
    'backend/src/server.ts',
    {
      SOTTO_RELAY_PORT: '0',
      SOTTO_RELAY_HOST: '127.0.0.1',
      SOTTO_ENCLAVES: enclaves.join(','),
      SOTTO_RATE_LIMIT: 'off',
      SOTTO_MAX_CONNECTIONS_PER_CLIENT: '100000',
      SOTTO_HEALTH_INTERVAL: '30s',
    },
    (line) => {
      const m = /listening on (http:\/\/\S+)/.exec(line);
      return m ? { url: m[1] } : undefined;
    },
    60_000,
    cpus,
  );
}

/** Resident set size of a process in bytes (Linux /proc; NaN elsewhere). */
export function rssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    return m ? Number(m[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** CPU time (user + system) a process has used so far, in milliseconds (Linux /proc). */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
    return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return Number.NaN;
  }
}

/**
 * Keeps the measured server and the load-generating client off each other's cores. In
 * deployment the client runs on the user's device, the relay on its own host and the enclave
 * in its own VM; on one 2-core machine, a client decrypting every token steals the enclave's
 * CPU in a way that never happens there. With `taskset` (Linux) the server under test gets
 * core 0 and the bench process (client, stand-in upstream) the rest. `--no-pin` turns it off.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';

export interface Pinning {
  /** CPU list for the server under test (taskset syntax). */
  server: string;
  /** CPU list for the bench process while it drives that server. */
  client: string;
}

const TASKSET = '/usr/bin/taskset';
/**
 * Every CPU of the machine. (Not `availableParallelism()`, which follows this process's own
 * affinity and so shrinks while the process is pinned.)
 */
const ALL_CPUS = os.cpus().length;

/** The split to use, or undefined where pinning is off or impossible (one core, no taskset). */
export function pinningPlan(enabled: boolean): Pinning | undefined {
  const cores = ALL_CPUS;
  if (!enabled || cores < 2 || !existsSync(TASKSET)) return undefined;
  return { server: '0', client: cores === 2 ? '1' : `1-${cores - 1}` };
}

/** Moves every thread of this process to `cpus` (undefined: all cores again). */
export function pinSelf(cpus: string | undefined): void {
  if (!existsSync(TASKSET)) return;
  const list = cpus ?? `0-${ALL_CPUS - 1}`;
  execFileSync(TASKSET, ['-a', '-p', '-c', list, String(process.pid)], { stdio: 'ignore' });
}

/** The command prefix that starts a child on `cpus`. */
export function pinnedCommand(cpus: string | undefined, command: string[]): string[] {
  return cpus ? [TASKSET, '-c', cpus, ...command] : command;
}

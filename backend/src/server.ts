/**
 * Relay entry point (`npm start -w backend`): reads the environment, checks the
 * enclaves once, listens, prints one startup line, and shuts down cleanly on
 * SIGINT/SIGTERM (stop accepting, let running streams finish briefly, then close).
 *
 * Every core: with `SOTTO_RELAY_WORKERS` above 1 (default: one per core) the
 * process is a `node:cluster` primary that forks that many workers sharing the
 * one listening port; the primary hands new connections to the workers in
 * turn (round-robin), restarts a worker that dies, and prints the startup line
 * once all listen. Each worker is a whole relay (pool, health checks, evidence
 * cache, limiter) and adds `"worker": n` to its log lines. Its rate-limit
 * buckets and connection counts are its own, so a client spread over many
 * connections may get up to `workers` times the per-client limits.
 */
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { listenRelay } from './app';
import { loadConfig, type RelayConfig, RelayConfigError } from './config';
import { type LogSink, logEvent, stdoutSink } from './log';

/** How long running streams get to finish after a shutdown signal. */
const SHUTDOWN_GRACE_MS = 5_000;

function startupLine(url: string, config: RelayConfig, detail: string): string {
  return `sotto relay listening on ${url} → enclaves: ${config.enclaves.join(', ')} (${detail})`;
}

async function runRelay(config: RelayConfig, workerId: number | undefined): Promise<void> {
  const sink: LogSink =
    workerId === undefined
      ? stdoutSink
      : (line) => stdoutSink(line.replace(/^\{/, `{"worker":${workerId},`));
  const running = await listenRelay(config, { sink });
  const healthy = running.relay.pool.status().filter((e) => e.healthy).length;
  if (workerId === undefined) {
    console.log(startupLine(running.url, config, `${healthy}/${config.enclaves.length} healthy`));
  } else {
    logEvent(sink, 'worker_listening', { healthy, enclaves: config.enclaves.length });
  }

  if (config.logDetail) {
    console.log(
      'sotto relay: SOTTO_LOG_DETAIL=1 — exact request sizes and timings are logged (debugging only; they help traffic analysis)',
    );
  }

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logEvent(sink, 'shutdown', { signal });
    running.relay.stop();
    running.server.close(() => process.exit(0));
    running.server.closeIdleConnections();
    setTimeout(() => {
      running.server.closeAllConnections();
      process.exit(0);
    }, SHUTDOWN_GRACE_MS).unref();
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

function runPrimary(config: RelayConfig, workers: number): void {
  let listening = 0;
  let stopping = false;
  const fork = (id: number) => {
    const worker = cluster.fork({ SOTTO_RELAY_WORKER_ID: String(id) });
    worker.once('listening', (address) => {
      if (++listening !== workers) return;
      const host = address.address?.includes(':') ? `[${address.address}]` : address.address;
      console.log(startupLine(`http://${host}:${address.port}`, config, `${workers} workers`));
    });
    worker.once('exit', () => {
      if (stopping) {
        if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
        return;
      }
      logEvent(stdoutSink, 'worker_exited', { worker: id });
      listening--;
      fork(id);
    });
  };
  for (let id = 0; id < workers; id++) fork(id);
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logEvent(stdoutSink, 'shutdown', { signal });
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
    setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS + 1_000).unref();
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

async function main(): Promise<void> {
  const config = loadConfig();
  if (cluster.isWorker) {
    await runRelay(config, Number(process.env.SOTTO_RELAY_WORKER_ID ?? 0));
    return;
  }
  const workers = config.workers === 0 ? availableParallelism() : config.workers;
  if (workers <= 1) await runRelay(config, undefined);
  else runPrimary(config, workers);
}

main().catch((err: unknown) => {
  if (err instanceof RelayConfigError) {
    console.error(`sotto relay: ${err.message}`);
    process.exit(2);
  }
  console.error(
    'sotto relay failed to start:',
    err instanceof Error ? err.message : 'unknown error',
  );
  process.exit(1);
});

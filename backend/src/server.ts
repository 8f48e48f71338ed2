/**
 * Relay entry point (`npm start -w backend`): reads the environment, checks the
 * enclaves once, listens, prints one startup line, and shuts down cleanly on
 * SIGINT/SIGTERM (stop accepting, let running streams finish briefly, then close).
 */
import { listenRelay } from './app';
import { loadConfig, RelayConfigError } from './config';
import { logEvent, stdoutSink } from './log';

/** How long running streams get to finish after a shutdown signal. */
const SHUTDOWN_GRACE_MS = 5_000;

async function main(): Promise<void> {
  const config = loadConfig();
  const running = await listenRelay(config, { sink: stdoutSink });
  const healthy = running.relay.pool.status().filter((e) => e.healthy).length;
  console.log(
    `sotto relay listening on ${running.url} → enclaves: ${config.enclaves.join(', ')} (${healthy}/${config.enclaves.length} healthy)`,
  );

  if (config.logDetail) {
    console.log(
      'sotto relay: SOTTO_LOG_DETAIL=1 — exact request sizes and timings are logged (debugging only; they help traffic analysis)',
    );
  }

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logEvent(stdoutSink, 'shutdown', { signal });
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

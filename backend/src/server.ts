/**
 * Relay entry point (`npm start -w backend`): reads the environment, checks the
 * enclaves once, listens, prints one startup line, and shuts down cleanly on
 * SIGINT/SIGTERM (stop accepting, let streams finish briefly, then close).
 */
import http from 'node:http';
import { createRelay } from './app';
import { loadConfig, RelayConfigError } from './config';
import { logEvent, stdoutSink } from './log';

/** How long running streams get to finish after a shutdown signal. */
const SHUTDOWN_GRACE_MS = 5_000;

async function main(): Promise<void> {
  const config = loadConfig();
  const relay = createRelay(config, { sink: stdoutSink });
  await relay.start();
  const server = http.createServer(relay.app);
  // A client that sends its headers slowly is dropped; Node's requestTimeout
  // (300 s for the whole request body) stays as it is.
  server.headersTimeout = 20_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const healthy = relay.pool.status().filter((e) => e.healthy).length;
  console.log(
    `sotto relay listening on http://${host}:${port} → enclaves: ${config.enclaves.join(', ')} (${healthy}/${config.enclaves.length} healthy)`,
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logEvent(stdoutSink, 'shutdown', { signal });
    relay.stop();
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => {
      server.closeAllConnections();
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

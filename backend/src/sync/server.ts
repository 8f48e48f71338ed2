/**
 * Sync service entry point (`npm start` starts it beside the relay): reads the
 * environment, opens and migrates the store, listens on SOTTO_SYNC_PORT (8789),
 * prints one startup line, and closes cleanly on SIGINT/SIGTERM.
 */
import { RelayConfigError } from '../config';
import { logEvent, stdoutSink } from '../log';
import { listenSync } from './app';
import { loadSyncConfig } from './config';
import { SchemaTooNewError } from './migrations';

async function main(): Promise<void> {
  const config = loadSyncConfig();
  const running = await listenSync(config, { sink: stdoutSink });
  const where = config.databaseUrl
    ? 'PostgreSQL (DATABASE_URL)'
    : `embedded store in ${config.dataDir}`;
  console.log(`sotto sync listening on ${running.url} → ${where}`);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logEvent(stdoutSink, 'shutdown', { signal, service: 'sync' });
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
    setTimeout(() => process.exit(0), 5_000).unref();
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  if (err instanceof RelayConfigError || err instanceof SchemaTooNewError) {
    console.error(`sotto sync: ${err.message}`);
    process.exit(2);
  }
  // Never the error's text: a driver error may quote the database URL.
  const code = (err as { code?: unknown } | null)?.code;
  console.error(`sotto sync failed to start${typeof code === 'string' ? ` (${code})` : ''}`);
  process.exit(1);
});

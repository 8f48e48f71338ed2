/**
 * The sync service as an Express app (issue 14): sealed records with revisions
 * and a change feed per account key, pairing slots, `/healthz`. Its own process
 * (`server.ts`); the relay stays a pure forwarder. Bodies are read raw and
 * bounded (the signature covers their digest); no cookies, no sessions, no
 * proxy trust, no ETag, no `X-Powered-By`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { TokenBucketLimiter } from '../limits';
import type { LogSink } from '../log';
import { sendError } from '../respond';
import { requireSignature, setOutcome } from './auth';
import type { SyncConfig } from './config';
import { openEmbedded } from './engine-pglite';
import { openPostgres } from './engine-postgres';
import { migrate } from './migrations';
import { pairingRoutes, recordRoutes, retireRoutes } from './routes';
import type { SqlEngine } from './sql';
import { SyncStore } from './store';

/** JSON of a record body in base64url, with room for the field names. */
function maxBodyBytes(config: SyncConfig): number {
  return Math.ceil((config.maxRecordBytes * 4) / 3) + 1024;
}

type RouteName = 'records' | 'changes' | 'pairings' | 'retire' | 'handovers' | 'healthz' | 'other';

function routeName(path: string): RouteName {
  if (path === '/healthz') return 'healthz';
  if (path.startsWith('/v1/sync/records/')) return 'records';
  if (path === '/v1/sync/changes') return 'changes';
  if (path.startsWith('/v1/sync/pairings')) return 'pairings';
  if (path === '/v1/sync/retire') return 'retire';
  if (path.startsWith('/v1/sync/handovers/')) return 'handovers';
  return 'other';
}

/** One line per request from fixed fields only: no account, no address, no id, no size. */
function requestLog(sink: LogSink) {
  return (req: Request, res: Response, next: NextFunction): void => {
    res.once('close', () => {
      sink(
        JSON.stringify({
          t: new Date().toISOString(),
          service: 'sync',
          method: ['GET', 'PUT', 'POST', 'DELETE'].includes(req.method) ? req.method : 'OTHER',
          route: routeName(req.path),
          status: res.statusCode,
          outcome:
            (res.locals.syncOutcome as string | undefined) ??
            (res.statusCode < 400 ? 'ok' : 'error'),
        }),
      );
    });
    next();
  };
}

export interface SyncAppOptions {
  readonly sink?: LogSink;
  /** Clock for signatures, pairing expiry and rate limits (tests fix it). */
  readonly now?: () => number;
}

/** Builds the app over an opened, migrated store. */
export function createSyncApp(
  store: SyncStore,
  config: SyncConfig,
  options: SyncAppOptions = {},
): express.Express {
  const now = options.now ?? Date.now;
  const sink = options.sink ?? ((line: string) => process.stdout.write(`${line}\n`));
  const accountLimiter = config.rateLimit ? new TokenBucketLimiter(config.rateLimit, now) : null;
  const addressLimiter = config.rateLimit ? new TokenBucketLimiter(config.rateLimit, now) : null;
  const signed = requireSignature(accountLimiter, now, (id) => store.isRetired(id));
  const records = recordRoutes(store, config.maxRecordBytes);
  const pairing = pairingRoutes(store, config.pairingTtlMs, now);
  const retire = retireRoutes(store);

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(requestLog(sink));
  app.get('/healthz', (_req, res) => {
    res.setHeader('cache-control', 'no-store');
    res.json({ ok: true, service: 'sync', store: store.kind });
  });
  // Unsigned routes (pairing, handovers) are limited per address (kept in memory only).
  app.use(['/v1/sync/pairings', '/v1/sync/handovers'], (req, res, next) => {
    if (!addressLimiter) return next();
    const { allowed, retryAfterSeconds } = addressLimiter.take(req.socket.remoteAddress ?? '');
    if (allowed) return next();
    setOutcome(res, 'rate_limited');
    sendError(req, res, 429, 'rate_limited', { 'retry-after': String(retryAfterSeconds) });
  });
  app.use('/v1', express.raw({ type: () => true, limit: maxBodyBytes(config) }));
  app.put('/v1/sync/records/:id', signed, records.put);
  app.delete('/v1/sync/records/:id', signed, records.delete);
  app.get('/v1/sync/records/:id', signed, records.get);
  app.get('/v1/sync/changes', signed, records.changes);
  app.post('/v1/sync/retire', signed, retire.retire);
  app.get('/v1/sync/handovers/:account/:device', retire.handover);
  app.post('/v1/sync/pairings', pairing.open);
  app.get('/v1/sync/pairings/:code', pairing.get);
  app.put('/v1/sync/pairings/:code/nonce', pairing.nonce);
  app.put('/v1/sync/pairings/:code/commitment', signed, pairing.commitment);
  app.put('/v1/sync/pairings/:code/enc', signed, pairing.enc);
  app.put('/v1/sync/pairings/:code/payload', signed, pairing.payload);
  app.use((req: Request, res: Response) => {
    setOutcome(res, 'not_found');
    sendError(req, res, 404, 'not_found');
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const type = (err as { type?: string } | null)?.type;
    if (type === 'entity.too.large') {
      setOutcome(res, 'too_large');
      return sendError(req, res, 413, 'too_large');
    }
    if (
      type === 'request.aborted' ||
      type === 'entity.verify.failed' ||
      type === 'encoding.unsupported'
    ) {
      setOutcome(res, 'malformed');
      return sendError(req, res, 400, 'malformed');
    }
    // The error is not logged: it could carry request bytes.
    setOutcome(res, 'error');
    sendError(req, res, 500, 'internal');
  });
  return app;
}

/** Opens the configured engine (PostgreSQL if `DATABASE_URL`, else embedded) and migrates it. */
export async function openSyncStore(config: SyncConfig): Promise<SyncStore> {
  const engine: SqlEngine = config.databaseUrl
    ? await openPostgres(config.databaseUrl)
    : await openEmbedded(config.dataDir);
  try {
    await migrate(engine);
  } catch (e) {
    await engine.close().catch(() => {});
    throw e;
  }
  return new SyncStore(engine, { maxRecordsPerAccount: config.maxRecordsPerAccount });
}

export interface RunningSync {
  readonly store: SyncStore;
  readonly server: http.Server;
  readonly url: string;
  close(): Promise<void>;
}

/** Opens the store, migrates, and listens (port 0 picks a free one). */
export async function listenSync(
  config: SyncConfig,
  options: SyncAppOptions = {},
): Promise<RunningSync> {
  const store = await openSyncStore(config);
  const now = options.now ?? Date.now;
  const server = http.createServer(createSyncApp(store, config, options));
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const purge = setInterval(() => void store.purgeNonces(now()).catch(() => {}), 60_000);
  purge.unref();
  const { port } = server.address() as AddressInfo;
  return {
    store,
    server,
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
    close: async () => {
      clearInterval(purge);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await store.close();
    },
  };
}

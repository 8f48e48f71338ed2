/**
 * The relay as an Express app (issue 4, item 1). Express only routes: no body
 * parser, no proxy trust, no ETag, no `X-Powered-By`; the handlers move bytes
 * themselves. `createRelay` builds the app with its pool, evidence cache and
 * limiter; `server.ts` listens, tests listen on port 0.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BlockList, Socket } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { clientAddress, isTrustedPeer, normalizeAddress, trustedProxyList } from './client-address';
import type { RelayConfig } from './config';
import { EvidenceCache } from './evidence-cache';
import type { ForwardDeps } from './forward';
import { TokenBucketLimiter } from './limits';
import { type LogSink, recordOf, requestLogger, stdoutSink } from './log';
import { TrafficAggregate } from './log-aggregate';
import { EnclavePool } from './pool';
import { sendError } from './respond';
import { evidenceRoute } from './routes/evidence';
import { healthRoute } from './routes/health';
import { ohttpRoute } from './routes/ohttp';
import { Upstream } from './upstream';

export interface RelayOptions {
  /** Where request log lines go (default: stdout). */
  readonly sink?: LogSink;
  /** Clock for the evidence TTL and the rate limiter (tests fix it). */
  readonly now?: () => number;
  /** `listenRelay` only: run one health round before listening (default true). */
  readonly checkFirst?: boolean;
}

export interface Relay {
  readonly app: express.Express;
  readonly pool: EnclavePool;
  readonly evidence: EvidenceCache;
  /** Checks the enclaves once and starts the health-check interval. */
  start(): Promise<void>;
  /** Starts the interval without a first check (enclaves stay as they are until then). */
  startInterval(): void;
  /** Stops the health checks and drops upstream agents. */
  stop(): void;
  /** Writes the aggregated `traffic` line now (it is also written every interval). */
  flushTraffic(): void;
}

/** Per-client rate limit; the key (client address, see client-address.ts) never leaves this function. */
function rateLimit(limiter: TokenBucketLimiter, trusted: BlockList | null, lingerBytes: number) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const { allowed, retryAfterSeconds } = limiter.take(clientAddress(req, trusted));
    if (allowed) {
      next();
      return;
    }
    recordOf(res).outcome = 'rate_limited';
    sendError(
      req,
      res,
      429,
      'rate_limited',
      { 'retry-after': String(retryAfterSeconds) },
      { lingerBytes },
    );
  };
}

export function createRelay(config: RelayConfig, options: RelayOptions = {}): Relay {
  const sink = options.sink ?? stdoutSink;
  const upstream = new Upstream();
  const pool = new EnclavePool(config.enclaves, upstream, {
    healthIntervalMs: config.healthIntervalMs,
    healthTimeoutMs: config.healthTimeoutMs,
    sink,
  });
  const evidence = new EvidenceCache(pool, upstream, {
    ttlMs: config.evidenceTtlMs,
    timeoutMs: config.upstreamTimeoutMs,
    ...(options.now ? { now: options.now } : {}),
  });
  const deps: ForwardDeps = { config, pool, evidence, upstream };
  const linger = { lingerBytes: config.maxBodyBytes };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const aggregate = new TrafficAggregate(sink);
  const flushTimer = setInterval(() => aggregate.flush(), config.trafficLogIntervalMs);
  flushTimer.unref();
  app.use(requestLogger(sink, undefined, { detail: config.logDetail, aggregate }));
  app.get('/healthz', healthRoute(pool));
  if (config.rateLimit)
    app.use(
      '/v1',
      rateLimit(
        new TokenBucketLimiter(config.rateLimit, options.now),
        trustedProxyList(config.trustedProxies),
        config.maxBodyBytes,
      ),
    );
  app.get('/v1/evidence', evidenceRoute(evidence));
  app.post('/v1/ohttp', ohttpRoute(deps));
  app.all('/v1/ohttp', (req, res) => {
    recordOf(res).outcome = 'not_found';
    sendError(req, res, 405, 'method_not_allowed', { allow: 'POST' }, linger);
  });
  app.use((req: Request, res: Response) => {
    recordOf(res).outcome = 'not_found';
    sendError(req, res, 404, 'not_found', {}, linger);
  });
  // Express 5 passes rejected promises here. The error itself is not logged:
  // nothing in the relay should throw with client data, but no chance is taken.
  app.use((_err: unknown, req: Request, res: Response, _next: NextFunction) => {
    recordOf(res).outcome = 'error';
    sendError(req, res, 500, 'internal');
  });

  return {
    app,
    pool,
    evidence,
    start: () => pool.start(),
    startInterval: () => pool.startInterval(),
    flushTraffic: () => aggregate.flush(),
    stop: () => {
      clearInterval(flushTimer);
      pool.stop();
      upstream.destroy();
    },
  };
}

/**
 * At most `maxConnectionsPerClient` open connections per client address; one
 * more is closed at once, before a byte is read. Configured proxies are exempt
 * (their clients are told apart by the rate limiter). Addresses are held in
 * memory while their connections are open, and never logged.
 */
function capConnectionsPerClient(server: http.Server, config: RelayConfig): void {
  const trusted = trustedProxyList(config.trustedProxies);
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    if (isTrustedPeer(socket.remoteAddress, trusted)) return;
    const key = normalizeAddress(socket.remoteAddress ?? '');
    const count = (open.get(key) ?? 0) + 1;
    if (count > config.maxConnectionsPerClient) {
      socket.destroy();
      return;
    }
    open.set(key, count);
    socket.once('close', () => {
      const left = (open.get(key) ?? 1) - 1;
      if (left <= 0) open.delete(key);
      else open.set(key, left);
    });
  });
}

export interface RunningRelay {
  readonly relay: Relay;
  readonly server: http.Server;
  /** `http://host:port` as bound (the real port when `config.port` is 0). */
  readonly url: string;
  /** Stops accepting, ends health checks, and closes every connection now. */
  close(): Promise<void>;
}

/**
 * Builds the relay, checks the enclaves once, and listens on `config.host:config.port`
 * (port 0 picks a free one).
 * @throws the listen error (e.g. EADDRINUSE).
 */
export async function listenRelay(
  config: RelayConfig,
  options: RelayOptions = {},
): Promise<RunningRelay> {
  const relay = createRelay(config, options);
  if (options.checkFirst === false) relay.startInterval();
  else await relay.start();
  const server = http.createServer(
    // Node checks its absolute header/request deadlines on this interval.
    { connectionsCheckingInterval: Math.min(1_000, config.headersTimeoutMs) },
    relay.app,
  );
  // Absolute deadlines, not reset by each byte: headers from their first byte;
  // the body is cut by forward.ts at `bodyTimeoutMs`, Node's own limit backs it up.
  server.headersTimeout = config.headersTimeoutMs;
  server.requestTimeout = config.headersTimeoutMs + config.bodyTimeoutMs + 1_000;
  capConnectionsPerClient(server, config);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    relay,
    server,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise((resolve) => {
        relay.stop();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

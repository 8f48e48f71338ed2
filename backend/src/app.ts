/**
 * The relay as an Express app (issue 4, item 1). Express only routes: no body
 * parser, no proxy trust, no ETag, no `X-Powered-By`; the handlers move bytes
 * themselves. `createRelay` builds the app with its pool, evidence cache and
 * limiter; `server.ts` listens, tests listen on port 0.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { RelayConfig } from './config';
import { EvidenceCache } from './evidence-cache';
import type { ForwardDeps } from './forward';
import { TokenBucketLimiter } from './limits';
import { type LogSink, recordOf, requestLogger, stdoutSink } from './log';
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
}

export interface Relay {
  readonly app: express.Express;
  readonly pool: EnclavePool;
  readonly evidence: EvidenceCache;
  /** Checks the enclaves once and starts the health-check interval. */
  start(): Promise<void>;
  /** Stops the health checks and drops upstream agents. */
  stop(): void;
}

/** Per-client rate limit; the key (remote address) never leaves this function. */
function rateLimit(limiter: TokenBucketLimiter) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const { allowed, retryAfterSeconds } = limiter.take(req.socket.remoteAddress ?? '');
    if (allowed) {
      next();
      return;
    }
    recordOf(res).outcome = 'rate_limited';
    sendError(req, res, 429, 'rate_limited', { 'retry-after': String(retryAfterSeconds) });
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

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestLogger(sink));
  app.get('/healthz', healthRoute(pool));
  if (config.rateLimit)
    app.use('/v1', rateLimit(new TokenBucketLimiter(config.rateLimit, options.now)));
  app.get('/v1/evidence', evidenceRoute(evidence));
  app.post('/v1/ohttp', ohttpRoute(deps));
  app.all('/v1/ohttp', (req, res) => {
    recordOf(res).outcome = 'not_found';
    sendError(req, res, 405, 'method_not_allowed', { allow: 'POST' });
  });
  app.use((req: Request, res: Response) => {
    recordOf(res).outcome = 'not_found';
    sendError(req, res, 404, 'not_found');
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
    stop: () => {
      pool.stop();
      upstream.destroy();
    },
  };
}

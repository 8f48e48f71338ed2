/**
 * Request logs (issue 4, item 3): one JSON line per request with a random id,
 * method, route, status, enclave index and outcome. Built from a fixed list of
 * fields so that no body byte, no header value and no client address can reach
 * a log line. The sink is injectable so tests can read it.
 *
 * Sizes and timings (issue 13): by default a line carries only each size's
 * class (`sizeClass`) and a time to the minute; exact sizes, time to first byte
 * and duration go only into the aggregate (`TrafficAggregate`), written as
 * histograms over coarse classes once per interval. `SOTTO_LOG_DETAIL=1`
 * restores the exact figures on every line, for debugging, and says so at start.
 */
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { sizeClass, type TrafficAggregate } from './log-aggregate';

export type LogSink = (line: string) => void;

export const stdoutSink: LogSink = (line) => {
  process.stdout.write(`${line}\n`);
};

/** Routes the relay knows; any other path is logged as `other` (a path is client-chosen text). */
export type RouteName = 'evidence' | 'ohttp' | 'healthz' | 'other';

export type Outcome =
  | 'ok'
  | 'not_found'
  | 'rate_limited'
  | 'unsupported_media_type'
  | 'too_large'
  | 'malformed'
  | 'enclave_unavailable'
  | 'enclave_busy'
  | 'enclave_reset'
  | 'enclave_rejected'
  | 'bad_evidence'
  | 'upstream_timeout'
  | 'upstream_died'
  | 'client_aborted'
  | 'client_timeout'
  | 'error';

/** The mutable record a handler fills in; everything here is safe to log. */
export interface RequestRecord {
  readonly id: string;
  route: RouteName;
  outcome: Outcome | undefined;
  /** Index into `SOTTO_ENCLAVES` of the enclave that answered, if any. */
  enclave: number | undefined;
  /** Attempts made against enclaves (1 normally, more after a retry). */
  attempts: number;
  requestBytes: number;
}

const ROUTES: Readonly<Record<string, RouteName>> = {
  '/v1/evidence': 'evidence',
  '/v1/ohttp': 'ohttp',
  '/healthz': 'healthz',
};

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);

/** The record of the request `res` answers (set by {@link requestLogger}). */
export function recordOf(res: Response): RequestRecord {
  return res.locals.sottoRecord as RequestRecord;
}

/**
 * Express middleware: creates the record, counts response bytes, and writes
 * one line when the response finishes or is torn down.
 */
export function requestLogger(
  sink: LogSink,
  now: () => number = performance.now.bind(performance),
  options: { detail?: boolean; aggregate?: TrafficAggregate } = {},
) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const start = now();
    let firstByteAt: number | undefined;
    let responseBytes = 0;
    const record: RequestRecord = {
      id: randomUUID(),
      route: Object.hasOwn(ROUTES, req.path) ? ROUTES[req.path]! : 'other',
      outcome: undefined,
      enclave: undefined,
      attempts: 0,
      requestBytes: 0,
    };
    res.locals.sottoRecord = record;

    const count = (chunk: unknown, encoding: unknown) => {
      firstByteAt ??= now();
      if (typeof chunk === 'string') {
        responseBytes += Buffer.byteLength(
          chunk,
          typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8',
        );
      } else if (chunk instanceof Uint8Array) {
        responseBytes += chunk.byteLength;
      }
    };
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => Response;
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      count(chunk, rest[0]);
      return write(chunk, ...rest);
    }) as Response['write'];
    res.end = ((...args: unknown[]) => {
      if (args.length > 0 && typeof args[0] !== 'function') count(args[0], args[1]);
      else firstByteAt ??= now();
      return end(...args);
    }) as Response['end'];

    res.once('close', () => {
      const finished = res.writableFinished;
      const totalMs = Math.round(now() - start);
      const ttfbMs = firstByteAt === undefined ? null : Math.round(firstByteAt - start);
      const outcome = record.outcome ?? (finished ? 'ok' : 'client_aborted');
      options.aggregate?.add({
        route: record.route,
        outcome,
        requestBytes: record.requestBytes,
        responseBytes,
        ttfbMs,
        totalMs,
      });
      const figures = options.detail
        ? { requestBytes: record.requestBytes, responseBytes, ttfbMs, totalMs }
        : { requestSize: sizeClass(record.requestBytes), responseSize: sizeClass(responseBytes) };
      const line = {
        // To the minute unless detailed: a line's time is not a per-request timing.
        t: options.detail ? new Date().toISOString() : minute(new Date()),
        id: record.id,
        method: METHODS.has(req.method) ? req.method : 'OTHER',
        route: record.route,
        status: res.statusCode,
        ...figures,
        enclave: record.enclave ?? null,
        attempts: record.attempts,
        outcome,
        complete: finished,
      };
      sink(JSON.stringify(line));
    });
    next();
  };
}

function minute(d: Date): string {
  return `${d.toISOString().slice(0, 16)}Z`;
}

/** A non-request event (startup, enclave health changes). Callers pass only safe fields. */
export function logEvent(
  sink: LogSink,
  event: string,
  fields: Record<string, string | number | boolean | null> = {},
): void {
  sink(JSON.stringify({ t: new Date().toISOString(), event, ...fields }));
}

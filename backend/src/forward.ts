/**
 * Forwards one OHTTP request to an enclave and streams the answer back
 * (issue 4, items 1–2). Bytes pass through untouched, chunk by chunk, with
 * backpressure both ways; only the protocol's headers cross.
 *
 * Routing and retries (the design decision for several enclaves):
 * - Each enclave has its own key, and evidence is only good for the enclave
 *   that made it. The relay routes by the key id in the request's first byte
 *   (RFC 9458 §4.3; the chunked draft keeps the same header) to the enclave(s)
 *   whose evidence named that key id. No per-client state is kept.
 * - Key id known, but none of its enclaves healthy → 503 `enclave_unavailable`:
 *   the client refetches evidence (served by a healthy enclave) and re-seals.
 * - Key id unknown to the relay (relay restarted, key not yet seen) → every
 *   healthy enclave in turn; one that lacks the key answers an outer 4xx.
 * - "Retry once on another enclave" therefore means: when an attempt fails
 *   BEFORE the response starts — connection refused or reset, 503 busy, or an
 *   outer 4xx (wrong key) while another candidate holding the same key id
 *   remains (key ids are one byte, so two enclaves may collide) — the next
 *   candidate gets the same bytes (replayed by BodyTap). With one enclave per
 *   key this is at most one further try on a collision; the candidate list is
 *   never longer than the pool.
 * - The last candidate's outer 4xx is passed through as it is (the client
 *   learns its key is stale), even while the client is still uploading. All
 *   busy → 503 `enclave_busy` with the enclave's Retry-After; all unreachable →
 *   503 `enclave_unavailable`; reset but healthy → 502 `enclave_reset`.
 * - Only a connection that cannot be opened marks an enclave down. One that
 *   breaks after it opened triggers a health check instead (pool.recheck): a
 *   client must not be able to flap a healthy enclave's health with uploads
 *   the enclave refuses early.
 * - Once the response has started, nothing is retried. If the enclave dies
 *   mid-stream, the client connection is destroyed without the terminating
 *   chunk: the client sees a truncated stream, never a clean end.
 */
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Request, Response } from 'express';
import { BodyTap } from './body-tap';
import type { RelayConfig } from './config';
import type { EvidenceCache } from './evidence-cache';
import type { Outcome, RequestRecord } from './log';
import type { Enclave, EnclavePool } from './pool';
import { drainBody, sendError } from './respond';
import type { Upstream } from './upstream';

export interface ForwardDeps {
  readonly config: RelayConfig;
  readonly pool: EnclavePool;
  readonly evidence: EvidenceCache;
  readonly upstream: Upstream;
}

type Attempt =
  | { readonly kind: 'response'; readonly res: IncomingMessage; readonly req: ClientRequest }
  /** No connection could be opened: refused, unreachable. */
  | { readonly kind: 'connect_failed' }
  /** The connection was open, then broke before any response; `reused`: a pooled one. */
  | { readonly kind: 'reset'; readonly reused: boolean }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'client_timeout' }
  | { readonly kind: 'over' }
  | { readonly kind: 'aborted' };

const RETRY_AFTER = /^\d{1,6}$/;
const OHTTP_CHUNKED_REQ = 'message/ohttp-chunked-req';

/** A timer that can be pushed back; `unref`'d so it never holds the process open. */
function resettable(ms: number, fire: () => void) {
  let timer = setTimeout(fire, ms);
  timer.unref();
  return {
    reset() {
      clearTimeout(timer);
      timer = setTimeout(fire, ms);
      timer.unref();
    },
    clear() {
      clearTimeout(timer);
    },
  };
}

/** One try against one enclave, up to its response headers. */
function attempt(
  enclave: Enclave,
  tap: BodyTap,
  mediaType: string,
  declared: number | undefined,
  deps: ForwardDeps,
  fresh: boolean,
): Promise<Attempt> {
  return new Promise((resolve) => {
    // Only what the protocol needs: no cookie, address, agent or credential.
    const headers: Record<string, string> = { 'content-type': mediaType };
    if (declared !== undefined) headers['content-length'] = String(declared);
    // draft-ietf-ohai-chunked-ohttp §3: chunked messages are processed incrementally, hop by hop.
    if (mediaType === OHTTP_CHUNKED_REQ) headers.incremental = '?1';
    const req = deps.upstream.request(enclave.url, '/v1/ohttp', 'POST', headers, fresh);
    let connected = false;
    req.on('socket', (socket) => {
      if (!socket.connecting) connected = true;
      else socket.once('connect', () => (connected = true));
    });
    req.on('error', () =>
      settle(connected ? { kind: 'reset', reused: req.reusedSocket } : { kind: 'connect_failed' }),
    );
    // No answer and no request progress for this long: if the client is still
    // sending, it is the client that stalled (408); otherwise the enclave (504).
    const timer = resettable(deps.config.upstreamTimeoutMs, () =>
      settle({ kind: tap.ended ? 'timeout' : 'client_timeout' }),
    );
    const onProgress = () => timer.reset();
    const onOver = () => settle({ kind: 'over' });
    const onAborted = () => settle({ kind: 'aborted' });
    const onExpired = () => settle({ kind: 'client_timeout' });
    tap.on('progress', onProgress);
    tap.on('over', onOver);
    tap.on('aborted', onAborted);
    tap.on('expired', onExpired);
    let settled = false;
    function settle(result: Attempt) {
      if (settled) return;
      settled = true;
      timer.clear();
      tap.off('progress', onProgress);
      tap.off('over', onOver);
      tap.off('aborted', onAborted);
      tap.off('expired', onExpired);
      if (result.kind !== 'response') {
        tap.detach();
        req.destroy();
      }
      resolve(result);
    }
    req.on('response', (res) => settle({ kind: 'response', res, req }));
    if (tap.failed)
      settle(tap.failed === 'expired' ? { kind: 'client_timeout' } : { kind: tap.failed });
    else tap.attach(req);
  });
}

/** Throws the rest of a response away and closes its connection. */
function discard(a: { res: IncomingMessage; req: ClientRequest }, tap: BodyTap): void {
  tap.detach();
  a.res.resume();
  a.req.destroy();
}

/**
 * Forwards `req` (already checked: media type, declared length, rate) to an
 * enclave and answers `res`. Resolves when the exchange is over.
 */
export async function forwardOhttp(
  req: Request,
  res: Response,
  record: RequestRecord,
  mediaType: string,
  declared: number | undefined,
  deps: ForwardDeps,
): Promise<void> {
  const tap = new BodyTap(req, deps.config.maxBodyBytes);
  const countBytes = () => {
    record.requestBytes = tap.bytes;
  };
  tap.on('progress', countBytes);
  // Absolute: from arrival, not reset by progress (issue 17, "Abuse").
  const deadline = setTimeout(() => tap.expire(), deps.config.bodyTimeoutMs);
  deadline.unref();
  tap.once('end', () => clearTimeout(deadline));
  res.once('close', () => clearTimeout(deadline));
  const fail = (status: number, outcome: Outcome, headers?: Record<string, string>) => {
    record.requestBytes = tap.bytes;
    record.outcome = outcome;
    if (outcome === 'client_aborted') {
      tap.detach();
      res.statusCode = 499; // for the log line only: nothing more is sent
      res.destroy();
      return;
    }
    // Over the limit or stalled: close at once. Otherwise the answer is read
    // whole by a client still sending (respond.ts), then the connection closes.
    if (outcome === 'too_large' || outcome === 'client_timeout') {
      tap.detach();
      sendError(req, res, status, outcome, headers);
      return;
    }
    tap.discard();
    sendError(req, res, status, outcome, headers, { lingerBytes: deps.config.maxBodyBytes });
  };

  // A client that opens a request and sends nothing is not waited on forever.
  const firstTimer = setTimeout(() => tap.stall(), deps.config.upstreamTimeoutMs);
  const first = await tap.firstByte();
  clearTimeout(firstTimer);
  if (first.kind === 'stalled' || first.kind === 'expired') return fail(408, 'client_timeout');
  if (first.kind === 'empty') return fail(400, 'malformed');
  if (first.kind === 'over') return fail(413, 'too_large');
  if (first.kind === 'aborted') return fail(499, 'client_aborted');
  const keyId = first.value;

  const holders = deps.pool.withKey(keyId);
  const candidates = await deps.pool.healthyOrRecheck(holders.length > 0 ? holders : undefined);
  if (candidates.length === 0) return fail(503, 'enclave_unavailable');

  let retryAfter: string | undefined;
  let sawBusy = false;
  let sawReset = false;
  let retriedPooled = false;
  for (let i = 0; i < candidates.length; i++) {
    const enclave = candidates[i]!;
    const last = i === candidates.length - 1;
    record.attempts++;
    record.enclave = enclave.index;
    const a = await attempt(enclave, tap, mediaType, declared, deps, retriedPooled);
    if (a.kind === 'over') return fail(413, 'too_large');
    if (a.kind === 'aborted') return fail(499, 'client_aborted');
    if (a.kind === 'timeout') return fail(504, 'upstream_timeout');
    if (a.kind === 'client_timeout') return fail(408, 'client_timeout');
    if (a.kind === 'connect_failed') {
      deps.pool.markDown(enclave);
      continue;
    }
    if (a.kind === 'reset' && a.reused && !retriedPooled) {
      // A pooled connection the enclave had closed: once more, on a new one.
      retriedPooled = true;
      i--;
      continue;
    }
    if (a.kind === 'reset') {
      // Not proof of a dead enclave (any client can make one close an upload):
      // only a failed health check marks it down.
      if (await deps.pool.recheck(enclave)) sawReset = true;
      continue;
    }
    const status = a.res.statusCode ?? 502;
    if (status === 503) {
      // Busy: the enclave answers before reading the body; try another holder.
      sawBusy = true;
      const ra = a.res.headers['retry-after'];
      if (typeof ra === 'string' && RETRY_AFTER.test(ra)) retryAfter = ra;
      discard(a, tap);
      continue;
    }
    if (status >= 400 && status < 500) {
      // Outer error before decapsulation; if this enclave was known to hold the
      // key, it has rotated: its cached evidence is stale.
      if (enclave.keyIds.includes(keyId)) deps.evidence.invalidate(enclave);
      if (!last) {
        discard(a, tap);
        continue;
      }
    }
    return stream(a, req, res, tap, record, deps);
  }
  if (sawBusy) return fail(503, 'enclave_busy', { 'retry-after': retryAfter ?? '1' });
  if (sawReset) return fail(502, 'enclave_reset');
  return fail(503, 'enclave_unavailable');
}

/** The response has started: pass it through as it arrives, never end a broken stream cleanly. */
function stream(
  a: { res: IncomingMessage; req: ClientRequest },
  req: Request,
  res: Response,
  tap: BodyTap,
  record: RequestRecord,
  deps: ForwardDeps,
): Promise<void> {
  tap.commit();
  const up = a.res;
  const status = up.statusCode ?? 502;
  res.status(status);
  const type = up.headers['content-type'];
  if (type) res.setHeader('content-type', type);
  const ra = up.headers['retry-after'];
  if (typeof ra === 'string' && RETRY_AFTER.test(ra)) res.setHeader('retry-after', ra);
  res.setHeader('cache-control', 'no-store');
  if (up.headers.incremental === '?1') res.setHeader('incremental', '?1');
  if (!req.complete) res.setHeader('connection', 'close');
  res.flushHeaders();
  record.outcome = status < 400 ? undefined : 'enclave_rejected';

  return new Promise((resolve) => {
    let done = false;
    const finish = (outcome: Outcome | undefined) => {
      if (done) return;
      done = true;
      idle.clear();
      if (outcome) record.outcome = outcome;
      tap.off('progress', onProgress);
      tap.off('over', onOver);
      tap.off('aborted', onAborted);
      tap.off('expired', onExpired);
      resolve();
    };
    // Tear both sides down: the client sees a truncated stream (no final chunk).
    const abort = (outcome: Outcome) => {
      finish(outcome);
      tap.detach();
      a.req.destroy();
      up.destroy();
      res.destroy();
    };
    const idle = resettable(deps.config.upstreamIdleTimeoutMs, () => abort('upstream_timeout'));
    const onProgress = () => idle.reset();
    const onOver = () => abort('too_large');
    const onAborted = () => abort('client_aborted');
    const onExpired = () => abort('client_timeout');
    tap.on('progress', onProgress);
    tap.on('over', onOver);
    tap.on('aborted', onAborted);
    tap.on('expired', onExpired);
    up.on('data', (chunk: Buffer) => {
      idle.reset();
      if (!res.write(chunk)) {
        up.pause();
        res.once('drain', () => up.resume());
      }
    });
    up.on('end', () => {
      if (!up.complete) return abort('upstream_died');
      if (tap.ended) return res.end();
      // An early answer (the enclave refused while the body still arrives). The
      // enclave's side is done, so the rest of the body goes nowhere; the answer
      // ends once the client has sent it all, or the client would see a reset.
      tap.discard();
      void drainBody(req, deps.config.maxBodyBytes).then((ended) => {
        res.end();
        if (!ended) res.once('finish', () => req.socket.destroy());
      });
    });
    up.on('error', () => abort('upstream_died'));
    up.on('close', () => {
      if (!up.complete) abort('upstream_died');
    });
    res.on('close', () => {
      if (res.writableFinished) return finish(undefined);
      abort(done ? 'upstream_died' : 'client_aborted');
    });
  });
}

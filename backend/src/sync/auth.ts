/**
 * Signed-request checks for the sync API (protocol/src/sync/request-signature.ts):
 * the body is read whole (bounded) because its digest is signed, the signature
 * and clock window are checked, then the account's rate limit. The nonce is
 * spent by the handler in the same transaction as its write, so a request that
 * is refused for any reason writes nothing.
 *
 * The server can verify signatures but not open a record: the one protocol
 * module it imports holds Ed25519 verification and SHA-256 only
 * (backend/test/no-decryption-imports.test.ts walks its imports).
 */
import type { NextFunction, Request, Response } from 'express';
import {
  SYNC_MAX_CLOCK_SKEW_MS,
  toBase64Url,
  verifyRequest,
} from '@sotto/protocol/sync/request-signature';
import type { TokenBucketLimiter } from '../limits';
import { sendError } from '../respond';
import type { WriteAuth } from './store';

/** The verified caller of a request (set by {@link requireSignature}). */
export function authOf(res: Response): WriteAuth {
  return res.locals.syncAuth as WriteAuth;
}

/** The raw body bytes (express.raw leaves `{}` when there was none). */
export function rawBody(req: Request): Uint8Array {
  return Buffer.isBuffer(req.body) ? new Uint8Array(req.body) : new Uint8Array(0);
}

export function setOutcome(res: Response, outcome: string): void {
  res.locals.syncOutcome = outcome;
}

/**
 * Express middleware: refuses unsigned, mis-signed, stale or rate-limited
 * requests, and (410) every request of a retired account (a removed device's).
 */
export function requireSignature(
  limiter: TokenBucketLimiter | null,
  now: () => number,
  isRetired: (accountId: string) => Promise<boolean>,
) {
  return (req: Request, res: Response, next: NextFunction): void => {
    let verified;
    try {
      verified = verifyRequest(
        req.headers,
        { method: req.method, path: req.originalUrl, body: rawBody(req) },
        now(),
      );
    } catch (e) {
      const reasons = (e as { reasons?: readonly string[] }).reasons;
      const code =
        reasons === undefined
          ? 'bad_auth'
          : reasons.includes('clock')
            ? 'stale_request'
            : 'bad_signature';
      setOutcome(res, code);
      sendError(req, res, reasons === undefined ? 400 : 401, code);
      return;
    }
    if (limiter) {
      const { allowed, retryAfterSeconds } = limiter.take(verified.accountId);
      if (!allowed) {
        setOutcome(res, 'rate_limited');
        sendError(req, res, 429, 'rate_limited', { 'retry-after': String(retryAfterSeconds) });
        return;
      }
    }
    res.locals.syncAuth = {
      accountId: verified.accountId,
      nonce: toBase64Url(verified.nonce),
      nonceExpiresAt: verified.timestampMs + 2 * SYNC_MAX_CLOCK_SKEW_MS,
    } satisfies WriteAuth;
    isRetired(verified.accountId).then((retired) => {
      if (!retired) return next();
      setOutcome(res, 'retired');
      sendError(req, res, 410, 'retired');
    }, next);
  };
}

/**
 * `GET /v1/evidence`: the enclave's evidence bundle, bytes unchanged, from a
 * short cache (see evidence-cache.ts). `Cache-Control: no-cache` from the
 * client forces a fresh fetch. 503 when no enclave can serve it.
 */
import type { Request, Response } from 'express';
import type { EvidenceCache } from '../evidence-cache';
import { recordOf } from '../log';
import { sendError } from '../respond';

function wantsFresh(req: Request): boolean {
  const cc = req.headers['cache-control'];
  const pragma = req.headers.pragma;
  return (
    (typeof cc === 'string' && /(^|,)\s*(no-cache|max-age=0)\s*(,|$)/i.test(cc)) ||
    (typeof pragma === 'string' && /no-cache/i.test(pragma))
  );
}

export function evidenceRoute(cache: EvidenceCache) {
  return async (req: Request, res: Response): Promise<void> => {
    const record = recordOf(res);
    const result = await cache.get(wantsFresh(req));
    if (result.kind === 'unavailable') {
      record.outcome = 'enclave_unavailable';
      return sendError(req, res, 503, 'enclave_unavailable');
    }
    if (result.kind === 'bad_evidence') {
      record.outcome = 'bad_evidence';
      return sendError(req, res, 502, 'bad_evidence');
    }
    record.enclave = result.evidence.enclave.index;
    res.status(200);
    res.setHeader('content-type', 'application/json');
    // Clients should not hold evidence past a key rotation; they ask again.
    res.setHeader('cache-control', 'no-store');
    res.end(result.evidence.body);
  };
}

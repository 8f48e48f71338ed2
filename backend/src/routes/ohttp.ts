/**
 * `POST /v1/ohttp`: checks media type (RFC 9458 §9.2 `message/ohttp-req`,
 * chunked draft `message/ohttp-chunked-req`) and declared size, then hands the
 * stream to forward.ts. Wrong type 415; declared length over the limit 413
 * without reading the body.
 */
import type { Request, Response } from 'express';
import { type ForwardDeps, forwardOhttp } from '../forward';
import { declaredLength } from '../limits';
import { recordOf } from '../log';
import { sendError } from '../respond';

export const OHTTP_REQUEST_TYPES: ReadonlySet<string> = new Set([
  'message/ohttp-req',
  'message/ohttp-chunked-req',
]);

/** The bare media type, lower-cased, parameters dropped. */
export function mediaTypeOf(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

export function ohttpRoute(deps: ForwardDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const record = recordOf(res);
    const mediaType = mediaTypeOf(req.headers['content-type']);
    if (!OHTTP_REQUEST_TYPES.has(mediaType)) {
      record.outcome = 'unsupported_media_type';
      return sendError(
        req,
        res,
        415,
        'unsupported_media_type',
        {},
        { lingerBytes: deps.config.maxBodyBytes },
      );
    }
    const declared = declaredLength(req.headers['content-length']);
    if (declared !== undefined && Number.isNaN(declared)) {
      record.outcome = 'malformed';
      return sendError(req, res, 400, 'malformed');
    }
    if (declared !== undefined && declared > deps.config.maxBodyBytes) {
      record.outcome = 'too_large';
      return sendError(req, res, 413, 'too_large');
    }
    await forwardOhttp(req, res, record, mediaType, declared, deps);
  };
}

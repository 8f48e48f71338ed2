/**
 * Every prefix of every RFC 9292 §5 example: a typed error, or a message
 * RFC 9292 §3.8 says is the same one with empty trailing parts. Through the
 * streaming decoder an early end is always TruncatedStreamError.
 */
import { describe, expect, it } from 'vitest';
import {
  type BhttpRequest,
  type BhttpResponse,
  decodeRequest,
  decodeResponse,
  decodeResponseStream,
} from '../../src/bhttp';
import { fromHex } from '../../src/bytes';
import { isSottoError, MalformedError, TruncatedStreamError } from '../../src/errors';
import { bytewise, readAll, streamOf } from './streams';
import { exampleHex } from './vectors';

type Msg = BhttpRequest | BhttpResponse;

/** The full message, and the forms RFC 9292 §3.8 truncation may leave. */
function allowed(full: Msg): Msg[] {
  return [full, { ...full, trailers: [] }, { ...full, body: new Uint8Array(0), trailers: [] }];
}

const anchors = [
  ['ex-bink-request', 'request'],
  ['ex-bini-request', 'request'],
  ['ex-bini-response', 'response'],
  ['ex-bink-chunked', 'response'],
] as const;

describe('every prefix of every RFC 9292 example', () => {
  it.each(anchors)('%s (one-shot decoder)', (anchor, kind) => {
    const bytes = fromHex(exampleHex(anchor));
    const decode = kind === 'request' ? decodeRequest : decodeResponse;
    const ok = allowed(decode(bytes));
    let accepted = 0;
    for (let n = 0; n < bytes.length; n++) {
      try {
        const m = decode(bytes.subarray(0, n));
        expect(ok).toContainEqual(m);
        accepted++;
      } catch (e) {
        expect(isSottoError(e), `prefix ${n}: ${String(e)}`).toBe(true);
        expect(e).toBeInstanceOf(MalformedError);
      }
    }
    // At least the two RFC 9292 §3.8 cut points (plus any padding) decode.
    expect(accepted).toBeGreaterThanOrEqual(2);
  });

  it.each(anchors.filter(([, k]) => k === 'response'))(
    '%s (streaming decoder, byte by byte)',
    async (anchor) => {
      const bytes = fromHex(exampleHex(anchor));
      const ok = allowed(decodeResponse(bytes));
      let accepted = 0;
      for (let n = 0; n < bytes.length; n++) {
        try {
          const res = await decodeResponseStream(streamOf(bytewise(bytes.subarray(0, n))));
          const body = await readAll(res.body);
          const m = {
            informational: res.informational,
            status: res.status,
            headers: res.headers,
            body,
            trailers: await res.trailers,
          };
          expect(ok).toContainEqual(m);
          accepted++;
        } catch (e) {
          expect(e, `prefix ${n}`).toBeInstanceOf(TruncatedStreamError);
        }
      }
      expect(accepted).toBeGreaterThanOrEqual(2);
    },
  );

  const padding: Record<string, number> = { 'ex-bini-request': 10 };

  it.each(anchors)(
    '%s with allowTruncation: false accepts only cuts into padding',
    async (anchor, kind) => {
      const bytes = fromHex(exampleHex(anchor));
      const decode = kind === 'request' ? decodeRequest : decodeResponse;
      const full = decode(bytes);
      const firstOk = bytes.length - (padding[anchor] ?? 0);
      for (let n = 0; n < bytes.length; n++) {
        const prefix = bytes.subarray(0, n);
        if (n >= firstOk) {
          expect(decode(prefix, { allowTruncation: false })).toEqual(full);
          continue;
        }
        expect(() => decode(prefix, { allowTruncation: false }), `prefix ${n}`).toThrow(
          MalformedError,
        );
        if (kind === 'response') {
          const attempt = (async () => {
            const res = await decodeResponseStream(streamOf(bytewise(prefix)), {
              allowTruncation: false,
            });
            await readAll(res.body);
          })();
          await expect(attempt, `prefix ${n}`).rejects.toBeInstanceOf(TruncatedStreamError);
        }
      }
    },
  );
});

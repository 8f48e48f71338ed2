/** Builders for the chunked OHTTP hostile-input tests: well-formed messages to break, and raw ones the API refuses to make. */

import { readFileSync } from 'node:fs';
import { concat, utf8 } from '../../src/bytes';
import type { SottoError } from '../../src/errors';
import { type SenderContext, setupSender } from '../../src/hpke/context';
import { AEAD_AES_128_GCM, type AeadId, hpkeSuite } from '../../src/hpke/suite';
import type { ChunkedLimits } from '../../src/ohttp/chunk-stream';
import { createChunkedRequest } from '../../src/ohttp/chunked-client';
import { openChunkedRequest } from '../../src/ohttp/chunked-gateway';
import { generateKeyConfig } from '../../src/ohttp/key-config';
import {
  encodeRequestHeader,
  LABEL_CHUNKED_REQUEST,
  LABEL_CHUNKED_RESPONSE,
  requestInfo,
} from '../../src/ohttp/request-header';
import { deriveResponseKey, type ResponseKey } from '../../src/ohttp/response-key';
import { encodeVarint } from '../../src/quic-varint';
import { readAll, streamError, streamOf } from './streams';

export const APPENDIX_A = JSON.parse(
  readFileSync(
    new URL('../../../../shared/vectors/ohttp/rfc9458_appendixA.json', import.meta.url),
    'utf8',
  ),
) as { encapsulated_request: string };
export const KEY = generateKeyConfig(1);
export const KEYS = new Map([[1, KEY]]);
export type ErrorClass = new (...args: never[]) => SottoError;
export const EMPTY = new Uint8Array(0);

/** A stream that yields `parts` and then never ends: a test that waits on it would hang. */
export function stalledStreamOf(parts: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < parts.length) controller.enqueue(parts[i++]!);
      else return new Promise<void>(() => {});
    },
  });
}

export function flip(b: Uint8Array, i: number): Uint8Array {
  const c = b.slice();
  const j = i < 0 ? c.length + i : i;
  c[j] = c[j]! ^ 1;
  return c;
}

/** A well-formed chunked request: [header||enc, chunk..., final]. */
export async function requestParts(pieces: string[], aead: AeadId = AEAD_AES_128_GCM) {
  const client = await createChunkedRequest(KEY.config, { aeadPreference: [aead] });
  const parts = [client.header];
  for (const p of pieces) parts.push(await client.sealChunk(utf8(p)));
  parts.push(await client.sealFinal());
  return { client, parts };
}

/** A well-formed chunked response to `parts`: [nonce, chunk..., final]. */
export async function responseParts(
  reqParts: Uint8Array[],
  pieces: string[],
): Promise<Uint8Array[]> {
  const g = await openChunkedRequest(streamOf([concat(...reqParts)]), KEYS);
  await readAll(g.request);
  const t = g.createResponseEncapsulator();
  const out: Uint8Array[] = [];
  const done = t.readable.pipeTo(new WritableStream({ write: (c) => void out.push(c) }));
  const w = t.writable.getWriter();
  for (const p of pieces) await w.write(utf8(p));
  await w.close();
  await done;
  return out;
}

/** Raw request builder for cases the API refuses to produce (empty non-final chunks, wrong AAD). */
export async function rawRequest() {
  const suite = hpkeSuite(0x20, 1, AEAD_AES_128_GCM);
  const hdr = encodeRequestHeader({ keyId: 1, kemId: 0x20, kdfId: 1, aeadId: AEAD_AES_128_GCM });
  const ctx: SenderContext = await setupSender(
    suite,
    KEY.config.publicKey,
    requestInfo(LABEL_CHUNKED_REQUEST, hdr),
  );
  const chunk = async (pt: Uint8Array, aad: Uint8Array, final: boolean) => {
    const sealed = await ctx.seal(pt, aad);
    return concat(final ? new Uint8Array([0]) : encodeVarint(sealed.length), sealed);
  };
  return { ctx, header: concat(hdr, ctx.enc), chunk };
}

/** Raw response builder bound to a client request built from `rawRequest`. */
export function rawResponse(ctx: SenderContext) {
  const nonce = crypto.getRandomValues(new Uint8Array(16));
  const key: ResponseKey = deriveResponseKey(ctx, ctx.enc, nonce, LABEL_CHUNKED_RESPONSE);
  const chunk = async (counter: number, pt: Uint8Array, aad: Uint8Array, final: boolean) => {
    const n = key.nonce.slice();
    n[11] = n[11]! ^ counter;
    const sealed = await key.aead.seal(n, aad, pt);
    return concat(final ? new Uint8Array([0]) : encodeVarint(sealed.length), sealed);
  };
  return { nonce, chunk };
}

export async function requestStreamError(
  body: ReadableStream<Uint8Array>,
  limits?: ChunkedLimits,
): Promise<unknown> {
  const g = await openChunkedRequest(body, KEYS, limits);
  return streamError(g.request);
}

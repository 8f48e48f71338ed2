/**
 * Gateway side of chunked Oblivious HTTP, draft-ietf-ohai-chunked-ohttp-08:
 * read the request header from a fragmented `message/ohttp-chunked-req`
 * stream, find the key, open the request chunk by chunk (§4, §6.1), and seal
 * the response one chunk per write (§5, §6.2).
 */

import { concat } from '../bytes';
import type { RecipientContext } from '../hpke/context';
import { setupRecipient } from '../hpke/context';
import type { HpkeSuite } from '../hpke/suite';
import { type ChunkSealer, requestChunkOpener, responseChunkSealer } from './chunk-codec';
import {
  type ChunkedLimits,
  DEFAULT_SEND_CHUNK_BYTES,
  openingStream,
  StreamSource,
  sealingStream,
} from './chunk-stream';
import {
  decodeRequestHeader,
  type KeyStore,
  LABEL_CHUNKED_REQUEST,
  LABEL_CHUNKED_RESPONSE,
  REQUEST_HEADER_BYTES,
  requestInfo,
  resolveGatewayKey,
} from './request-header';
import { deriveResponseKey, makeResponseNonce, type ResponseOptions } from './response-key';

/** Options for the response encapsulator. */
export interface ChunkedResponseOptions extends ResponseOptions {
  /** Largest plaintext per sealed chunk; bigger writes are split. Default 16384 (§3). */
  readonly chunkBytes?: number;
}

/** An opened chunked request. Failures after this point belong in the sealed (inner) response. */
export class ChunkedGatewayRequest {
  readonly keyId: number;
  readonly suite: HpkeSuite;
  /** The plaintext request (Binary HTTP), chunk by chunk. Errors with a typed `SottoError`; see {@link openChunkedRequest}. */
  readonly request: ReadableStream<Uint8Array>;
  readonly #context: RecipientContext;
  readonly #enc: Uint8Array;

  constructor(
    keyId: number,
    context: RecipientContext,
    enc: Uint8Array,
    request: ReadableStream<Uint8Array>,
  ) {
    this.keyId = keyId;
    this.suite = context.suite;
    this.#context = context;
    this.#enc = enc;
    this.request = request;
  }

  /**
   * A TransformStream for the `message/ohttp-chunked-res` body: it emits the
   * response nonce at once, seals each written plaintext piece into one chunk
   * as soon as it is written, and emits the final chunk on close.
   * @throws {ConfigurationError} if a test-only option is used outside tests.
   */
  createResponseEncapsulator(
    options: ChunkedResponseOptions = {},
  ): TransformStream<Uint8Array, Uint8Array> {
    const nonce = makeResponseNonce(this.suite, options);
    const key = deriveResponseKey(this.#context, this.#enc, nonce, LABEL_CHUNKED_RESPONSE);
    return sealingStream(
      nonce,
      responseChunkSealer(key),
      options.chunkBytes ?? DEFAULT_SEND_CHUNK_BYTES,
    );
  }

  /**
   * The response sealer for callers that decide chunk boundaries themselves
   * (the enclave's paced, padded answers): `nonce` goes first on the wire, then
   * each `seal` result in order; `seal(pt, true)` is the final chunk (§5, §6.2).
   * Use this or {@link createResponseEncapsulator}, not both.
   * @throws {ConfigurationError} if a test-only option is used outside tests.
   */
  createResponseSealer(options: ResponseOptions = {}): { nonce: Uint8Array; sealer: ChunkSealer } {
    const nonce = makeResponseNonce(this.suite, options);
    const key = deriveResponseKey(this.#context, this.#enc, nonce, LABEL_CHUNKED_RESPONSE);
    return { nonce, sealer: responseChunkSealer(key) };
  }

  /** Convenience: the whole chunked response for a body known in full. */
  async encapsulateResponse(
    body: Uint8Array,
    options: ChunkedResponseOptions = {},
  ): Promise<Uint8Array> {
    const t = this.createResponseEncapsulator(options);
    const writer = t.writable.getWriter();
    const parts: Uint8Array[] = [];
    const collected = t.readable.pipeTo(new WritableStream({ write: (c) => void parts.push(c) }));
    if (body.length > 0) await writer.write(body);
    await writer.close();
    await collected;
    return concat(...parts);
  }
}

/**
 * Reads the header of a `message/ohttp-chunked-req` body and sets up the
 * request's HPKE context. Rejects (the outer HTTP status; RFC 9458 §5.2) with:
 * `TruncatedStreamError` if the body ends inside the header or `enc`;
 * `UnknownKeyError` for a key id not in `keys`; `UnsupportedError` for
 * algorithms that key does not offer; `MalformedError` for an unusable `enc`.
 * The returned `request` stream then errors with `TruncatedStreamError`
 * (no final chunk), `DecryptError` (altered, reordered, duplicated, dropped
 * or empty chunks, data after the final chunk) or `LimitExceededError`.
 */
export async function openChunkedRequest(
  body: ReadableStream<Uint8Array>,
  keys: KeyStore,
  limits: ChunkedLimits = {},
): Promise<ChunkedGatewayRequest> {
  const source = new StreamSource(body);
  try {
    const header = await source.readExact(REQUEST_HEADER_BYTES, 'request header');
    const h = decodeRequestHeader(header);
    const { key, suite } = await resolveGatewayKey(keys, h);
    const enc = await source.readExact(suite.encBytes, 'encapsulated key');
    const ctx = await setupRecipient(
      suite,
      enc,
      key.privateKey,
      requestInfo(LABEL_CHUNKED_REQUEST, header),
    );
    return new ChunkedGatewayRequest(
      h.keyId,
      ctx,
      enc,
      openingStream(source, requestChunkOpener(ctx), limits),
    );
  } catch (e) {
    source.cancel(e);
    throw e;
  }
}

/**
 * Client side of chunked Oblivious HTTP, draft-ietf-ohai-chunked-ohttp-08:
 * encapsulate a request (`message/ohttp-chunked-req`, §4, §6.1) from a whole
 * body (the browser, which cannot stream request bodies over HTTP/1.1) or a
 * ReadableStream (Node), and open the streamed response
 * (`message/ohttp-chunked-res`, §5, §6.2) chunk by chunk.
 */

import { concat } from '../bytes';
import { ConfigurationError } from '../errors';
import { type SenderContext, setupSender } from '../hpke/context';
import { type ChunkSealer, requestChunkSealer, responseChunkOpener } from './chunk-codec';
import {
  type ChunkedLimits,
  DEFAULT_SEND_CHUNK_BYTES,
  openingStream,
  StreamSource,
  sealingStream,
} from './chunk-stream';
import { type KeyConfig, selectSymmetric } from './key-config';
import type { ClientOptions } from './ohttp';
import {
  clientHeader,
  LABEL_CHUNKED_REQUEST,
  LABEL_CHUNKED_RESPONSE,
  requestInfo,
} from './request-header';
import { deriveResponseKey, responseNonceBytes } from './response-key';

/** Options for {@link createChunkedRequest}. */
export interface ChunkedClientOptions extends ClientOptions {
  /** Plaintext bytes per sent chunk. Default 16384 (§3). */
  readonly chunkBytes?: number;
}

/**
 * One chunked request and the state needed to open its response. Use exactly
 * one of `encapsulate`, `encapsulateStream`, or `sealChunk`/`sealFinal`.
 */
export class ChunkedClientRequest {
  /** Chunked Request Header || enc (§4): the first bytes of the request body. */
  readonly header: Uint8Array;
  readonly #context: SenderContext;
  readonly #sealer: ChunkSealer;
  readonly #chunkBytes: number;
  #used = false;

  constructor(header: Uint8Array, context: SenderContext, chunkBytes: number) {
    this.header = header;
    this.#context = context;
    this.#sealer = requestChunkSealer(context);
    this.#chunkBytes = chunkBytes;
  }

  /**
   * Seals one non-final chunk, framed (§6.1). For callers that drive the chunking themselves.
   * @throws {MalformedError} if `plaintext` is empty.
   * @throws {ConfigurationError} after the final chunk.
   */
  sealChunk(plaintext: Uint8Array): Promise<Uint8Array> {
    this.#used = true;
    return this.#sealer.seal(plaintext, false);
  }

  /**
   * Seals the final chunk (AAD "final", zero length prefix), framed (§6.1).
   * @throws {ConfigurationError} if called twice.
   */
  sealFinal(plaintext: Uint8Array = new Uint8Array(0)): Promise<Uint8Array> {
    this.#used = true;
    return this.#sealer.seal(plaintext, true);
  }

  /**
   * The whole `message/ohttp-chunked-req` body for a body known in full:
   * header, the body in chunks of `chunkBytes`, an empty final chunk.
   * @throws {ConfigurationError} if this request was already used.
   */
  async encapsulate(body: Uint8Array): Promise<Uint8Array> {
    this.#claim();
    const parts = [this.header];
    for (let o = 0; o < body.length; o += this.#chunkBytes) {
      parts.push(...(await this.#sealer.sealParts(body.subarray(o, o + this.#chunkBytes), false)));
    }
    parts.push(...(await this.#sealer.sealParts(new Uint8Array(0), true)));
    return concat(...parts);
  }

  /**
   * The `message/ohttp-chunked-req` body as a stream: each piece `body`
   * yields is sealed as soon as it arrives; the final chunk follows its end.
   * @throws {ConfigurationError} if this request was already used.
   */
  encapsulateStream(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
    this.#claim();
    return body.pipeThrough(sealingStream(this.header, this.#sealer, this.#chunkBytes));
  }

  /**
   * Opens a `message/ohttp-chunked-res` body (§5, §6.2). The returned stream
   * yields each plaintext chunk as soon as it is complete, however the input
   * is fragmented, and errors with `TruncatedStreamError` if the input ends
   * without an authenticated final chunk, `DecryptError` if a chunk was
   * altered, reordered, dropped or belongs to another request,
   * `LimitExceededError` past `limits`.
   */
  decapsulateResponse(
    body: ReadableStream<Uint8Array>,
    limits: ChunkedLimits = {},
  ): ReadableStream<Uint8Array> {
    const ctx = this.#context;
    const source = new StreamSource(body);
    let inner: ReadableStreamDefaultReader<Uint8Array> | undefined;
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (inner === undefined) {
          try {
            // §5: Response Nonce (8 * max(Nn, Nk)) comes first.
            const nonce = await source.readExact(responseNonceBytes(ctx.suite), 'response nonce');
            const key = deriveResponseKey(ctx, ctx.enc, nonce, LABEL_CHUNKED_RESPONSE);
            inner = openingStream(source, responseChunkOpener(key), limits).getReader();
          } catch (e) {
            source.cancel(e);
            throw e;
          }
        }
        const r = await inner.read();
        if (r.done) controller.close();
        else controller.enqueue(r.value);
      },
      cancel(reason) {
        if (inner) return inner.cancel(reason);
        source.cancel(reason);
      },
    });
  }

  #claim(): void {
    if (this.#used) throw new ConfigurationError('chunked OHTTP: request already used');
    this.#used = true;
  }
}

/**
 * Sets up a chunked request to the gateway's key config (§6.1: info uses the
 * label "message/bhttp chunked request").
 * @throws {UnsupportedError} if the config offers no acceptable algorithms.
 * @throws {MalformedError} if the config's public key is unusable.
 * @throws {ConfigurationError} if a test-only option is used outside tests, or `chunkBytes` is not positive.
 */
export async function createChunkedRequest(
  config: KeyConfig,
  options: ChunkedClientOptions = {},
): Promise<ChunkedClientRequest> {
  const chunkBytes = options.chunkBytes ?? DEFAULT_SEND_CHUNK_BYTES;
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1) {
    throw new ConfigurationError('chunkBytes must be a positive integer');
  }
  const { kdfId, aeadId } = selectSymmetric(config, options.aeadPreference);
  const { header, suite } = clientHeader(config, kdfId, aeadId);
  const ctx = await setupSender(
    suite,
    config.publicKey,
    requestInfo(LABEL_CHUNKED_REQUEST, header),
    options,
  );
  return new ChunkedClientRequest(concat(header, ctx.enc), ctx, chunkBytes);
}

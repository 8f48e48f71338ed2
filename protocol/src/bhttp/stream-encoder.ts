/**
 * Streaming encoder for an indeterminate-length Binary HTTP response
 * (RFC 9292 §3.3 framing 3, §3.7 chunked content): the enclave writes the
 * server-sent events of a chat completion as they are produced, and every
 * call returns the bytes to send at once.
 */

import { concat } from '../bytes';
import { MalformedError } from '../errors';
import { encodeVarint } from '../quic-varint';
import { encodeFieldSection, encodeResponseHead, paddingBytes } from './encode';
import type { BhttpResponseInit } from './types';

/** The head of a streamed response: everything but content and trailers. */
export type BhttpResponseHeadInit = Omit<BhttpResponseInit, 'body' | 'trailers'>;

export interface BhttpResponseEncoder {
  /** Framing indicator, informational responses and the final head. Empty if already written. */
  head(): Uint8Array;
  /** One content chunk (RFC 9292 §3.7), preceded by the head if not yet written. Empty input gives the pending head or nothing. */
  chunk(bytes: Uint8Array): Uint8Array;
  /** Content terminator, trailer section and padding (RFC 9292 §3.8); the encoder is then spent. */
  end(
    trailers?: readonly (readonly [string, string])[],
    options?: { padding?: number },
  ): Uint8Array;
}

/**
 * Creates an encoder for one indeterminate-length response. The head is
 * validated here, so a bad status or field fails before anything is sent.
 * @throws {MalformedError} invalid status or field; later, any call after `end`.
 */
export function createResponseEncoder(init: BhttpResponseHeadInit): BhttpResponseEncoder {
  let pendingHead: Uint8Array | undefined = encodeResponseHead(init, false);
  let ended = false;
  const takeHead = (): Uint8Array => {
    if (ended) throw new MalformedError('bhttp: response already ended');
    const h = pendingHead ?? new Uint8Array(0);
    pendingHead = undefined;
    return h;
  };
  return {
    head: takeHead,
    chunk(bytes) {
      const h = takeHead();
      // A zero-length chunk would be read as the content terminator (RFC 9292 §3.7).
      if (bytes.length === 0) return h;
      return concat(h, encodeVarint(bytes.length), bytes);
    },
    end(trailers, options) {
      const h = takeHead();
      const out = concat(
        h,
        encodeVarint(0),
        encodeFieldSection(trailers, false),
        paddingBytes(options?.padding),
      );
      ended = true;
      return out;
    },
  };
}

/**
 * The same encoder as a `TransformStream`: each input chunk becomes one
 * content chunk; the head is written at start and the trailers at flush.
 * @throws {MalformedError} invalid status or field (synchronously).
 */
export function createResponseEncoderStream(
  init: BhttpResponseHeadInit,
  options?: { trailers?: readonly (readonly [string, string])[]; padding?: number },
): TransformStream<Uint8Array, Uint8Array> {
  const enc = createResponseEncoder(init);
  return new TransformStream<Uint8Array, Uint8Array>({
    start(controller) {
      controller.enqueue(enc.head());
    },
    transform(bytes, controller) {
      const out = enc.chunk(bytes);
      if (out.length > 0) controller.enqueue(out);
    },
    flush(controller) {
      controller.enqueue(enc.end(options?.trailers, { padding: options?.padding }));
    },
  });
}

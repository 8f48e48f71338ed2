/**
 * Web Streams for chunked Oblivious HTTP (draft-ietf-ohai-chunked-ohttp-08):
 * a reader that turns an arbitrarily fragmented byte stream into opened
 * chunks, and a TransformStream that seals each written piece at once.
 * Works in Node 20, browsers and MV3 service workers (WHATWG streams only).
 *
 * Receiving bounds: a declared chunk length is checked against
 * `maxChunkBytes` before any byte of it is buffered; the final chunk (which
 * has no length, §4) is refused as soon as it outgrows that bound; the sum of
 * plaintext is checked against `maxTotalBytes`. A stream that ends before a
 * final chunk that authenticates errors with `TruncatedStreamError`, never a
 * clean end (§7.1).
 */

import { isBytes } from '../bytes';
import {
  ConfigurationError,
  DecryptError,
  LimitExceededError,
  MalformedError,
  SottoError,
  TruncatedStreamError,
} from '../errors';
import { AEAD_TAG_BYTES } from '../hpke/aead';
import { tryDecodeVarint } from '../quic-varint';
import { ByteQueue } from './byte-queue';
import type { ChunkOpener, ChunkSealer } from './chunk-codec';

/** Receiving bounds for one chunked message. */
export interface ChunkedLimits {
  /** Largest plaintext accepted in one chunk. Default {@link DEFAULT_MAX_CHUNK_BYTES}. */
  readonly maxChunkBytes?: number;
  /** Largest total plaintext accepted in one message. Default {@link DEFAULT_MAX_TOTAL_BYTES}. */
  readonly maxTotalBytes?: number;
}

/**
 * 256 KiB per chunk: 16 times the 16 KiB every receiver must accept (§3), so
 * peers that send larger chunks still work, while one stream buffers at most
 * this much (plus a tag) before it can open anything.
 */
export const DEFAULT_MAX_CHUNK_BYTES = 256 * 1024;
/** 16 MiB per message: far above a page of text or a streamed answer, small enough to hold in memory. */
export const DEFAULT_MAX_TOTAL_BYTES = 16 * 1024 * 1024;
/** Plaintext per chunk when sending: 16384, the size every receiver must accept (§3). */
export const DEFAULT_SEND_CHUNK_BYTES = 16 * 1024;

const EMPTY = new Uint8Array(0);

/** A byte stream being read in fragments, with what has arrived but not been used. */
export class StreamSource {
  readonly queue = new ByteQueue();
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  /**
   * Reads one more fragment into the queue. Returns false at the end of the stream.
   * @throws {TruncatedStreamError} if the underlying stream errors.
   * @throws {MalformedError} if it yields something other than bytes.
   */
  async fill(): Promise<boolean> {
    let r: ReadableStreamReadResult<Uint8Array>;
    try {
      r = await this.#reader.read();
    } catch (cause) {
      if (cause instanceof SottoError) throw cause;
      throw new TruncatedStreamError('chunked OHTTP: the underlying stream failed', { cause });
    }
    if (r.done) return false;
    if (!isBytes(r.value)) throw new MalformedError('chunked OHTTP: stream yielded non-bytes');
    this.queue.push(r.value);
    return true;
  }

  /**
   * Waits for exactly `n` bytes and takes them.
   * @throws {TruncatedStreamError} if the stream ends first.
   */
  async readExact(n: number, what: string): Promise<Uint8Array> {
    while (this.queue.length < n) {
      if (!(await this.fill()))
        throw new TruncatedStreamError(`chunked OHTTP: stream ended inside the ${what}`);
    }
    return this.queue.take(n);
  }

  /** Stops reading and cancels the underlying stream; never throws. */
  cancel(reason?: unknown): void {
    this.#reader.cancel(reason).catch(() => {});
  }
}

/**
 * Opens the chunks that follow in `source`, yielding each plaintext chunk as
 * soon as its last byte has arrived. The returned stream errors with a typed
 * `SottoError`: `TruncatedStreamError` (ended before the final chunk, or the
 * input failed), `LimitExceededError`, `DecryptError` (tampered, reordered,
 * duplicated, dropped, empty non-final, or bytes after the final chunk —
 * the final chunk runs to the end of the stream, so they fail its tag).
 */
export function openingStream(
  source: StreamSource,
  opener: ChunkOpener,
  limits: ChunkedLimits = {},
): ReadableStream<Uint8Array> {
  const maxChunk = limits.maxChunkBytes ?? DEFAULT_MAX_CHUNK_BYTES;
  const maxTotal = limits.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES;
  const maxSealed = maxChunk + AEAD_TAG_BYTES;
  const q = source.queue;
  let final = false;
  let total = 0;
  const count = (pt: Uint8Array) => {
    total += pt.length;
    if (total > maxTotal)
      throw new LimitExceededError('chunked OHTTP: message exceeds the size limit');
  };

  async function step(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    for (;;) {
      if (!final) {
        const v = tryDecodeVarint(q.peek(8), 0);
        if (v !== undefined) {
          if (v.value === 0) {
            // §4, §5: a zero length marks the final chunk, which runs to the end of the stream.
            q.take(v.length);
            final = true;
            continue;
          }
          if (v.value > maxSealed)
            throw new LimitExceededError('chunked OHTTP: chunk exceeds the size limit');
          // §6: a non-final chunk with no data is treated as a decryption error.
          if (v.value <= AEAD_TAG_BYTES)
            throw new DecryptError('chunked OHTTP: empty non-final chunk');
          if (q.length >= v.length + v.value) {
            q.take(v.length);
            const pt = await opener.open(q.take(v.value), false);
            count(pt);
            controller.enqueue(pt);
            return;
          }
        }
      } else if (q.length > maxSealed) {
        throw new LimitExceededError('chunked OHTTP: final chunk exceeds the size limit');
      }
      if (!(await source.fill())) {
        if (!final)
          throw new TruncatedStreamError('chunked OHTTP: stream ended before the final chunk');
        if (q.length > maxSealed) {
          throw new LimitExceededError('chunked OHTTP: final chunk exceeds the size limit');
        }
        const pt = await opener.open(q.take(q.length), true);
        count(pt);
        if (pt.length > 0) controller.enqueue(pt);
        controller.close();
        return;
      }
    }
  }

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        await step(controller);
      } catch (e) {
        source.cancel(e);
        throw e;
      }
    },
    cancel(reason) {
      source.cancel(reason);
    },
  });
}

/**
 * A TransformStream that first emits `prefix` (request header and `enc`, or
 * the response nonce), then seals each written piece as soon as it arrives
 * (split at `chunkBytes`; empty writes are skipped, §6), and on close emits
 * the final chunk.
 */
export function sealingStream(
  prefix: Uint8Array,
  sealer: ChunkSealer,
  chunkBytes: number = DEFAULT_SEND_CHUNK_BYTES,
): TransformStream<Uint8Array, Uint8Array> {
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1)
    throw new ConfigurationError('chunkBytes must be a positive integer');
  return new TransformStream<Uint8Array, Uint8Array>({
    start(controller) {
      controller.enqueue(prefix);
    },
    async transform(chunk, controller) {
      if (!isBytes(chunk)) throw new MalformedError('chunked OHTTP: write bytes only');
      for (let o = 0; o < chunk.length; o += chunkBytes) {
        controller.enqueue(await sealer.seal(chunk.subarray(o, o + chunkBytes), false));
      }
    },
    async flush(controller) {
      controller.enqueue(await sealer.seal(EMPTY, true));
    },
  });
}

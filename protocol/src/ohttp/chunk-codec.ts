/**
 * Chunk framing and per-chunk AEAD for chunked Oblivious HTTP,
 * draft-ietf-ohai-chunked-ohttp-08 §4–§6:
 *
 *   Non-Final Chunk { Length (i) = 1.., AEAD-Protected Chunk (..) }
 *   Final Chunk     { Length (i) = 0,   AEAD-Protected Final Chunk (..) }  — runs to the end of the stream
 *
 * Non-final chunks use an empty AAD, the final chunk the AAD "final" (§6.1,
 * §6.2). Requests take their nonces from the HPKE context's sequence number;
 * responses XOR a chunk counter into the derived AEAD nonce (§6.2).
 */

import { concat, utf8 } from '../bytes';
import { ConfigurationError, LimitExceededError, MalformedError } from '../errors';
import type { RecipientContext, SenderContext } from '../hpke/context';
import { encodeVarint } from '../quic-varint';
import type { ResponseKey } from './response-key';

/** AAD of the final chunk, §6.1 and §6.2. */
export const FINAL_CHUNK_AAD = utf8('final');
const EMPTY = new Uint8Array(0);

/** Seals one chunk and frames it. */
export interface ChunkSealer {
  /**
   * @param final true for the last chunk (zero length prefix, AAD "final").
   * @throws {MalformedError} if a non-final chunk is empty (§6: MUST NOT).
   * @throws {ConfigurationError} if called after the final chunk.
   */
  seal(plaintext: Uint8Array, final: boolean): Promise<Uint8Array>;
  /**
   * The same frame as its two parts, length prefix and sealed chunk, for a caller
   * that writes them on or joins many frames anyway: the ciphertext is not copied
   * into a frame of its own first (sealing 1 MiB: one copy of it fewer).
   */
  sealParts(plaintext: Uint8Array, final: boolean): Promise<readonly [Uint8Array, Uint8Array]>;
}

/** Opens one unframed chunk. */
export interface ChunkOpener {
  /** @throws {DecryptError} if the chunk does not authenticate in this position. */
  open(ciphertext: Uint8Array, final: boolean): Promise<Uint8Array>;
}

/** Frames a sealed chunk: varint length, or 0 for the final chunk. */
export function frameChunk(sealed: Uint8Array, final: boolean): Uint8Array {
  return concat(lengthPrefix(sealed, final), sealed);
}

function lengthPrefix(sealed: Uint8Array, final: boolean): Uint8Array {
  return final ? new Uint8Array([0]) : encodeVarint(sealed.length);
}

function guardedSealer(
  seal: (pt: Uint8Array, aad: Uint8Array) => Promise<Uint8Array>,
): ChunkSealer {
  let finished = false;
  const sealParts = async (
    plaintext: Uint8Array,
    final: boolean,
  ): Promise<readonly [Uint8Array, Uint8Array]> => {
    if (finished) throw new ConfigurationError('chunked OHTTP: message already finished');
    if (!final && plaintext.length === 0)
      throw new MalformedError('chunked OHTTP: empty non-final chunk');
    if (final) finished = true;
    const sealed = await seal(plaintext, final ? FINAL_CHUNK_AAD : EMPTY);
    return [lengthPrefix(sealed, final), sealed];
  };
  return {
    sealParts,
    async seal(plaintext, final) {
      const [prefix, sealed] = await sealParts(plaintext, final);
      return concat(prefix, sealed);
    },
  };
}

/** Request chunks: ContextS.Seal(aad, chunk), §6.1. */
export function requestChunkSealer(ctx: SenderContext): ChunkSealer {
  return guardedSealer((pt, aad) => ctx.seal(pt, aad));
}

/** Request chunks: ContextR.Open(aad, chunk), §6.1. */
export function requestChunkOpener(ctx: RecipientContext): ChunkOpener {
  return { open: (ct, final) => ctx.open(ct, final ? FINAL_CHUNK_AAD : EMPTY) };
}

/** chunk_nonce = aead_nonce XOR encode(Nn, counter), §6.2. */
function counterNonces(base: Uint8Array): () => Uint8Array {
  let counter = 0;
  return () => {
    if (counter >= Number.MAX_SAFE_INTEGER)
      throw new LimitExceededError('chunked OHTTP: chunk limit reached');
    const nonce = base.slice();
    let c = counter;
    for (let i = nonce.length - 1; i >= 0 && c > 0; i--) {
      nonce[i] = nonce[i]! ^ (c % 256);
      c = Math.floor(c / 256);
    }
    counter++;
    return nonce;
  };
}

/** Response chunks sealed under the derived key with a chunk counter, §6.2. */
export function responseChunkSealer(key: ResponseKey): ChunkSealer {
  const next = counterNonces(key.nonce);
  return guardedSealer((pt, aad) => key.aead.seal(next(), aad, pt));
}

/** Response chunks opened under the derived key with a chunk counter, §6.2. */
export function responseChunkOpener(key: ResponseKey): ChunkOpener {
  const next = counterNonces(key.nonce);
  return { open: (ct, final) => key.aead.open(next(), final ? FINAL_CHUNK_AAD : EMPTY, ct) };
}

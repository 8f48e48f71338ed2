import { describe, expect, it } from 'vitest';
import {
  EMPTY,
  type ErrorClass,
  flip,
  KEY,
  KEYS,
  rawRequest,
  rawResponse,
  requestParts,
  responseParts,
  stalledStreamOf,
} from '../../test/ohttp/chunked-fixtures';
import { failingStreamOf, fragment, streamError, streamOf } from '../../test/ohttp/streams';
import { concat, utf8 } from '../bytes';
import { DecryptError, LimitExceededError, MalformedError, TruncatedStreamError } from '../errors';
import { aeadKey } from '../hpke/aead';
import { AEAD_AES_128_GCM, AEAD_CHACHA20_POLY1305, type AeadId } from '../hpke/suite';
import { encodeVarint } from '../quic-varint';
import { FINAL_CHUNK_AAD } from './chunk-codec';
import type { ChunkedLimits } from './chunk-stream';
import { ChunkedClientRequest, createChunkedRequest } from './chunked-client';
import { openChunkedRequest } from './chunked-gateway';
import { encapsulateRequest } from './ohttp';

describe('chunked response, hostile framing (client, draft-08 §5, §6.2)', () => {
  async function setup(resPieces = ['one', 'two'], aead: AeadId = AEAD_AES_128_GCM) {
    const { client, parts } = await requestParts(['q'], aead);
    return { client, res: await responseParts(parts, resPieces) };
  }
  async function clientError(
    client: ChunkedClientRequest,
    parts: Uint8Array[],
    limits?: ChunkedLimits,
  ) {
    return streamError(
      client.decapsulateResponse(streamOf(fragment(concat(...parts), [2])), limits),
    );
  }
  const cases: [string, () => Promise<[ChunkedClientRequest, Uint8Array[]]>, ErrorClass][] = [
    ['empty response', async () => [(await setup()).client, []], TruncatedStreamError],
    [
      'short nonce (10 bytes)',
      async () => {
        const s = await setup();
        return [s.client, [s.res[0]!.subarray(0, 10)]];
      },
      TruncatedStreamError,
    ],
    [
      'nonce only',
      async () => {
        const s = await setup();
        return [s.client, [s.res[0]!]];
      },
      TruncatedStreamError,
    ],
    [
      'missing final chunk',
      async () => {
        const s = await setup();
        return [s.client, s.res.slice(0, 3)];
      },
      TruncatedStreamError,
    ],
    [
      'cut inside a chunk',
      async () => {
        const s = await setup();
        return [s.client, [s.res[0]!, s.res[1]!.subarray(0, 5)]];
      },
      TruncatedStreamError,
    ],
    [
      'reordered chunks',
      async () => {
        const s = await setup();
        return [s.client, [s.res[0]!, s.res[2]!, s.res[1]!, s.res[3]!]];
      },
      DecryptError,
    ],
    [
      'duplicated chunk',
      async () => {
        const s = await setup();
        return [s.client, [s.res[0]!, s.res[1]!, s.res[1]!, s.res[2]!, s.res[3]!]];
      },
      DecryptError,
    ],
    [
      'dropped chunk',
      async () => {
        const s = await setup();
        return [s.client, [s.res[0]!, s.res[2]!, s.res[3]!]];
      },
      DecryptError,
    ],
    [
      'data after the final chunk',
      async () => {
        const s = await setup();
        return [s.client, [...s.res, new Uint8Array([0])]];
      },
      DecryptError,
    ],
    [
      'bit flip in the nonce',
      async () => {
        const s = await setup();
        return [s.client, [flip(s.res[0]!, 0), ...s.res.slice(1)]];
      },
      DecryptError,
    ],
    [
      'bit flip in a chunk',
      async () => {
        const s = await setup();
        return [s.client, [s.res[0]!, flip(s.res[1]!, 2), ...s.res.slice(2)]];
      },
      DecryptError,
    ],
    [
      'bit flip in the final chunk',
      async () => {
        const s = await setup();
        return [s.client, [...s.res.slice(0, 3), flip(s.res[3]!, -1)]];
      },
      DecryptError,
    ],
    [
      'final chunk cut by one byte',
      async () => {
        const s = await setup();
        return [s.client, [...s.res.slice(0, 3), s.res[3]!.subarray(0, s.res[3]!.length - 1)]];
      },
      DecryptError,
    ],
    [
      'response from a different request',
      async () => {
        const a = await setup();
        const b = await setup();
        return [a.client, b.res];
      },
      DecryptError,
    ],
    [
      'chunks spliced from another response',
      async () => {
        const a = await setup();
        const b = await setup();
        return [a.client, [a.res[0]!, a.res[1]!, b.res[2]!, a.res[3]!]];
      },
      DecryptError,
    ],
    [
      'chunk length 2^40',
      async () => {
        const s = await setup();
        return [s.client, [s.res[0]!, encodeVarint(2 ** 40)]];
      },
      LimitExceededError,
    ],
    [
      'zero-length non-final chunk',
      async () => {
        const r = await rawRequest();
        const client = new ChunkedClientRequest(r.header, r.ctx, 16384);
        const res = rawResponse(r.ctx);
        return [
          client,
          [
            res.nonce,
            await res.chunk(0, EMPTY, EMPTY, false),
            await res.chunk(1, EMPTY, FINAL_CHUNK_AAD, true),
          ],
        ];
      },
      DecryptError,
    ],
    [
      'final chunk without the "final" AAD',
      async () => {
        const r = await rawRequest();
        const client = new ChunkedClientRequest(r.header, r.ctx, 16384);
        const res = rawResponse(r.ctx);
        return [
          client,
          [
            res.nonce,
            await res.chunk(0, utf8('x'), EMPTY, false),
            await res.chunk(1, EMPTY, EMPTY, true),
          ],
        ];
      },
      DecryptError,
    ],
    [
      'chunk sealed with a skipped counter',
      async () => {
        const r = await rawRequest();
        const client = new ChunkedClientRequest(r.header, r.ctx, 16384);
        const res = rawResponse(r.ctx);
        return [
          client,
          [
            res.nonce,
            await res.chunk(1, utf8('x'), EMPTY, false),
            await res.chunk(2, EMPTY, FINAL_CHUNK_AAD, true),
          ],
        ];
      },
      DecryptError,
    ],
    [
      'ChaCha20-Poly1305 response cut after 20 of its 32 nonce bytes',
      async () => {
        const s = await setup(['x'], AEAD_CHACHA20_POLY1305);
        return [s.client, [s.res[0]!.subarray(0, 20)]];
      },
      TruncatedStreamError,
    ],
  ];
  it.each(cases)('%s', async (_name, make, cls) => {
    const [client, parts] = await make();
    expect(await clientError(client, parts)).toBeInstanceOf(cls);
  });

  it('total plaintext over the bound', async () => {
    const s = await setup(['0123456789', '0123456789']);
    expect(await clientError(s.client, s.res, { maxTotalBytes: 12 })).toBeInstanceOf(
      LimitExceededError,
    );
  });

  it('oversized chunk length errors at once on a stalled stream', async () => {
    const s = await setup();
    const e = await streamError(
      s.client.decapsulateResponse(stalledStreamOf([s.res[0]!, encodeVarint(1 << 20)]), {
        maxChunkBytes: 1024,
      }),
    );
    expect(e).toBeInstanceOf(LimitExceededError);
  });

  it('underlying stream fails after some chunks: the chunks arrive, then TruncatedStreamError', async () => {
    const s = await setup();
    const reader = s.client
      .decapsulateResponse(failingStreamOf(s.res.slice(0, 2), new Error('reset')))
      .getReader();
    expect(await reader.read()).toEqual({ done: false, value: utf8('one') });
    await expect(reader.read()).rejects.toThrow(TruncatedStreamError);
  });

  it('a chunked response cannot be opened as a non-chunked one (different export label)', async () => {
    const r = await encapsulateRequest(KEY.config, utf8('GET /'));
    const s = await setup(['x']);
    await expect(r.decapsulateResponse(concat(...s.res))).rejects.toThrow(DecryptError);
  });

  it('refuses to seal an empty non-final chunk or anything after the final chunk', async () => {
    const c = await createChunkedRequest(KEY.config);
    await expect(c.sealChunk(EMPTY)).rejects.toThrow(MalformedError);
    await c.sealFinal();
    await expect(c.sealFinal()).rejects.toThrow('already finished');
    expect(() => c.encapsulateStream(streamOf([]))).toThrow('already used');
  });

  it('rejects a test-only response nonce of the wrong length', async () => {
    const { parts } = await requestParts(['q']);
    const g = await openChunkedRequest(streamOf(parts), KEYS);
    expect(() =>
      g.createResponseEncapsulator({ __unsafeTestOnlyResponseNonce: new Uint8Array(12) }),
    ).toThrow(MalformedError);
  });

  it('an AEAD key of the wrong length is refused', () => {
    expect(() => aeadKey(AEAD_AES_128_GCM, new Uint8Array(32))).toThrow(MalformedError);
  });
});

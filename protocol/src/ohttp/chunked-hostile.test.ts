import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  failingStreamOf,
  fragment,
  readAll,
  streamError,
  streamOf,
} from '../../test/ohttp/streams';
import { concat, fromHex, utf8 } from '../bytes';
import {
  DecryptError,
  LimitExceededError,
  MalformedError,
  type SottoError,
  TruncatedStreamError,
  UnknownKeyError,
  UnsupportedError,
} from '../errors';
import { aeadKey } from '../hpke/aead';
import { type SenderContext, setupSender } from '../hpke/context';
import { AEAD_AES_128_GCM, AEAD_CHACHA20_POLY1305, type AeadId, hpkeSuite } from '../hpke/suite';
import { encodeVarint } from '../quic-varint';
import { FINAL_CHUNK_AAD } from './chunk-codec';
import type { ChunkedLimits } from './chunk-stream';
import { ChunkedClientRequest, createChunkedRequest } from './chunked-client';
import { openChunkedRequest } from './chunked-gateway';
import { generateKeyConfig } from './key-config';
import { decapsulateRequest, encapsulateRequest } from './ohttp';
import {
  encodeRequestHeader,
  LABEL_CHUNKED_REQUEST,
  LABEL_CHUNKED_RESPONSE,
  requestInfo,
} from './request-header';
import { deriveResponseKey, type ResponseKey } from './response-key';

const APPENDIX_A = JSON.parse(
  readFileSync(
    new URL('../../../../shared/vectors/ohttp/rfc9458_appendixA.json', import.meta.url),
    'utf8',
  ),
) as { encapsulated_request: string };
const KEY = generateKeyConfig(1);
const KEYS = new Map([[1, KEY]]);
type ErrorClass = new (...args: never[]) => SottoError;
const EMPTY = new Uint8Array(0);

/** A stream that yields `parts` and then never ends: a test that waits on it would hang. */
function stalledStreamOf(parts: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < parts.length) controller.enqueue(parts[i++]!);
      else return new Promise<void>(() => {});
    },
  });
}

function flip(b: Uint8Array, i: number): Uint8Array {
  const c = b.slice();
  const j = i < 0 ? c.length + i : i;
  c[j] = c[j]! ^ 1;
  return c;
}

/** A well-formed chunked request: [header||enc, chunk..., final]. */
async function requestParts(pieces: string[], aead: AeadId = AEAD_AES_128_GCM) {
  const client = await createChunkedRequest(KEY.config, { aeadPreference: [aead] });
  const parts = [client.header];
  for (const p of pieces) parts.push(await client.sealChunk(utf8(p)));
  parts.push(await client.sealFinal());
  return { client, parts };
}

/** A well-formed chunked response to `parts`: [nonce, chunk..., final]. */
async function responseParts(reqParts: Uint8Array[], pieces: string[]): Promise<Uint8Array[]> {
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
async function rawRequest() {
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
function rawResponse(ctx: SenderContext) {
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

async function requestStreamError(
  body: ReadableStream<Uint8Array>,
  limits?: ChunkedLimits,
): Promise<unknown> {
  const g = await openChunkedRequest(body, KEYS, limits);
  return streamError(g.request);
}

describe('chunked request header, hostile input (gateway, draft-08 §4)', () => {
  const cases: [string, () => Promise<Uint8Array>, ErrorClass][] = [
    ['empty body', async () => EMPTY, TruncatedStreamError],
    [
      '5 header bytes',
      async () => (await requestParts([])).parts[0]!.subarray(0, 5),
      TruncatedStreamError,
    ],
    [
      'header and half of enc',
      async () => (await requestParts([])).parts[0]!.subarray(0, 20),
      TruncatedStreamError,
    ],
    ['unknown key id', async () => patchFirst(await requestParts(['a']), 0, [7]), UnknownKeyError],
    [
      'KEM 0x0021',
      async () => patchFirst(await requestParts(['a']), 1, [0, 0x21]),
      UnsupportedError,
    ],
    ['KDF 0x0003', async () => patchFirst(await requestParts(['a']), 3, [0, 3]), UnsupportedError],
    ['AEAD 0x0002', async () => patchFirst(await requestParts(['a']), 5, [0, 2]), UnsupportedError],
    [
      'low-order enc',
      async () => patchFirst(await requestParts(['a']), 7, new Array(32).fill(0)),
      MalformedError,
    ],
  ];
  it.each(cases)('%s', async (_name, make, cls) => {
    const bytes = await make();
    await expect(openChunkedRequest(streamOf(fragment(bytes, [3])), KEYS)).rejects.toThrow(cls);
  });

  function patchFirst(r: { parts: Uint8Array[] }, at: number, bytes: number[]): Uint8Array {
    const all = concat(...r.parts);
    all.set(bytes, at);
    return all;
  }
});

describe('chunked request body, hostile framing (gateway, draft-08 §4, §6.1)', () => {
  const drop = (parts: Uint8Array[], i: number) => parts.filter((_, j) => j !== i);
  const cases: [string, () => Promise<Uint8Array[]>, ErrorClass][] = [
    [
      'header and enc only, no chunks',
      async () => (await requestParts(['a'])).parts.slice(0, 1),
      TruncatedStreamError,
    ],
    [
      'missing final chunk',
      async () => (await requestParts(['a', 'b'])).parts.slice(0, 3),
      TruncatedStreamError,
    ],
    [
      'final chunk cut inside its length byte',
      async () => (await requestParts(['a'])).parts.slice(0, 2),
      TruncatedStreamError,
    ],
    [
      'reordered chunks',
      async () => {
        const p = (await requestParts(['one', 'two'])).parts;
        return [p[0]!, p[2]!, p[1]!, p[3]!];
      },
      DecryptError,
    ],
    [
      'duplicated chunk',
      async () => {
        const p = (await requestParts(['one', 'two'])).parts;
        return [p[0]!, p[1]!, p[1]!, p[2]!, p[3]!];
      },
      DecryptError,
    ],
    [
      'dropped middle chunk',
      async () => drop((await requestParts(['one', 'two', 'three'])).parts, 2),
      DecryptError,
    ],
    [
      'dropped first chunk',
      async () => drop((await requestParts(['one', 'two'])).parts, 1),
      DecryptError,
    ],
    [
      'final chunk moved before the others',
      async () => {
        const p = (await requestParts(['one'])).parts;
        return [p[0]!, p[2]!, p[1]!];
      },
      DecryptError,
    ],
    [
      'data after the final chunk',
      async () => [...(await requestParts(['a'])).parts, new Uint8Array([1, 2, 3])],
      DecryptError,
    ],
    [
      'a second final chunk',
      async () => {
        const p = (await requestParts(['a'])).parts;
        return [...p, p[2]!];
      },
      DecryptError,
    ],
    [
      'bit flip in a chunk',
      async () => {
        const p = (await requestParts(['hello'])).parts;
        return [p[0]!, flip(p[1]!, 3), p[2]!];
      },
      DecryptError,
    ],
    [
      'bit flip in a chunk tag',
      async () => {
        const p = (await requestParts(['hello'])).parts;
        return [p[0]!, flip(p[1]!, -1), p[2]!];
      },
      DecryptError,
    ],
    [
      'bit flip in the final chunk',
      async () => {
        const p = (await requestParts(['hello'])).parts;
        return [p[0]!, p[1]!, flip(p[2]!, 5)];
      },
      DecryptError,
    ],
    [
      'bit flip in enc',
      async () => {
        const p = (await requestParts(['hello'])).parts;
        return [flip(p[0]!, 10), p[1]!, p[2]!];
      },
      DecryptError,
    ],
    [
      'length prefix one too long',
      async () => {
        const p = (await requestParts(['hello'])).parts;
        return [p[0]!, concat(new Uint8Array([p[1]!.length]), p[1]!.subarray(1)), p[2]!];
      },
      DecryptError,
    ],
    [
      'length prefix one too short',
      async () => {
        const p = (await requestParts(['hello'])).parts;
        return [p[0]!, concat(new Uint8Array([p[1]!.length - 2]), p[1]!.subarray(1)), p[2]!];
      },
      DecryptError,
    ],
    [
      'zero-length non-final chunk (sealed empty plaintext)',
      async () => {
        const r = await rawRequest();
        return [
          r.header,
          await r.chunk(EMPTY, EMPTY, false),
          await r.chunk(EMPTY, FINAL_CHUNK_AAD, true),
        ];
      },
      DecryptError,
    ],
    [
      'non-final chunk shorter than a tag',
      async () => {
        const r = await rawRequest();
        return [
          r.header,
          new Uint8Array([5, 1, 2, 3, 4, 5]),
          await r.chunk(EMPTY, FINAL_CHUNK_AAD, true),
        ];
      },
      DecryptError,
    ],
    [
      'final chunk sealed without the "final" AAD',
      async () => {
        const r = await rawRequest();
        return [
          r.header,
          await r.chunk(utf8('x'), EMPTY, false),
          await r.chunk(EMPTY, EMPTY, true),
        ];
      },
      DecryptError,
    ],
    [
      'non-final chunk sealed with the "final" AAD',
      async () => {
        const r = await rawRequest();
        return [
          r.header,
          await r.chunk(utf8('x'), FINAL_CHUNK_AAD, false),
          await r.chunk(EMPTY, FINAL_CHUNK_AAD, true),
        ];
      },
      DecryptError,
    ],
    [
      'final chunk shorter than a tag',
      async () => {
        const r = await rawRequest();
        return [r.header, await r.chunk(utf8('x'), EMPTY, false), new Uint8Array([0, 1, 2, 3])];
      },
      DecryptError,
    ],
    [
      'chunk length varint past the end (4-byte varint, 2 bytes present)',
      async () => {
        const p = (await requestParts(['a'])).parts;
        return [p[0]!, new Uint8Array([0x80, 0x00])];
      },
      TruncatedStreamError,
    ],
    [
      'chunk cut in the middle',
      async () => {
        const p = (await requestParts(['hello world'])).parts;
        return [p[0]!, p[1]!.subarray(0, 10)];
      },
      TruncatedStreamError,
    ],
    [
      'chunk length 2^40 (over the bound)',
      async () => {
        const p = (await requestParts(['a'])).parts;
        return [p[0]!, encodeVarint(2 ** 40)];
      },
      LimitExceededError,
    ],
    [
      'chunk length 2^62 - 1 (over the safe integer range)',
      async () => {
        const p = (await requestParts(['a'])).parts;
        return [p[0]!, new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])];
      },
      LimitExceededError,
    ],
    [
      'request chunks from another request',
      async () => {
        const a = (await requestParts(['a'])).parts;
        const b = (await requestParts(['a'])).parts;
        return [a[0]!, b[1]!, b[2]!];
      },
      DecryptError,
    ],
    [
      // Its ciphertext starts 63 74: read as a chunk length of 9076 bytes that never come.
      'non-chunked request (RFC 9458 Appendix A) sent as chunked',
      async () => [fromHex(APPENDIX_A.encapsulated_request)],
      TruncatedStreamError,
    ],
  ];
  it.each(cases)('%s', async (_name, make, cls) => {
    const parts = await make();
    for (const sizes of [[], [1], [7]]) {
      expect(await requestStreamError(streamOf(fragment(concat(...parts), sizes)))).toBeInstanceOf(
        cls,
      );
    }
  });

  it('chunk length over the bound errors at once, without waiting for more input', async () => {
    const p = (await requestParts(['a'])).parts;
    const e = await requestStreamError(stalledStreamOf([p[0]!, encodeVarint(1000)]), {
      maxChunkBytes: 100,
    });
    expect(e).toBeInstanceOf(LimitExceededError);
  });

  it('final chunk growing past the bound errors at once, without waiting for the end', async () => {
    const p = (await requestParts(['a'])).parts;
    const e = await requestStreamError(
      stalledStreamOf([p[0]!, new Uint8Array([0]), new Uint8Array(200)]),
      {
        maxChunkBytes: 100,
      },
    );
    expect(e).toBeInstanceOf(LimitExceededError);
  });

  it('total plaintext over the bound', async () => {
    const p = (await requestParts(['0123456789', '0123456789'])).parts;
    expect(await requestStreamError(streamOf(p), { maxTotalBytes: 15 })).toBeInstanceOf(
      LimitExceededError,
    );
  });

  it('chunk just over maxChunkBytes', async () => {
    const p = (await requestParts(['0123456789'])).parts;
    expect(await requestStreamError(streamOf(p), { maxChunkBytes: 9 })).toBeInstanceOf(
      LimitExceededError,
    );
  });

  it('underlying stream fails (connection reset)', async () => {
    const p = (await requestParts(['a', 'b'])).parts;
    const e = await requestStreamError(failingStreamOf(p.slice(0, 2), new Error('ECONNRESET')));
    expect(e).toBeInstanceOf(TruncatedStreamError);
  });

  it('underlying stream yields something other than bytes', async () => {
    const p = (await requestParts(['a'])).parts;
    const odd = streamOf([p[0]!, 'text' as unknown as Uint8Array]);
    expect(await requestStreamError(odd)).toBeInstanceOf(MalformedError);
  });

  it('chunked request sent to the non-chunked gateway', async () => {
    const p = (await requestParts(['GET /'])).parts;
    await expect(decapsulateRequest(concat(...p), KEYS)).rejects.toThrow(DecryptError);
  });
});

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

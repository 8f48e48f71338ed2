import { describe, expect, it } from 'vitest';
import {
  APPENDIX_A,
  EMPTY,
  type ErrorClass,
  flip,
  KEYS,
  rawRequest,
  requestParts,
  requestStreamError,
  stalledStreamOf,
} from '../../test/ohttp/chunked-fixtures';
import { failingStreamOf, fragment, streamOf } from '../../test/ohttp/streams';
import { concat, fromHex, utf8 } from '../bytes';
import {
  DecryptError,
  LimitExceededError,
  MalformedError,
  TruncatedStreamError,
  UnknownKeyError,
  UnsupportedError,
} from '../errors';
import { encodeVarint } from '../quic-varint';
import { FINAL_CHUNK_AAD } from './chunk-codec';
import { openChunkedRequest } from './chunked-gateway';
import { decapsulateRequest } from './ohttp';

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

  it('final chunk over the bound that arrives in one fragment with the end of the stream', async () => {
    const p = (await requestParts(['a'])).parts;
    const e = await requestStreamError(
      streamOf([p[0]!, concat(new Uint8Array([0]), new Uint8Array(200))]),
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

/**
 * Property tests (fast-check): random requests and responses round-trip
 * through both framings (RFC 9292 §3.3), padding included; the streaming
 * decoder agrees under random fragmentation; random and mutated input only
 * ever fails with a Sotto error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BhttpField,
  type BhttpResponse,
  createResponseEncoder,
  decodeRequest,
  decodeResponse,
  decodeResponseStream,
  encodeRequest,
  encodeResponse,
} from '../../src/bhttp';
import { concat } from '../../src/bytes';
import { isSottoError } from '../../src/errors';
import { fragment, readAll, streamOf } from './streams';

const fieldName = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9a-z]{1,16}$/);
const fieldValue = fc
  .string({ unit: 'grapheme', maxLength: 24 })
  .filter((s) => !/[\0\r\n]/.test(s));
const fields = fc.array(fc.tuple(fieldName, fieldValue), { maxLength: 6 }) as fc.Arbitrary<
  BhttpField[]
>;
const body = fc.uint8Array({ maxLength: 200 });
const framing = fc.constantFrom('known-length' as const, 'indeterminate-length' as const);
const padding = fc.nat(16);

const request = fc.record({
  method: fc.stringMatching(/^[A-Za-z!#$%&'*+\-.^_`|~0-9]{1,10}$/),
  scheme: fc.stringMatching(/^[a-z][a-z0-9+.-]{0,8}$/),
  authority: fc.stringMatching(/^[\x21-\x7e]{0,24}$/),
  path: fc.stringMatching(/^[\x21-\x7e]{0,24}$/),
  headers: fields,
  body,
  trailers: fields,
});

const response: fc.Arbitrary<BhttpResponse> = fc.record({
  informational: fc.array(
    fc.record({ status: fc.integer({ min: 100, max: 199 }), headers: fields }),
    {
      maxLength: 3,
    },
  ),
  status: fc.integer({ min: 200, max: 599 }),
  headers: fields,
  body,
  trailers: fields,
});

async function streamDecode(chunks: Uint8Array[]): Promise<BhttpResponse> {
  const res = await decodeResponseStream(streamOf(chunks));
  const b = await readAll(res.body);
  return {
    informational: res.informational,
    status: res.status,
    headers: res.headers,
    body: b,
    trailers: await res.trailers,
  };
}

describe('Binary HTTP properties', () => {
  it('requests round-trip in both framings, with padding', () => {
    fc.assert(
      fc.property(request, framing, padding, (req, f, p) => {
        expect(decodeRequest(encodeRequest(req, { framing: f, padding: p }))).toEqual(req);
      }),
      { numRuns: 300 },
    );
  });

  it('responses round-trip in both framings, with padding', () => {
    fc.assert(
      fc.property(response, framing, padding, (res, f, p) => {
        expect(decodeResponse(encodeResponse(res, { framing: f, padding: p }))).toEqual(res);
      }),
      { numRuns: 300 },
    );
  });

  it('the streaming decoder agrees under random fragmentation', async () => {
    await fc.assert(
      fc.asyncProperty(
        response,
        framing,
        padding,
        fc.array(fc.nat(400)),
        async (res, f, p, cuts) => {
          const bytes = encodeResponse(res, { framing: f, padding: p });
          expect(await streamDecode(fragment(bytes, cuts))).toEqual(res);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('the streaming encoder, chunk by chunk, decodes both ways', async () => {
    await fc.assert(
      fc.asyncProperty(
        response,
        fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 8 }),
        fc.array(fc.nat(400)),
        async (res, parts, cuts) => {
          const enc = createResponseEncoder(res);
          const bytes = concat(
            enc.head(),
            ...parts.map((c) => enc.chunk(c)),
            enc.end(res.trailers),
          );
          const expected = { ...res, body: concat(...parts) };
          expect(decodeResponse(bytes)).toEqual(expected);
          expect(await streamDecode(fragment(bytes, cuts))).toEqual(expected);
        },
      ),
      { numRuns: 150 },
    );
  });

  const onlyTyped = (f: () => unknown): void => {
    try {
      f();
    } catch (e) {
      if (!isSottoError(e)) throw e;
    }
  };

  it('random bytes fail only with Sotto errors', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        onlyTyped(() => decodeRequest(bytes));
        onlyTyped(() => decodeResponse(bytes));
        onlyTyped(() => decodeRequest(concat(Uint8Array.of(bytes[0] ? 2 : 0), bytes)));
        onlyTyped(() => decodeResponse(concat(Uint8Array.of(bytes[0] ? 3 : 1), bytes)));
      }),
      { numRuns: 2000 },
    );
  });

  it('mutated valid messages fail only with Sotto errors (both decoders)', async () => {
    await fc.assert(
      fc.asyncProperty(
        response,
        framing,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 3,
        }),
        fc.nat(),
        fc.array(fc.nat(400)),
        async (res, f, edits, cut, cuts) => {
          const bytes = encodeResponse(res, { framing: f });
          for (const [at, val] of edits) bytes[at % bytes.length] = val;
          const truncated = bytes.subarray(0, cut % (bytes.length + 1));
          onlyTyped(() => decodeResponse(bytes));
          onlyTyped(() => decodeResponse(truncated));
          for (const input of [bytes, truncated]) {
            try {
              await streamDecode(fragment(input, cuts));
            } catch (e) {
              if (!isSottoError(e)) throw e;
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

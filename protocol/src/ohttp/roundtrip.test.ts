import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { collect, fragment, readAll, streamOf } from '../../test/ohttp/streams';
import { concat, utf8 } from '../bytes';
import { AEAD_AES_128_GCM, AEAD_CHACHA20_POLY1305 } from '../hpke/suite';
import { createChunkedRequest } from './chunked-client';
import { openChunkedRequest } from './chunked-gateway';
import { generateKeyConfig } from './key-config';
import { decapsulateRequest, encapsulateRequest } from './ohttp';

const KEY = generateKeyConfig(3);
const KEYS = new Map([[3, KEY]]);
const aead = fc.constantFrom(AEAD_AES_128_GCM, AEAD_CHACHA20_POLY1305);
const sizes = fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 8 });

describe('round trips (fast-check)', () => {
  it('chunked: random bodies, chunk sizes and fragmentation, client → gateway → client', async () => {
    await fc.assert(
      fc.asyncProperty(
        aead,
        fc.uint8Array({ maxLength: 3000 }),
        sizes,
        fc.integer({ min: 1, max: 700 }),
        sizes,
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 400 }), { maxLength: 8 }),
        fc.integer({ min: 1, max: 500 }),
        sizes,
        async (aeadId, body, bodyPieces, chunkBytes, reqFrag, writes, resChunkBytes, resFrag) => {
          const client = await createChunkedRequest(KEY.config, {
            aeadPreference: [aeadId],
            chunkBytes,
          });
          const wire = await readAll(
            client.encapsulateStream(streamOf(fragment(body, bodyPieces))),
          );
          const g = await openChunkedRequest(streamOf(fragment(wire, reqFrag)), KEYS);
          expect(g.suite.aeadId).toBe(aeadId);
          const pieces = await collect(g.request);
          expect(concat(...pieces)).toEqual(body);
          expect(pieces.every((p) => p.length > 0 && p.length <= chunkBytes)).toBe(true);

          const t = g.createResponseEncapsulator({ chunkBytes: resChunkBytes });
          const out: Uint8Array[] = [];
          const done = t.readable.pipeTo(new WritableStream({ write: (c) => void out.push(c) }));
          const w = t.writable.getWriter();
          for (const x of writes) await w.write(x);
          await w.close();
          await done;
          const got = await collect(
            client.decapsulateResponse(streamOf(fragment(concat(...out), resFrag))),
          );
          expect(concat(...got)).toEqual(concat(...writes));
          // One sealed chunk per write (split only above chunkBytes), so chunks keep their boundaries.
          const expected = writes.flatMap((x) => fragment(x, [resChunkBytes]));
          expect(got).toEqual(expected);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('chunked: whole-body encapsulation (the browser path) and whole-body response', async () => {
    await fc.assert(
      fc.asyncProperty(
        aead,
        fc.uint8Array({ maxLength: 5000 }),
        fc.uint8Array({ maxLength: 5000 }),
        sizes,
        async (aeadId, body, res, frag) => {
          const client = await createChunkedRequest(KEY.config, {
            aeadPreference: [aeadId],
            chunkBytes: 1024,
          });
          const wire = await client.encapsulate(body);
          const g = await openChunkedRequest(streamOf(fragment(wire, frag)), KEYS);
          expect(await readAll(g.request)).toEqual(body);
          const resWire = await g.encapsulateResponse(res);
          expect(
            await readAll(client.decapsulateResponse(streamOf(fragment(resWire, frag)))),
          ).toEqual(res);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('non-chunked: random messages for both AEADs', async () => {
    await fc.assert(
      fc.asyncProperty(
        aead,
        fc.uint8Array({ maxLength: 2000 }),
        fc.uint8Array({ maxLength: 2000 }),
        async (aeadId, req, res) => {
          const c = await encapsulateRequest(KEY.config, req, { aeadPreference: [aeadId] });
          const g = await decapsulateRequest(c.encapsulated, KEYS);
          expect(g.request).toEqual(req);
          expect(await c.decapsulateResponse(await g.encapsulateResponse(res))).toEqual(res);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('incremental delivery', () => {
  it('the client yields each response chunk as soon as its last byte arrives', async () => {
    const client = await createChunkedRequest(KEY.config);
    const g = await openChunkedRequest(streamOf([await client.encapsulate(utf8('q'))]), KEYS);
    await readAll(g.request);
    const enc = g.createResponseEncapsulator();
    const sealed = enc.readable.getReader();
    const plain = enc.writable.getWriter();

    const wire = new TransformStream<Uint8Array, Uint8Array>();
    const wireIn = wire.writable.getWriter();
    const reader = client.decapsulateResponse(wire.readable).getReader();

    void wireIn.write((await sealed.read()).value!); // nonce
    void plain.write(utf8('token one'));
    const c1 = (await sealed.read()).value!;
    // Deliver the first chunk in two fragments; the stream stays open.
    void wireIn.write(c1.subarray(0, 3));
    void wireIn.write(c1.subarray(3));
    expect(await reader.read()).toEqual({ done: false, value: utf8('token one') });
    void plain.write(utf8('token two'));
    void wireIn.write((await sealed.read()).value!);
    expect(await reader.read()).toEqual({ done: false, value: utf8('token two') });
    void plain.close();
    void wireIn.write((await sealed.read()).value!);
    void wireIn.close();
    expect((await reader.read()).done).toBe(true);
  });

  it('the gateway yields each request chunk before the final chunk arrives', async () => {
    const client = await createChunkedRequest(KEY.config);
    const wire = new TransformStream<Uint8Array, Uint8Array>();
    const wireIn = wire.writable.getWriter();
    void wireIn.write(client.header);
    void wireIn.write(await client.sealChunk(utf8('part one')));
    const g = await openChunkedRequest(wire.readable, KEYS);
    const reader = g.request.getReader();
    expect(await reader.read()).toEqual({ done: false, value: utf8('part one') });
    void wireIn.write(await client.sealFinal(utf8('last')));
    void wireIn.close();
    expect(await reader.read()).toEqual({ done: false, value: utf8('last') });
    expect((await reader.read()).done).toBe(true);
  });
});

/**
 * Paced, padded answers (pacer.ts) through the real chunked OHTTP code, client to
 * gateway and back: whatever is written and whenever, every sealed chunk on the
 * wire has one size, the count is a bucket, and the client reads exactly what
 * was written. Inner error responses (not an event stream) are one padded final
 * chunk of the same size. No assertion here depends on how long anything took.
 */
import {
  concat,
  createChunkedRequest,
  decodeResponseStream,
  encodeRequest,
  fromUtf8,
  generateKeyConfig,
  openChunkedRequest,
  SseParser,
  utf8,
} from '@sotto/protocol';
import { describe, expect, it } from 'vitest';
import { chunkCountBucket, PacedResponse, SlotChooser } from '../src/pacer';
import { TokenBatcher } from '../src/token-batcher';

const KEY = generateKeyConfig(9);
const SETTINGS = { cadenceMs: 5, slotBytes: [512, 1024, 4096] };
const SSE: [string, string][] = [['content-type', 'text/event-stream']];

/** Splits a chunked OHTTP response body at its length prefixes: sizes of each framed chunk. */
function frameSizes(body: Uint8Array, nonceBytes: number): number[] {
  const out: number[] = [];
  let i = nonceBytes;
  while (i < body.length) {
    const prefix = 1 << (body[i]! >> 6);
    let len = body[i]! & 0x3f;
    for (let k = 1; k < prefix; k++) len = len * 256 + body[i + k]!;
    if (len === 0) {
      out.push(body.length - i);
      break;
    }
    out.push(prefix + len);
    i += prefix + len;
  }
  return out;
}

async function exchange(
  serve: (out: PacedResponse) => Promise<void>,
  chooser = new SlotChooser(SETTINGS.slotBytes),
) {
  const client = await createChunkedRequest(KEY.config);
  const req = await client.encapsulate(
    encodeRequest({ method: 'POST', scheme: 'https', authority: 'e', path: '/' }),
  );
  const gw = await openChunkedRequest(
    new Response(req as BodyInit).body as ReadableStream<Uint8Array>,
    new Map([[9, KEY]]),
  );
  const { nonce, sealer } = gw.createResponseSealer();
  const paced = new PacedResponse(nonce, sealer, SETTINGS, chooser, new AbortController().signal);
  const served = serve(paced);
  const wire = new Uint8Array(await new Response(paced.body).arrayBuffer());
  await served;
  const res = await decodeResponseStream(
    client.decapsulateResponse(new Response(wire as BodyInit).body as ReadableStream<Uint8Array>),
  );
  const body = new Uint8Array(await new Response(res.body).arrayBuffer());
  // Each sealed chunk's plaintext on its own, in order (the padded Binary HTTP slots).
  const slots: string[] = [];
  const opened = client.decapsulateResponse(
    new Response(wire as BodyInit).body as ReadableStream<Uint8Array>,
  );
  const latin1 = new TextDecoder('latin1');
  for await (const pt of opened as unknown as AsyncIterable<Uint8Array>)
    slots.push(latin1.decode(pt));
  return { status: res.status, body, sizes: frameSizes(wire, nonce.length), slots };
}

const ev = (t: string) => utf8(`data: ${JSON.stringify({ t })}\n\n`);

describe('paced, padded answers', () => {
  it('sends one chunk size, a bucketed count, and exactly what was written', async () => {
    const texts = ['a', 'bb', 'a rather longer token', 'x'.repeat(700), '', 'end'];
    const { status, body, sizes } = await exchange(async (out) => {
      await out.start(200, SSE);
      for (const t of texts) {
        if (t === '')
          await new Promise((r) => setTimeout(r, 12)); // idle ticks: filler slots
        else await out.write(ev(t));
      }
      await out.end();
    });
    expect(status).toBe(200);
    expect(new Set(sizes).size).toBe(1);
    expect(sizes[0]).toBe(512 + 18);
    expect(chunkCountBucket(sizes.length)).toBe(sizes.length);
    expect(new SseParser().push(body)).toEqual(
      texts.filter((t) => t !== '').map((t) => JSON.stringify({ t })),
    );
  });

  it('carries in one slot what the token batcher gathered while its write waited for that slot', async () => {
    // 'a' is written at once and waits for the first slot; 'b' and 'c', made meanwhile,
    // wait in the batcher. They must leave in that same slot, not one interval later.
    const { slots } = await exchange(async (out) => {
      await out.start(200, SSE);
      const batch = new TokenBatcher((bytes) => out.write(bytes));
      batch.push(ev('a'));
      batch.push(ev('b'));
      batch.push(ev('c'));
      await batch.drain();
      await out.end();
    });
    const slotOf = (t: string) => slots.findIndex((s) => s.includes(JSON.stringify({ t })));
    expect(slotOf('a')).toBeGreaterThanOrEqual(0);
    expect([slotOf('b'), slotOf('c')]).toEqual([slotOf('a'), slotOf('a')]);
  });

  it('gives an inner error response one final chunk of the same size', async () => {
    const { status, body, sizes } = await exchange(async (out) => {
      await out.start(503, [['content-type', 'application/json']]);
      await out.write(utf8('{"error":{"message":"busy"}}'));
      await out.end();
    });
    expect(status).toBe(503);
    expect(fromUtf8(body)).toBe('{"error":{"message":"busy"}}');
    expect(sizes).toEqual([512 + 18]);
  });

  it('moves to a larger slot for all later streams once streams write more per tick', async () => {
    const chooser = new SlotChooser(SETTINGS.slotBytes);
    const big = concat(...Array.from({ length: 6 }, () => ev('y'.repeat(200))));
    for (let i = 0; i < 10; i++) {
      await exchange(async (out) => {
        await out.start(200, SSE);
        await out.write(big);
        await out.end();
      }, chooser);
    }
    const { sizes } = await exchange(async (out) => {
      await out.start(200, SSE);
      await out.end();
    }, chooser);
    expect(new Set(sizes)).toEqual(new Set([4096 + 18]));
  });

  it('rounds chunk counts up to buckets about 41% apart', () => {
    expect([1, 4, 5, 6, 7, 9, 12, 17, 24, 33].map(chunkCountBucket)).toEqual([
      4, 4, 6, 6, 8, 11, 16, 23, 32, 45,
    ]);
  });
});

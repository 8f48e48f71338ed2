/**
 * Fixed-size slots of an event-stream response (padded-stream.ts; RFC 9292
 * §3.7 content chunks with SSE-comment filler, §3.8 zero padding at the end):
 * every slot has the chosen size whatever the content, and a standard decoder
 * plus an SSE parser get back exactly the events that went in.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createPaddedResponseFramer,
  decodeResponse,
  PAD_SLOT_BYTES,
  sseFiller,
} from '../../src/bhttp';
import { concat, fromUtf8, utf8 } from '../../src/bytes';
import { SseParser } from '../../src/client/sse';
import { ConfigurationError, MalformedError } from '../../src/errors';

const HEAD = {
  status: 200,
  headers: [
    ['content-type', 'text/event-stream'],
    ['cache-control', 'no-store'],
  ] as [string, string][],
};

const event = (text: string) => utf8(`data: ${JSON.stringify({ content: text })}\n\n`);

/** Frames `batches` (each pushed before one slot) and finishes; returns every slot. */
function frame(slotBytes: number, batches: Uint8Array[][]): Uint8Array[] {
  const f = createPaddedResponseFramer(HEAD, slotBytes);
  const slots: Uint8Array[] = [];
  for (const batch of batches) {
    for (const e of batch) f.push(e);
    slots.push(f.slot());
  }
  while (!f.canFinish()) slots.push(f.slot());
  slots.push(f.final());
  return slots;
}

describe('padded event-stream slots', () => {
  it('gives every slot the same size, the last one byte more, and decodes to the same events', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PAD_SLOT_BYTES),
        fc.array(fc.array(fc.string({ maxLength: 300 }), { maxLength: 6 }), { maxLength: 12 }),
        (slotBytes, texts) => {
          const batches = texts.map((b) => b.map(event));
          const slots = frame(slotBytes, batches);
          for (const s of slots.slice(0, -1)) expect(s.length).toBe(slotBytes);
          expect(slots.at(-1)!.length).toBe(slotBytes + 1);
          const msg = decodeResponse(concat(...slots), { allowTruncation: false });
          expect(msg.status).toBe(200);
          const sent = texts.flat().map((t) => JSON.stringify({ content: t }));
          expect(new SseParser().push(msg.body)).toEqual(sent);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('makes slots that do not depend on what they carry', () => {
    const a = frame(512, [[event('a')], [], [event('a much longer piece of text')]]);
    const b = frame(512, [[event('xyz xyz')], [event('q')], []]);
    expect(a.map((s) => s.length)).toEqual(b.map((s) => s.length));
  });

  it('spreads an event larger than a slot over several slots', () => {
    const big = event('x'.repeat(2000));
    const slots = frame(256, [[big]]);
    expect(slots.length).toBeGreaterThan(8);
    const msg = decodeResponse(concat(...slots));
    expect(fromUtf8(msg.body.subarray(0, big.length))).toBe(fromUtf8(big));
    expect(new SseParser().push(msg.body)).toEqual([JSON.stringify({ content: 'x'.repeat(2000) })]);
  });

  it('uses filler that an SSE parser ignores, at every length', () => {
    for (let n = 0; n < 70; n++) {
      const f = sseFiller(n);
      expect(f.length).toBe(n);
      expect(new SseParser().push(concat(event('a'), f, event('b')))).toEqual([
        JSON.stringify({ content: 'a' }),
        JSON.stringify({ content: 'b' }),
      ]);
    }
  });

  it('refuses slot sizes off the list, and use after the final slot', () => {
    expect(() => createPaddedResponseFramer(HEAD, 300)).toThrow(ConfigurationError);
    const longHead = { status: 200, headers: [['x-long', 'v'.repeat(300)]] as [string, string][] };
    expect(() => createPaddedResponseFramer(longHead, 256)).toThrow(ConfigurationError);
    const f = createPaddedResponseFramer(HEAD, 256);
    f.final();
    expect(() => f.slot()).toThrow(MalformedError);
    expect(() => f.push(event('a'))).toThrow(MalformedError);
    expect(() => f.final()).toThrow(MalformedError);
  });

  it('will not finish while the rest does not fit the final slot', () => {
    const f = createPaddedResponseFramer(HEAD, 256);
    f.push(event('y'.repeat(400)));
    expect(f.canFinish()).toBe(false);
    expect(() => f.final()).toThrow(MalformedError);
    f.slot();
    f.slot();
    expect(f.canFinish()).toBe(true);
  });
});

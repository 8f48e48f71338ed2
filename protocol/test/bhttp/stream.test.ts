/**
 * Streaming Binary HTTP responses (RFC 9292 §3.7 indeterminate-length
 * content): body bytes flow before the input ends; a stream that ends
 * mid-message errors with TruncatedStreamError.
 */
import { describe, expect, it } from 'vitest';
import {
  createResponseEncoder,
  createResponseEncoderStream,
  decodeResponse,
  decodeResponseStream,
  encodeRequest,
  encodeResponse,
} from '../../src/bhttp';
import { concat, fromHex, fromUtf8, utf8 } from '../../src/bytes';
import {
  ConfigurationError,
  LimitExceededError,
  MalformedError,
  TruncatedStreamError,
  UnsupportedError,
} from '../../src/errors';
import { bytewise, readAll, streamOf } from './streams';

/** A stream the test pushes into by hand. */
function manualStream(): {
  stream: ReadableStream<Uint8Array>;
  push: (b: Uint8Array) => void;
  close: () => void;
  fail: (e: unknown) => void;
  cancelled: Promise<unknown>;
} {
  let ctrl!: ReadableStreamDefaultController<Uint8Array>;
  let onCancel!: (r: unknown) => void;
  const cancelled = new Promise<unknown>((r) => {
    onCancel = r;
  });
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      ctrl = c;
    },
    cancel(reason) {
      onCancel(reason);
    },
  });
  return {
    stream,
    push: (b) => ctrl.enqueue(b),
    close: () => ctrl.close(),
    fail: (e) => ctrl.error(e),
    cancelled,
  };
}

const sse = (s: string): Uint8Array => utf8(`data: ${s}\n\n`);

describe('streaming response decoder', () => {
  it('delivers the first body bytes before the input is closed', async () => {
    const input = manualStream();
    const enc = createResponseEncoder({
      status: 200,
      headers: [['content-type', 'text/event-stream']],
    });
    input.push(enc.head());
    const res = await decodeResponseStream(input.stream);
    expect(res.status).toBe(200);
    expect(res.headers).toEqual([['content-type', 'text/event-stream']]);

    const reader = res.body.getReader();
    input.push(enc.chunk(sse('Hel')));
    const first = await reader.read();
    expect(fromUtf8(first.value!)).toBe('data: Hel\n\n');

    // Token by token, split mid-chunk: bytes still arrive before the end.
    const second = enc.chunk(sse('lo'));
    input.push(second.subarray(0, 4));
    const partial = await reader.read();
    expect(partial.value!.length).toBeGreaterThan(0);
    input.push(second.subarray(4));
    input.push(enc.end([['x-finish-reason', 'stop']]));
    input.close();
    let rest = partial.value!;
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      rest = concat(rest, r.value);
    }
    expect(fromUtf8(rest)).toBe('data: lo\n\n');
    expect(await res.trailers).toEqual([['x-finish-reason', 'stop']]);
  });

  it('rejects with TruncatedStreamError when the input ends before the head', async () => {
    const bytes = encodeResponse(
      { status: 200, headers: [['a', 'b']] },
      { framing: 'indeterminate-length' },
    );
    await expect(decodeResponseStream(streamOf([bytes.subarray(0, 4)]))).rejects.toBeInstanceOf(
      TruncatedStreamError,
    );
    await expect(decodeResponseStream(streamOf([]))).rejects.toBeInstanceOf(TruncatedStreamError);
  });

  it('errors the body and trailers with TruncatedStreamError when the input ends mid-content', async () => {
    const enc = createResponseEncoder({ status: 200 });
    const full = concat(enc.head(), enc.chunk(sse('a')), enc.chunk(sse('b')));
    for (const cut of [full.length, full.length - 3]) {
      const res = await decodeResponseStream(streamOf([full.subarray(0, cut)]));
      await expect(readAll(res.body)).rejects.toBeInstanceOf(TruncatedStreamError);
      await expect(res.trailers).rejects.toBeInstanceOf(TruncatedStreamError);
    }
  });

  it('errors with TruncatedStreamError when the input ends inside the trailers', async () => {
    const enc = createResponseEncoder({ status: 200 });
    const full = concat(enc.head(), enc.chunk(sse('a')), enc.end([['x', 'y']]));
    const res = await decodeResponseStream(streamOf([full.subarray(0, full.length - 2)]));
    await expect(readAll(res.body)).rejects.toBeInstanceOf(TruncatedStreamError);
  });

  it('turns an input stream failure into TruncatedStreamError', async () => {
    const input = manualStream();
    const enc = createResponseEncoder({ status: 200 });
    input.push(enc.head());
    const res = await decodeResponseStream(input.stream);
    input.fail(new TypeError('network error'));
    await expect(readAll(res.body)).rejects.toBeInstanceOf(TruncatedStreamError);
  });

  it('passes a Sotto error from the input stream through unchanged', async () => {
    const input = manualStream();
    input.fail(new UnsupportedError('outer layer said no'));
    await expect(decodeResponseStream(input.stream)).rejects.toBeInstanceOf(UnsupportedError);
  });

  it('rejects (never throws synchronously) for a locked input or bad limits', async () => {
    const locked = streamOf([]);
    locked.getReader();
    await expect(decodeResponseStream(locked)).rejects.toBeInstanceOf(MalformedError);
    await expect(
      decodeResponseStream(streamOf([]), { limits: { maxFields: -1 } }),
    ).rejects.toBeInstanceOf(ConfigurationError);
  });

  it('refuses non-byte chunks with MalformedError', async () => {
    const bad = streamOf(['nope' as unknown as Uint8Array]);
    await expect(decodeResponseStream(bad)).rejects.toBeInstanceOf(MalformedError);
  });

  it('refuses a request with MalformedError and an unknown framing with UnsupportedError', async () => {
    const req = encodeRequest({ method: 'GET', scheme: 'https', path: '/' });
    await expect(decodeResponseStream(streamOf([req]))).rejects.toBeInstanceOf(MalformedError);
    await expect(decodeResponseStream(streamOf([Uint8Array.of(7)]))).rejects.toBeInstanceOf(
      UnsupportedError,
    );
  });

  it('enforces maxContentBytes across chunks, mid-stream', async () => {
    const enc = createResponseEncoder({ status: 200 });
    const bytes = concat(
      enc.head(),
      enc.chunk(new Uint8Array(6)),
      enc.chunk(new Uint8Array(6)),
      enc.end(),
    );
    const res = await decodeResponseStream(streamOf([bytes]), { limits: { maxContentBytes: 10 } });
    await expect(readAll(res.body)).rejects.toBeInstanceOf(LimitExceededError);
  });

  it('refuses a huge declared chunk length before reading it', async () => {
    const head = createResponseEncoder({ status: 200 }).head();
    const res = await decodeResponseStream(streamOf([head, fromHex('c000010000000000')]));
    await expect(readAll(res.body)).rejects.toBeInstanceOf(LimitExceededError);
  });

  it('refuses non-zero padding after the message', async () => {
    const enc = createResponseEncoder({ status: 200 });
    const bytes = concat(enc.head(), enc.chunk(utf8('x')), enc.end(), Uint8Array.of(0, 0, 1));
    const res = await decodeResponseStream(streamOf(bytewise(bytes)));
    await expect(readAll(res.body)).rejects.toBeInstanceOf(MalformedError);
    await expect(res.trailers).rejects.toBeInstanceOf(MalformedError);
  });

  it('accepts padding and a known-length response', async () => {
    const msg = {
      informational: [{ status: 103, headers: [['link', '</a.css>'] as [string, string]] }],
      status: 201,
      headers: [['a', '1'] as [string, string]],
      body: utf8('hello'),
      trailers: [['t', '2'] as [string, string]],
    };
    for (const framing of ['known-length', 'indeterminate-length'] as const) {
      const bytes = encodeResponse(msg, { framing, padding: 7 });
      const res = await decodeResponseStream(streamOf(bytewise(bytes)));
      expect(res.informational).toEqual(msg.informational);
      expect(await readAll(res.body)).toEqual(msg.body);
      expect(await res.trailers).toEqual(msg.trailers);
    }
  });

  it('cancelling the body cancels the input', async () => {
    const input = manualStream();
    const enc = createResponseEncoder({ status: 200 });
    input.push(concat(enc.head(), enc.chunk(utf8('x'))));
    const res = await decodeResponseStream(input.stream);
    await res.body.cancel('user stopped');
    expect(await input.cancelled).toBe('user stopped');
    await expect(res.trailers).rejects.toBeInstanceOf(TruncatedStreamError);
  });

  it('applies backpressure: reads no further input while the body is not read', async () => {
    let pulls = 0;
    const enc = createResponseEncoder({ status: 200 });
    const chunks = [
      enc.head(),
      ...Array.from({ length: 50 }, () => enc.chunk(utf8('tok'))),
      enc.end(),
    ];
    const input = new ReadableStream<Uint8Array>(
      {
        pull(c) {
          const next = chunks[pulls++];
          if (next) c.enqueue(next);
          else c.close();
        },
      },
      { highWaterMark: 0 },
    );
    const res = await decodeResponseStream(input);
    const reader = res.body.getReader();
    await reader.read();
    const seen = pulls;
    expect(seen).toBeLessThan(10);
    let n = 1;
    while (!(await reader.read()).done) n++;
    expect(n).toBe(50);
    expect(pulls).toBeGreaterThan(seen);
  });
});

describe('streaming response encoder as a TransformStream', () => {
  it('encodes each chunk as it is written and flushes the trailers', async () => {
    const ts = createResponseEncoderStream(
      { status: 200, headers: [['content-type', 'text/event-stream']] },
      { trailers: [['x-done', '1']], padding: 3 },
    );
    const encoded = readAll(ts.readable);
    const writer = ts.writable.getWriter();
    for (const t of ['a', '', 'b', 'c']) await writer.write(utf8(t));
    await writer.close();
    const res = decodeResponse(await encoded);
    expect(res).toEqual({
      informational: [],
      status: 200,
      headers: [['content-type', 'text/event-stream']],
      body: utf8('abc'),
      trailers: [['x-done', '1']],
    });
  });
});

/** Web Streams helpers for the OHTTP tests: feed bytes in chosen fragments, collect output, capture errors. */

import { concat } from '../../src/bytes';

/** A stream that yields `parts` one by one, then ends. */
export function streamOf(parts: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < parts.length) controller.enqueue(parts[i++]!);
      else controller.close();
    },
  });
}

/** Splits `bytes` at the given fragment sizes (cycled); 0-sized fragments become empty reads. */
export function fragment(bytes: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let o = 0;
  let i = 0;
  while (o < bytes.length) {
    const n = sizes.length === 0 ? bytes.length : sizes[i++ % sizes.length]!;
    out.push(bytes.slice(o, o + n));
    o += n;
  }
  return out;
}

/** Byte-at-a-time stream of `bytes`. */
export function trickle(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return streamOf(fragment(bytes, [1]));
}

/** All chunks a stream yields (rejects with the stream's error). */
export async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const r = await reader.read();
    if (r.done) return out;
    out.push(r.value);
  }
}

/** All bytes a stream yields. */
export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return concat(...(await collect(stream)));
}

/** The error a stream ends with; fails the test if it ends cleanly. */
export async function streamError(stream: ReadableStream<Uint8Array>): Promise<unknown> {
  try {
    await collect(stream);
  } catch (e) {
    return e;
  }
  throw new Error('stream ended cleanly, an error was expected');
}

/** A stream that yields `parts` and then errors with `reason` instead of ending. */
export function failingStreamOf(
  parts: readonly Uint8Array[],
  reason: unknown,
): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < parts.length) controller.enqueue(parts[i++]!);
      else controller.error(reason);
    },
  });
}

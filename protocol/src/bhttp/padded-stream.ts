/**
 * Fixed-size slots of one indeterminate-length Binary HTTP response (RFC 9292
 * §3.3 framing 3, §3.7 chunked content, §3.8 padding), so that every sealed
 * chunk of a streamed answer has the same size whatever the tokens are
 * (DESIGN.md, "Traffic analysis"). Each slot becomes the plaintext of one
 * chunked OHTTP chunk (draft-ietf-ohai-chunked-ohttp-08 §5), so the padding is
 * inside the AEAD: authenticated, and invisible to the relay.
 *
 * Layout of a slot of `slotBytes` (every slot but the last):
 *
 *   [ Response head (first slot only) ]
 *   Content chunk { Length (i) = L, data (k) || filler (L - k) }   — RFC 9292 §3.7
 *
 * Binary HTTP pads only after the trailers (§3.8), so the filler inside the
 * content is content itself, in a form the media type ignores: for
 * `text/event-stream`, an SSE comment line (":ppp…\n", HTML §9.2.6) or, for a
 * single byte, an empty line (which dispatches nothing when no data is
 * buffered). The filler is only ever placed where the data ends on an event
 * boundary: data is taken from the queue front to back, and a slot is
 * topped up with filler only once the queue is empty, which callers that
 * push whole events keep at an event boundary.
 *
 * The last slot is `slotBytes + 1`: the rest of the data, the content
 * terminator, an empty trailer section and RFC 9292 §3.8 zero padding. One
 * byte longer, because the final chunk's length field is the single byte 0
 * (draft-08 §4) while the others' is a two-byte varint: on the wire both are
 * `slotBytes + 18` bytes.
 */

import { concat, utf8 } from '../bytes';
import { ConfigurationError, MalformedError } from '../errors';
import { ByteQueue } from '../ohttp/byte-queue';
import { encodeVarint } from '../quic-varint';
import { encodeResponseHead } from './encode';
import type { BhttpResponseHeadInit } from './stream-encoder';

/** Slot sizes a sender may pick from: every one keeps a two-byte chunk length on the wire. */
export const PAD_SLOT_BYTES = [256, 512, 1024, 2048, 4096, 8192] as const;

/**
 * Room a slot keeps beyond the head: enough that every content chunk has a
 * two-byte length (64 ≤ L ≤ 16383, RFC 9000 §16), so L = room − 2 exactly.
 */
const MIN_SLOT_ROOM = 66;

/** The filler `n` bytes long: an SSE comment line, or an empty line for one byte. */
export function sseFiller(n: number): Uint8Array {
  if (n <= 0) return new Uint8Array(0);
  if (n === 1) return utf8('\n');
  const out = new Uint8Array(n).fill(0x70); // 'p'
  out[0] = 0x3a; // ':'
  out[n - 1] = 0x0a; // '\n'
  return out;
}

/** Slots of one padded event-stream response. */
export interface PaddedResponseFramer {
  /** Plaintext per non-final slot. */
  readonly slotBytes: number;
  /** Data queued and not yet placed in a slot. */
  readonly pending: number;
  /** Queues content; callers push whole events (see the file header). */
  push(bytes: Uint8Array): void;
  /** The next non-final slot: exactly `slotBytes`, data first, then filler. */
  slot(): Uint8Array;
  /** True when everything pending fits in the final slot. */
  canFinish(): boolean;
  /**
   * The final slot: exactly `slotBytes + 1`.
   * @throws {MalformedError} if `canFinish()` is false, or after the final slot.
   */
  final(): Uint8Array;
}

/**
 * A framer for one response whose content is `text/event-stream`.
 * @throws {ConfigurationError} if `slotBytes` is not in {@link PAD_SLOT_BYTES} or the head does not fit.
 * @throws {MalformedError} invalid status or field.
 */
export function createPaddedResponseFramer(
  init: BhttpResponseHeadInit,
  slotBytes: number,
): PaddedResponseFramer {
  if (!(PAD_SLOT_BYTES as readonly number[]).includes(slotBytes))
    throw new ConfigurationError('bhttp: unsupported pad slot size');
  let head: Uint8Array | undefined = encodeResponseHead(init, false);
  if (head.length + MIN_SLOT_ROOM > slotBytes)
    throw new ConfigurationError('bhttp: response head does not fit a pad slot');
  const queue = new ByteQueue();
  let ended = false;
  const takeHead = () => {
    const h = head ?? new Uint8Array(0);
    head = undefined;
    return h;
  };
  return {
    slotBytes,
    get pending() {
      return queue.length;
    },
    push(bytes) {
      if (ended) throw new MalformedError('bhttp: response already ended');
      queue.push(bytes);
    },
    slot() {
      if (ended) throw new MalformedError('bhttp: response already ended');
      const h = takeHead();
      const l = slotBytes - h.length - 2; // varint(L) is two bytes: see MIN_SLOT_ROOM
      const data = queue.take(Math.min(l, queue.length));
      return concat(h, encodeVarint(l), data, sseFiller(l - data.length));
    },
    canFinish() {
      const h = head?.length ?? 0;
      // head, a content chunk of the rest (≤ 4-byte length), terminator, empty trailers.
      return !ended && h + 4 + queue.length + 2 <= slotBytes + 1;
    },
    final() {
      if (!this.canFinish()) throw new MalformedError('bhttp: final slot cannot hold the rest');
      const h = takeHead();
      const rest = queue.take(queue.length);
      const body = rest.length === 0 ? rest : concat(encodeVarint(rest.length), rest);
      // §3.7 content terminator, §3.6 empty trailer section (indeterminate: a 0 terminator).
      const msg = concat(h, body, encodeVarint(0), encodeVarint(0));
      ended = true;
      // §3.8: zero padding to the slot size.
      return concat(msg, new Uint8Array(slotBytes + 1 - msg.length));
    },
  };
}

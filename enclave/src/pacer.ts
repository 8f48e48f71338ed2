/**
 * Paced, padded answers (DESIGN.md, "Traffic analysis"): what the relay sees of
 * a streamed answer is one sealed chunk every `cadenceMs`, every chunk the same
 * size, whatever the tokens are and whenever they are made.
 *
 * - Size: each chunk's plaintext is one fixed-size slot of the Binary HTTP
 *   response (`createPaddedResponseFramer`, RFC 9292 §3.7/§3.8 with SSE-comment
 *   filler), sealed as one chunked OHTTP chunk (draft-08 §5). One slot size per
 *   stream, from a short list; the final chunk is one plaintext byte longer, so
 *   on the wire it is the same size too (its length field is one byte shorter).
 * - Time: slots leave on a fixed grid from the moment the answer starts (the first
 *   one at once, with the first text, so TTFT is not delayed); tokens
 *   made between two ticks are coalesced into the next slot; a tick with
 *   nothing ready sends a slot of filler. A write resolves at the tick whose slot
 *   carries it, just before that slot is cut, so the token batcher upstream
 *   coalesces while it waits and what it gathered meanwhile leaves in the same
 *   slot: text waits at most one interval (on average half of one).
 * - Count: after the answer ends, filler slots continue until the number of
 *   chunks reaches the next bucket of {@link chunkCountBucket}, so the count
 *   (and the duration) tells the relay the answer's length only to within ~41%.
 *
 * Still visible, and why (written down in BENCHMARKS.md too): that a request
 * was made and when; its size bucket; the time until the first chunk (queue
 * wait and prompt evaluation, rounded up to the cadence grid); the chunk-count
 * bucket; the slot size (an aggregate over all recent streams, below).
 *
 * Responses that are not an event stream (inner errors: a few fixed JSON
 * bodies) have no filler that their media type ignores: they go out whole in
 * one final chunk, padded with RFC 9292 §3.8 zeros to the same size.
 */
import {
  type ChunkSealer,
  ConfigurationError,
  concat,
  createPaddedResponseFramer,
  encodeResponse,
  PAD_SLOT_BYTES,
  type PaddedResponseFramer,
} from '@sotto/protocol';
import type { InnerResponseWriter } from './completions';

export interface PacingSettings {
  /** Time between sealed chunks of one answer. */
  readonly cadenceMs: number;
  /** Slot sizes a stream may use (plaintext bytes per chunk), from `PAD_SLOT_BYTES`. */
  readonly slotBytes: readonly number[];
}

/** 50 ms: measured in BENCHMARKS.md ("Padding and pacing"): adds at most one interval to TTFT. */
export const DEFAULT_CADENCE_MS = 50;
export const DEFAULT_PAD_SLOTS: readonly number[] = [512, 1024, 4096];

/** Room a slot keeps for the head, the content chunk's length and one event's framing. */
const SLOT_OVERHEAD_BYTES = 96;

/**
 * The chunk count an answer is padded up to: round(2^(k/2)) for k ≥ 4, i.e.
 * 4, 6, 8, 11, 16, 23, 32, 45, 64, 91, … (each at most ~41% above the last).
 */
export function chunkCountBucket(n: number): number {
  for (let k = 4; ; k++) {
    const b = Math.round(2 ** (k / 2));
    if (b >= n) return b;
  }
}

/** @throws {ConfigurationError} for a cadence or slot list the framer cannot use. */
export function checkPacingSettings(s: PacingSettings): PacingSettings {
  if (!(Number.isFinite(s.cadenceMs) && s.cadenceMs >= 5 && s.cadenceMs <= 1000))
    throw new ConfigurationError('pacing cadence must be between 5 ms and 1 s');
  if (s.slotBytes.length === 0 || s.slotBytes.length > 4)
    throw new ConfigurationError('pacing needs one to four slot sizes');
  for (const b of s.slotBytes)
    if (!(PAD_SLOT_BYTES as readonly number[]).includes(b))
      throw new ConfigurationError(`slot sizes must be among ${PAD_SLOT_BYTES.join(', ')}`);
  return { cadenceMs: s.cadenceMs, slotBytes: [...s.slotBytes].sort((a, b) => a - b) };
}

/**
 * Picks each stream's slot size from the enclave's recent demand: a slowly
 * moving average, over all streams, of the largest batch written at once. The
 * average lives only in this object's memory and is never logged; one stream
 * moves it by a fifth at most, and what the relay sees of it is one of a few
 * sizes.
 */
export class SlotChooser {
  #demand = 0;
  readonly #sizes: readonly number[];
  constructor(sizes: readonly number[]) {
    this.#sizes = sizes;
  }
  choose(): number {
    const want = this.#demand * 1.25 + SLOT_OVERHEAD_BYTES;
    return this.#sizes.find((s) => s >= want) ?? this.#sizes[this.#sizes.length - 1]!;
  }
  record(largestWriteBytes: number): void {
    this.#demand = this.#demand * 0.8 + largestWriteBytes * 0.2;
  }
}

/** An `InnerResponseWriter` whose bytes leave as paced, padded, sealed chunks. */
export class PacedResponse implements InnerResponseWriter {
  /** The `message/ohttp-chunked-res` body: the response nonce, then one chunk per tick. */
  readonly body: ReadableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  readonly #sealer: ChunkSealer;
  readonly #settings: PacingSettings;
  readonly #chooser: SlotChooser;
  #framer: PaddedResponseFramer | undefined;
  #whole: { status: number; headers: [string, string][]; parts: Uint8Array[] } | undefined;
  #slotBytes = 0;
  #chunks = 0;
  /** Ticks since `start`: the grid, whether or not a tick sent a chunk. */
  #ticks = 0;
  #pushed = 0;
  #largestWrite = 0;
  #ending = false;
  #closed = false;
  #t0 = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #waiters: { at: number; resolve: () => void }[] = [];
  #ended: { promise: Promise<void>; resolve: () => void };

  constructor(
    nonce: Uint8Array,
    sealer: ChunkSealer,
    settings: PacingSettings,
    chooser: SlotChooser,
    signal: AbortSignal,
  ) {
    this.#sealer = sealer;
    this.#settings = settings;
    this.#chooser = chooser;
    let resolve!: () => void;
    this.#ended = { promise: new Promise<void>((r) => (resolve = r)), resolve };
    this.body = new ReadableStream<Uint8Array>({
      start: (c) => {
        this.#controller = c;
        c.enqueue(nonce);
      },
      cancel: () => this.#stop(),
    });
    // The client is gone: end the body (nobody reads it) and let the inner application unwind.
    signal.addEventListener(
      'abort',
      () => {
        if (this.#closed) return;
        this.#stop();
        this.#controller.close();
      },
      { once: true },
    );
  }

  async start(status: number, headers: [string, string][]): Promise<void> {
    const type = headers.find(([n]) => n === 'content-type')?.[1] ?? '';
    this.#slotBytes = this.#chooser.choose();
    if (status === 200 && type.startsWith('text/event-stream')) {
      this.#framer = createPaddedResponseFramer({ status, headers }, this.#slotBytes);
    } else {
      this.#whole = { status, headers, parts: [] };
    }
    this.#t0 = performance.now();
    this.#schedule();
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.#closed || bytes.length === 0) return Promise.resolve();
    this.#largestWrite = Math.max(this.#largestWrite, bytes.length);
    if (this.#whole) {
      this.#whole.parts.push(bytes);
      return Promise.resolve();
    }
    this.#framer!.push(bytes);
    this.#pushed += bytes.length;
    const at = this.#pushed;
    return new Promise<void>((resolve) => this.#waiters.push({ at, resolve }));
  }

  end(): Promise<void> {
    this.#ending = true;
    if (this.#closed) this.#ended.resolve();
    return this.#ended.promise;
  }

  /** The inner application failed unexpectedly: error the body, so the client sees a truncated stream. */
  fail(reason: unknown): void {
    if (this.#closed) return;
    this.#stop();
    this.#controller.error(reason);
  }

  #schedule(): void {
    if (this.#closed) return;
    // Tick 0 right after `start` (the first slot carries the head, the role and the first
    // text, written in the same turn), then one every `cadenceMs` on the grid from there.
    const due = this.#t0 + this.#ticks * this.#settings.cadenceMs;
    this.#timer = setTimeout(
      () => {
        this.#tick().catch((e: unknown) => this.fail(e));
      },
      Math.max(0, due - performance.now()),
    );
  }

  async #tick(): Promise<void> {
    if (this.#closed) return;
    this.#ticks++;
    // Whether the answer had ended before this tick: an end() that the release below lets
    // happen waits for the next slot, so the text it follows (the `[DONE]` event) never
    // rides in the final chunk. A client then has seen `[DONE]` before it checks the final
    // chunk, and a relay that drops or re-frames that chunk is reported as a cut-off answer.
    const ended = this.#ending;
    if (this.#framer && this.#waiters.length > 0) {
      // Release the writes this slot will carry, and cut it only after their
      // continuations ran: the token batcher upstream then hands over what it gathered
      // while it waited, and that leaves now. Cut first, and it would wait a whole
      // extra interval for the next slot (measured: 77 ms instead of ≤ 50 on average).
      this.#releaseUpTo(this.#pushed);
      await new Promise<void>((r) => setImmediate(r));
      if (this.#closed) return;
    }
    const { pt, final } = this.#next(ended);
    if (pt === undefined) return this.#schedule(); // a whole (non-stream) response not ended yet
    const frame = await this.#sealer.seal(pt, final);
    if (this.#closed) return;
    this.#controller.enqueue(frame);
    this.#chunks++;
    if (this.#framer) this.#releaseUpTo(this.#pushed - this.#framer.pending);
    if (final) {
      this.#chooser.record(this.#largestWrite);
      this.#controller.close();
      this.#stop();
      return;
    }
    this.#schedule();
  }

  /** Resolves the writes whose last byte is at or before `upTo` (counted since `start`). */
  #releaseUpTo(upTo: number): void {
    this.#waiters = this.#waiters.filter((w) => (w.at <= upTo ? (w.resolve(), false) : true));
  }

  /** The next chunk's plaintext, or undefined if a whole response is not complete yet. */
  #next(ended: boolean): { pt: Uint8Array | undefined; final: boolean } {
    if (this.#whole) {
      if (!ended) return { pt: undefined, final: false };
      const { status, headers, parts } = this.#whole;
      const msg = encodeResponse({ status, headers, body: concat(...parts) });
      // RFC 9292 §3.8: zeros after the message, to the final slot's size.
      return {
        pt: concat(msg, new Uint8Array(Math.max(0, this.#slotBytes + 1 - msg.length))),
        final: true,
      };
    }
    const f = this.#framer!;
    if (ended && f.canFinish() && chunkCountBucket(this.#chunks + 1) === this.#chunks + 1)
      return { pt: f.final(), final: true };
    return { pt: f.slot(), final: false };
  }

  #stop(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const w of this.#waiters) w.resolve();
    this.#waiters = [];
    this.#ended.resolve();
  }
}

/**
 * A FIFO of bytes fed by arbitrarily fragmented stream reads. Taking bytes
 * copies only what is asked for, and only once it is all present, so a
 * length read from the wire never causes an allocation by itself; bytes that
 * lie within one fragment are not copied at all (a view of it is returned:
 * fragments pushed here are never written to again).
 */

export class ByteQueue {
  #parts: Uint8Array[] = [];
  #head = 0;
  #length = 0;

  /** Bytes currently held. */
  get length(): number {
    return this.#length;
  }

  push(b: Uint8Array): void {
    if (b.length === 0) return;
    this.#parts.push(b);
    this.#length += b.length;
  }

  /** A copy of the first `min(n, length)` bytes, left in the queue. */
  peek(n: number): Uint8Array {
    const out = new Uint8Array(Math.min(n, this.#length));
    this.#copy(out, false);
    return out;
  }

  /** Removes and returns exactly `n` bytes; the caller has checked `n <= length`. */
  take(n: number): Uint8Array {
    if (n > this.#length) throw new RangeError('ByteQueue: not enough bytes');
    const first = this.#parts[0];
    if (first && first.length - this.#head >= n) {
      const out = first.subarray(this.#head, this.#head + n);
      this.#head += n;
      this.#length -= n;
      if (this.#head === first.length) {
        this.#parts.shift();
        this.#head = 0;
      }
      return out;
    }
    const out = new Uint8Array(n);
    this.#copy(out, true);
    return out;
  }

  #copy(out: Uint8Array, consume: boolean): void {
    let filled = 0;
    let i = 0;
    let head = this.#head;
    while (filled < out.length) {
      const part = this.#parts[i]!;
      const n = Math.min(part.length - head, out.length - filled);
      out.set(part.subarray(head, head + n), filled);
      filled += n;
      head += n;
      if (head === part.length) {
        i++;
        head = 0;
      }
    }
    if (consume) {
      this.#parts.splice(0, i);
      this.#head = head;
      this.#length -= out.length;
    }
  }
}

/**
 * ByteQueue: bytes come out in order and whole however the stream fragmented them;
 * a take inside one fragment is a view of it (no copy), one across fragments a copy.
 */
import { describe, expect, it } from 'vitest';
import { ByteQueue } from './byte-queue';

const bytes = (...v: number[]) => new Uint8Array(v);

describe('ByteQueue', () => {
  it('takes in order across and within fragments, viewing a fragment instead of copying it', () => {
    const q = new ByteQueue();
    const a = bytes(1, 2, 3, 4);
    const b = bytes(5, 6);
    q.push(a);
    q.push(new Uint8Array(0));
    q.push(b);
    expect(q.length).toBe(6);
    expect(q.peek(5)).toEqual(bytes(1, 2, 3, 4, 5));
    const inside = q.take(2);
    expect(inside).toEqual(bytes(1, 2));
    expect(inside.buffer).toBe(a.buffer); // a view, not a copy
    const across = q.take(3);
    expect(across).toEqual(bytes(3, 4, 5));
    expect(across.buffer).not.toBe(a.buffer);
    expect(q.length).toBe(1);
    expect(q.take(1)).toEqual(bytes(6));
    expect(q.length).toBe(0);
    q.push(bytes(7));
    expect(q.take(1)).toEqual(bytes(7));
    expect(() => q.take(1)).toThrow(RangeError);
  });
});

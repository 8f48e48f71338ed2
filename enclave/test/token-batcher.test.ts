import { fromUtf8, utf8 } from '@sotto/protocol';
import { describe, expect, it } from 'vitest';
import { TokenBatcher } from '../src/token-batcher';

describe('TokenBatcher', () => {
  it('sends the first push at once, batches what arrives while a write is in flight, keeps order', async () => {
    const writes: string[] = [];
    let release: (() => void) | undefined;
    const batch = new TokenBatcher(
      (bytes) =>
        new Promise<void>((resolve) => {
          writes.push(fromUtf8(bytes));
          release = resolve;
        }),
    );
    batch.push(utf8('a'));
    expect(writes).toEqual(['a']);
    batch.push(utf8('b'));
    batch.push(utf8('c'));
    expect(writes).toEqual(['a']);
    release!();
    await Promise.resolve();
    await Promise.resolve();
    expect(writes).toEqual(['a', 'bc']);
    batch.push(utf8('d'));
    const drained = batch.drain();
    release!();
    await Promise.resolve();
    await Promise.resolve();
    release!();
    await drained;
    expect(writes).toEqual(['a', 'bc', 'd']);
  });
});

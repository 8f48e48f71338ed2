/** Sequences and queue sized from the KV-cache cost and the machine (inference/capacity.ts). */
import { ConfigurationError } from '@sotto/protocol';
import { describe, expect, it } from 'vitest';
import { chooseCapacity, MAX_SEQUENCES, QUEUE_PER_SEQUENCE } from '../src/inference/capacity';

const MiB = 2 ** 20;

describe('chooseCapacity', () => {
  it('gives a tiny model two sequences per core, with a queue per sequence', () => {
    expect(
      chooseCapacity({ bytesPerSequence: 0.31 * MiB, freeMemoryBytes: 8192 * MiB, cores: 2 }),
    ).toEqual({
      sequences: 4,
      queueLimit: 4 * QUEUE_PER_SEQUENCE,
    });
    expect(
      chooseCapacity({ bytesPerSequence: MiB, freeMemoryBytes: 8192 * MiB, cores: 1 }).sequences,
    ).toBe(2);
    expect(
      chooseCapacity({ bytesPerSequence: MiB, freeMemoryBytes: 8192 * MiB, cores: 64 }).sequences,
    ).toBe(MAX_SEQUENCES);
  });

  it('lets memory bind for a large model: half the free memory for the KV cache', () => {
    // 1B Llama at 4,096 tokens: 128 MiB per sequence; 1 GiB free → 512 MiB → 4 sequences.
    expect(
      chooseCapacity({ bytesPerSequence: 128 * MiB, freeMemoryBytes: 1024 * MiB, cores: 16 }),
    ).toEqual({
      sequences: 4,
      queueLimit: 4 * QUEUE_PER_SEQUENCE,
    });
    expect(
      chooseCapacity({ bytesPerSequence: 128 * MiB, freeMemoryBytes: 300 * MiB, cores: 16 })
        .sequences,
    ).toBe(1);
  });

  it('refuses to start when not even one sequence fits', () => {
    expect(() =>
      chooseCapacity({ bytesPerSequence: 512 * MiB, freeMemoryBytes: 512 * MiB, cores: 4 }),
    ).toThrow(ConfigurationError);
  });
});

/** Sequences and queue sized from the KV-cache cost and the machine (inference/capacity.ts). */
import { ConfigurationError } from '@sotto/protocol';
import { describe, expect, it } from 'vitest';
import {
  chooseCapacity,
  chooseContextSize,
  CONTEXT_STEP_TOKENS,
  MAX_SEQUENCES,
  QUEUE_PER_SEQUENCE,
} from '../src/inference/capacity';
import { loadConfig } from '../src/config';

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

describe('chooseContextSize (SOTTO_CONTEXT unset)', () => {
  it("keeps the model's trained context when two sequences of it fit half the memory", () => {
    // The test model: 512 tokens, 0.31 MiB per sequence.
    expect(
      chooseContextSize({
        trainContextSize: 512,
        bytesPerSequenceAtTrain: 0.31 * MiB,
        freeMemoryBytes: 1024 * MiB,
      }),
    ).toBe(512);
  });

  it('shrinks a long trained context to what memory holds, in llama.cpp steps', () => {
    // 1B Llama trained for 131,072 tokens: 32 KiB per token, 4 GiB per sequence; 4 GiB free
    // → 2 GiB for the KV cache → two sequences of 32,768 tokens.
    expect(
      chooseContextSize({
        trainContextSize: 131_072,
        bytesPerSequenceAtTrain: 4096 * MiB,
        freeMemoryBytes: 4096 * MiB,
      }),
    ).toBe(32_768);
    const small = chooseContextSize({
      trainContextSize: 131_072,
      bytesPerSequenceAtTrain: 4096 * MiB,
      freeMemoryBytes: 3000 * MiB,
    });
    expect(small % CONTEXT_STEP_TOKENS).toBe(0);
    expect(small).toBeLessThan(32_768);
    expect(2 * small * 32 * 1024).toBeLessThanOrEqual(1500 * MiB);
  });

  it('never goes below one step', () => {
    expect(
      chooseContextSize({
        trainContextSize: 8192,
        bytesPerSequenceAtTrain: 1e12,
        freeMemoryBytes: MiB,
      }),
    ).toBe(CONTEXT_STEP_TOKENS);
  });
});

describe('SOTTO_CONTEXT', () => {
  const env = { SOTTO_MODEL: 'model.gguf' };
  it('is read as a token count, unset by default', () => {
    expect(loadConfig({ ...env, SOTTO_CONTEXT: '2048' }).contextSize).toBe(2048);
    expect(loadConfig(env).contextSize).toBeUndefined();
  });
  it('refuses what is not a sensible count, naming the variable', () => {
    for (const bad of ['0', '12', '-5', '4k', '1.5']) {
      expect(() => loadConfig({ ...env, SOTTO_CONTEXT: bad })).toThrow(/SOTTO_CONTEXT/);
    }
  });
});

/**
 * The models the benchmarks run: the test model, and random-weight llama models of about
 * 30M and 300M parameters written on first use under the OS temp dir (never in the repo) and
 * reused while their shape is unchanged.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type LlamaShape, parameterCount, writeRandomLlamaGguf } from './write-gguf';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const TEST_MODEL = resolve(REPO_ROOT, '../shared/models/stories260K.gguf');
/** The test model's vocabulary size (its tokenizer is the donor for the random models). */
const DONOR_VOCAB = 512;

export const RANDOM_30M: LlamaShape = {
  name: 'random-llama-30M-f16',
  embedding: 512,
  blocks: 10,
  feedForward: 1376,
  heads: 8,
  kvHeads: 8,
  contextLength: 2048,
  weightType: 'f16',
};

export const RANDOM_300M: LlamaShape = {
  name: 'random-llama-300M-f16',
  embedding: 1024,
  blocks: 24,
  feedForward: 2816,
  heads: 16,
  kvHeads: 16,
  contextLength: 2048,
  weightType: 'f16',
};

export interface BenchModel {
  name: string;
  path: string;
  parameters: number;
  sizeBytes: number;
}

export function testModel(): BenchModel {
  return {
    name: 'stories260K (f32)',
    path: TEST_MODEL,
    parameters: 292_000,
    sizeBytes: statSync(TEST_MODEL).size,
  };
}

/** Writes the model if it is not in the temp dir yet; returns where it is. */
export function ensureRandomModel(shape: LlamaShape): BenchModel {
  const dir = join(tmpdir(), 'sotto-bench-models');
  mkdirSync(dir, { recursive: true });
  const key = [shape.embedding, shape.blocks, shape.feedForward, shape.heads, shape.kvHeads];
  const path = join(dir, `${shape.name}-${key.join('x')}-v1.gguf`);
  if (!existsSync(path)) writeRandomLlamaGguf(path, shape, TEST_MODEL);
  return {
    name: shape.name,
    path,
    parameters: parameterCount(shape, DONOR_VOCAB),
    sizeBytes: statSync(path).size,
  };
}

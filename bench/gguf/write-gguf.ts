/**
 * Writes a llama-architecture GGUF (v3, ggml docs/gguf.md) with random weights, for speed
 * measurements only: decoding speed depends on the shapes and the weight type, never on the
 * values. Layout (gguf.md "File Structure"): magic "GGUF" · version u32 = 3 · tensor_count u64 ·
 * kv_count u64 · metadata kvs · tensor infos (name, n_dims u32, dims u64[] innermost first,
 * ggml type u32, offset u64 relative to the data section) · padding to `general.alignment`
 * (default 32) · tensor data, each tensor starting on an aligned offset.
 *
 * The tokenizer entries (`tokenizer.*`) are copied byte for byte from a donor GGUF (the test
 * model), so the same prompts tokenize the same way. The output row of the end-of-sequence
 * token is zero, so its logit is 0 while about half of the others are positive: greedy decoding
 * of a random model then never stops early, and every run generates exactly `max_tokens`.
 */
import { closeSync, openSync, renameSync, writeSync } from 'node:fs';
import { GGUF_TYPE, readGgufMetadata } from './read-gguf';

const ALIGNMENT = 32;
const GGML_TYPE_F32 = 0;
const GGML_TYPE_F16 = 1;
/** llama_ftype: all f32, or mostly f16. */
const FILE_TYPE = { f32: 0, f16: 1 } as const;

export interface LlamaShape {
  name: string;
  embedding: number;
  blocks: number;
  feedForward: number;
  heads: number;
  kvHeads: number;
  contextLength: number;
  /** Weight type of the matrices; norms are always f32. */
  weightType: 'f16' | 'f32';
}

interface TensorSpec {
  name: string;
  dims: number[];
  type: number;
  /** Fills the tensor's bytes. */
  kind: 'ones' | 'random' | 'output';
}

/** Parameter count of a shape (the vocabulary comes from the donor). */
export function parameterCount(shape: LlamaShape, vocab: number): number {
  return tensorsOf(shape, vocab).reduce((n, t) => n + t.dims.reduce((a, b) => a * b, 1), 0);
}

function tensorsOf(s: LlamaShape, vocab: number): TensorSpec[] {
  const w = s.weightType === 'f16' ? GGML_TYPE_F16 : GGML_TYPE_F32;
  const headDim = s.embedding / s.heads;
  const kv = headDim * s.kvHeads;
  const out: TensorSpec[] = [
    { name: 'token_embd.weight', dims: [s.embedding, vocab], type: w, kind: 'random' },
  ];
  for (let b = 0; b < s.blocks; b++) {
    const p = `blk.${b}.`;
    out.push(
      { name: `${p}attn_norm.weight`, dims: [s.embedding], type: GGML_TYPE_F32, kind: 'ones' },
      { name: `${p}attn_q.weight`, dims: [s.embedding, s.embedding], type: w, kind: 'random' },
      { name: `${p}attn_k.weight`, dims: [s.embedding, kv], type: w, kind: 'random' },
      { name: `${p}attn_v.weight`, dims: [s.embedding, kv], type: w, kind: 'random' },
      {
        name: `${p}attn_output.weight`,
        dims: [s.embedding, s.embedding],
        type: w,
        kind: 'random',
      },
      { name: `${p}ffn_norm.weight`, dims: [s.embedding], type: GGML_TYPE_F32, kind: 'ones' },
      { name: `${p}ffn_gate.weight`, dims: [s.embedding, s.feedForward], type: w, kind: 'random' },
      { name: `${p}ffn_down.weight`, dims: [s.feedForward, s.embedding], type: w, kind: 'random' },
      { name: `${p}ffn_up.weight`, dims: [s.embedding, s.feedForward], type: w, kind: 'random' },
    );
  }
  out.push(
    { name: 'output_norm.weight', dims: [s.embedding], type: GGML_TYPE_F32, kind: 'ones' },
    { name: 'output.weight', dims: [s.embedding, vocab], type: w, kind: 'output' },
  );
  return out;
}

class Encoder {
  parts: Buffer[] = [];
  u32(n: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    this.parts.push(b);
  }
  u64(n: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(n));
    this.parts.push(b);
  }
  f32(n: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(n);
    this.parts.push(b);
  }
  string(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.parts.push(b);
  }
  kvU32(key: string, n: number): void {
    this.string(key);
    this.u32(GGUF_TYPE.uint32);
    this.u32(n);
  }
  kvF32(key: string, n: number): void {
    this.string(key);
    this.u32(GGUF_TYPE.float32);
    this.f32(n);
  }
  kvString(key: string, s: string): void {
    this.string(key);
    this.u32(GGUF_TYPE.string);
    this.string(s);
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

const align = (n: number): number => Math.ceil(n / ALIGNMENT) * ALIGNMENT;

/** xorshift32: fast, deterministic filler (the values do not matter, only that they are finite). */
function filler(seed: number) {
  let x = seed >>> 0 || 1;
  return (out: Uint32Array): void => {
    for (let i = 0; i < out.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x >>> 0;
    }
  };
}

/** Small random f16 bit patterns: random sign and mantissa, magnitude 2^-6 .. 2^-4. */
function randomF16Words(words: Uint32Array): void {
  for (let i = 0; i < words.length; i++) {
    const r = words[i]!;
    const lo = (r & 0x83ff) | ((9 + ((r >>> 10) & 1)) << 10);
    const hi = ((r >>> 16) & 0x83ff) | ((9 + ((r >>> 26) & 1)) << 10);
    words[i] = (lo | (hi << 16)) >>> 0;
  }
}

/** Small random f32 values in (-2^-5, 2^-5). */
function randomF32Words(words: Uint32Array): void {
  const f = new Float32Array(words.buffer, words.byteOffset, words.length);
  for (let i = 0; i < words.length; i++) {
    f[i] = ((words[i]! / 0xffffffff) * 2 - 1) / 32;
  }
}

/**
 * Writes a random-weight llama GGUF to `target` (via a temporary file, then renamed), with
 * the tokenizer of `donorPath`. Returns the parameter count.
 */
export function writeRandomLlamaGguf(target: string, shape: LlamaShape, donorPath: string): number {
  const donor = readGgufMetadata(donorPath);
  const tokenizer = donor.entries.filter((e) => e.key.startsWith('tokenizer.'));
  const tokensEntry = donor.entries.find((e) => e.key === 'tokenizer.ggml.tokens');
  if (!tokensEntry) throw new Error('donor GGUF has no tokenizer.ggml.tokens');
  // Array header inside the raw entry: key string, type u32, item type u32, count u64.
  const vocab = Number(tokensEntry.raw.readBigUInt64LE(8 + tokensEntry.key.length + 4 + 4));
  const eosEntry = donor.entries.find((e) => e.key === 'tokenizer.ggml.eos_token_id');
  const eos = typeof eosEntry?.value === 'number' ? eosEntry.value : 2;

  const tensors = tensorsOf(shape, vocab);
  const e = new Encoder();
  e.parts.push(Buffer.from('GGUF', 'latin1'));
  e.u32(3);
  e.u64(tensors.length);
  e.u64(11 + tokenizer.length);
  e.kvString('general.architecture', 'llama');
  e.kvString('general.name', shape.name);
  e.kvU32('general.file_type', FILE_TYPE[shape.weightType]);
  e.kvU32('llama.context_length', shape.contextLength);
  e.kvU32('llama.embedding_length', shape.embedding);
  e.kvU32('llama.block_count', shape.blocks);
  e.kvU32('llama.feed_forward_length', shape.feedForward);
  e.kvU32('llama.rope.dimension_count', shape.embedding / shape.heads);
  e.kvU32('llama.attention.head_count', shape.heads);
  e.kvU32('llama.attention.head_count_kv', shape.kvHeads);
  e.kvF32('llama.attention.layer_norm_rms_epsilon', 1e-5);
  for (const t of tokenizer) e.parts.push(t.raw);
  const header = e.bytes();

  const infos = new Encoder();
  let dataOffset = 0;
  const sizes: number[] = [];
  for (const t of tensors) {
    const elements = t.dims.reduce((a, b) => a * b, 1);
    const bytes = elements * (t.type === GGML_TYPE_F16 ? 2 : 4);
    sizes.push(bytes);
    infos.string(t.name);
    infos.u32(t.dims.length);
    for (const d of t.dims) infos.u64(d);
    infos.u32(t.type);
    infos.u64(dataOffset);
    dataOffset = align(dataOffset + bytes);
  }
  const head = Buffer.concat([header, infos.bytes()]);
  const tmp = `${target}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, head);
    writeSync(fd, Buffer.alloc(align(head.length) - head.length));
    const fill = filler(0x5eed);
    const BLOCK_BYTES = 8 * 2 ** 20;
    const block = new Uint32Array(BLOCK_BYTES / 4);
    tensors.forEach((t, i) => {
      const bytes = sizes[i]!;
      if (t.kind === 'ones') {
        const f = new Float32Array(bytes / 4).fill(1);
        writeSync(fd, new Uint8Array(f.buffer));
      } else {
        const rowBytes = t.dims[0]! * (t.type === GGML_TYPE_F16 ? 2 : 4);
        for (let at = 0; at < bytes; at += BLOCK_BYTES) {
          const n = Math.min(BLOCK_BYTES, bytes - at);
          const words = block.subarray(0, Math.ceil(n / 4));
          fill(words);
          if (t.type === GGML_TYPE_F16) randomF16Words(words);
          else randomF32Words(words);
          const out = new Uint8Array(words.buffer, 0, n);
          if (t.kind === 'output') {
            // Zero the EOS row (token `eos`: bytes [eos*rowBytes, (eos+1)*rowBytes)).
            const from = eos * rowBytes - at;
            const to = from + rowBytes;
            if (to > 0 && from < n) out.fill(0, Math.max(0, from), Math.min(n, to));
          }
          writeSync(fd, out);
        }
      }
      writeSync(fd, Buffer.alloc(align(bytes) - bytes));
    });
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, target);
  return parameterCount(shape, vocab);
}

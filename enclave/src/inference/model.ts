/**
 * Loads the GGUF model named by `SOTTO_MODEL` (see `model-source.ts`) into llama.cpp through
 * node-llama-cpp, and computes the file's SHA-256 for the evidence bundle (DESIGN.md,
 * "Evidence bundle": the model's name and SHA-256 are bound into REPORT_DATA). The hash is
 * streamed, so a multi-gigabyte model is never read into memory at once.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError } from '@sotto/protocol';
import { getLlama, type Llama, LlamaLogLevel, type LlamaModel } from 'node-llama-cpp';
import { isRemoteModelSpec, type ResolveModelOptions, resolveModelPath } from './model-source';

/** GGUF files open with these four bytes (GGUF specification, "File Structure"). */
const GGUF_MAGIC = 'GGUF';
const HASH_CHUNK_BYTES = 4 * 2 ** 20;

export interface LoadedModel {
  model: LlamaModel;
  /** The spec for remote models (`hf:user/repo/file.gguf`), the file name for local ones. */
  name: string;
  /** Lower-case hex SHA-256 of the model file. */
  sha256: string;
  /** Absolute path of the loaded file. */
  path: string;
  sizeBytes: number;
}

export interface LoadModelOptions extends ResolveModelOptions {
  /** An existing llama.cpp binding to load into. Default: {@link getCpuLlama}. */
  llama?: Llama;
}

let cpuLlama: Promise<Llama> | undefined;

/**
 * The process-wide CPU llama.cpp binding: prebuilt binary only (never builds or downloads),
 * errors logged, and no cap of its own on threads so that the `threads` a context
 * asks for is the number it gets (see `threads.ts`).
 */
export function getCpuLlama(): Promise<Llama> {
  cpuLlama ??= getLlama({
    gpu: false,
    build: 'never',
    skipDownload: true,
    progressLogs: false,
    maxThreads: 0,
    logLevel: LlamaLogLevel.error,
  }).catch((cause: unknown) => {
    cpuLlama = undefined;
    throw new ConfigurationError(
      'no usable llama.cpp binary for this platform (node-llama-cpp prebuilt binaries only)',
      { cause },
    );
  });
  return cpuLlama;
}

/**
 * Resolves, checks, hashes and loads a model.
 *
 * @throws ConfigurationError when the spec names no file, the file is not GGUF, a remote model
 *   cannot be fetched, or llama.cpp cannot load it. The message says how to set SOTTO_MODEL.
 */
export async function loadModel(
  spec: string,
  options: LoadModelOptions = {},
): Promise<LoadedModel> {
  const filePath = await resolveModelPath(spec, options);
  await assertGguf(filePath);
  const { sha256, sizeBytes } = await sha256File(filePath);
  const llama = options.llama ?? (await getCpuLlama());
  let model: LlamaModel;
  try {
    model = await llama.loadModel({ modelPath: filePath });
  } catch (cause) {
    throw new ConfigurationError(
      `llama.cpp could not load ${filePath} as a model; SOTTO_MODEL must name a GGUF model file`,
      { cause },
    );
  }
  const name = isRemoteModelSpec(spec.trim()) ? spec.trim() : path.basename(filePath);
  return { model, name, sha256, path: filePath, sizeBytes };
}

/** Streams a file through SHA-256. Returns lower-case hex and the byte count. */
export async function sha256File(filePath: string): Promise<{ sha256: string; sizeBytes: number }> {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  for await (const chunk of createReadStream(filePath, { highWaterMark: HASH_CHUNK_BYTES })) {
    const bytes = chunk as Buffer;
    sizeBytes += bytes.length;
    hash.update(bytes);
  }
  return { sha256: hash.digest('hex'), sizeBytes };
}

/** @throws ConfigurationError when the file does not start with the GGUF magic. */
async function assertGguf(filePath: string): Promise<void> {
  const handle = await open(filePath, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    if (bytesRead < 4 || head.toString('latin1') !== GGUF_MAGIC) {
      throw new ConfigurationError(
        `${filePath} is not a GGUF file (no GGUF magic). Point SOTTO_MODEL at a .gguf model ` +
          '(for tests: SOTTO_MODEL=../shared/models/stories260K.gguf).',
      );
    }
  } finally {
    await handle.close();
  }
}

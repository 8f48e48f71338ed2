/**
 * Model resolution and loading: local paths, `file:` URLs, `hf:` URIs resolved from a
 * pre-filled cache directory (the real node-llama-cpp resolver; nothing is downloaded because
 * the file is already cached), the streamed SHA-256, and the configuration errors.
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ConfigurationError } from '@sotto/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, loadModel, resolveModelPath, sha256File } from '../src/inference';

const MODEL = fileURLToPath(new URL('../../../shared/models/stories260K.gguf', import.meta.url));
const MODEL_SHA256 = '1eea071ee5507fc04dd96603c64560e14951db1bef0c006666ea2f5a54568acd';

describe('model source and loading', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sotto-model-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('hashes the model file by streaming it', async () => {
    expect(await sha256File(MODEL)).toEqual({ sha256: MODEL_SHA256, sizeBytes: 1_185_408 });
  });

  it('resolves a local path, a relative path and a file: URL to the same file', async () => {
    expect(await resolveModelPath(MODEL)).toBe(MODEL);
    expect(await resolveModelPath(path.relative(process.cwd(), MODEL))).toBe(MODEL);
    expect(await resolveModelPath(pathToFileURL(MODEL).href)).toBe(MODEL);
  });

  it('resolves an hf: URI from the model cache without downloading', async () => {
    const cacheDir = path.join(dir, 'cache');
    await rm(cacheDir, { recursive: true, force: true });
    await mkdir(cacheDir);
    // node-llama-cpp names a cached hf:user/repo/file.gguf as hf_user_repo_file.gguf.
    const cached = path.join(cacheDir, 'hf_sotto-test_tiny_stories260K.gguf');
    await copyFile(MODEL, cached);
    const onProgress = () => {
      throw new Error('a cached model must not be downloaded');
    };
    expect(
      await resolveModelPath('hf:sotto-test/tiny/stories260K.gguf', { cacheDir, onProgress }),
    ).toBe(cached);
    const loaded = await loadModel('hf:sotto-test/tiny/stories260K.gguf', { cacheDir, onProgress });
    try {
      expect(loaded.name).toBe('hf:sotto-test/tiny/stories260K.gguf');
      expect(loaded.sha256).toBe(MODEL_SHA256);
      expect(loaded.path).toBe(cached);
    } finally {
      await loaded.model.dispose();
    }
  });

  it('loads the model from a file: URL with its name, size and SHA-256', async () => {
    const loaded = await loadModel(pathToFileURL(MODEL).href);
    try {
      expect(loaded).toMatchObject({
        name: 'stories260K.gguf',
        sha256: MODEL_SHA256,
        path: MODEL,
        sizeBytes: 1_185_408,
      });
      expect(loaded.model.tokenize('Once upon a time').length).toBe(4);
    } finally {
      await loaded.model.dispose();
    }
  });

  it('refuses a missing file with a ConfigurationError that says how to set SOTTO_MODEL', async () => {
    const missing = path.join(dir, 'no-such-model.gguf');
    const error = await createEngine({ modelSpec: missing }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain(missing);
    expect((error as Error).message).toContain('SOTTO_MODEL');
    expect((error as Error).message).toContain('GGUF');
  });

  it('refuses an empty spec, a directory and a file that is not GGUF', async () => {
    await expect(resolveModelPath('  ')).rejects.toBeInstanceOf(ConfigurationError);
    await expect(resolveModelPath(dir)).rejects.toBeInstanceOf(ConfigurationError);
    const notGguf = path.join(dir, 'model.gguf');
    await writeFile(notGguf, 'this is not a model');
    const error = await loadModel(notGguf).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(/not a GGUF file.*SOTTO_MODEL/);
    const tiny = path.join(dir, 'tiny.gguf');
    await writeFile(tiny, 'GG');
    await expect(loadModel(tiny)).rejects.toBeInstanceOf(ConfigurationError);
  });

  it('turns a GGUF header llama.cpp cannot load into a ConfigurationError', async () => {
    const broken = path.join(dir, 'broken.gguf');
    await writeFile(broken, Buffer.concat([Buffer.from('GGUF'), Buffer.alloc(60, 0xff)]));
    await expect(loadModel(broken)).rejects.toBeInstanceOf(ConfigurationError);
  });

  it('refuses invalid engine settings with ConfigurationError', async () => {
    await expect(createEngine({ modelSpec: MODEL, sequences: 0 })).rejects.toBeInstanceOf(
      ConfigurationError,
    );
    await expect(createEngine({ modelSpec: MODEL, threads: 0 })).rejects.toBeInstanceOf(
      ConfigurationError,
    );
  });
});

/**
 * Where the model file comes from: `SOTTO_MODEL` is a local GGUF path, a `file:` URL, or a
 * Hugging Face URI (`hf:user/repo/file.gguf`, `hf:user/repo:quant`) or https URL that
 * node-llama-cpp's `resolveModelFile` resolves and downloads once into a cache directory
 * (later starts find the cached file and do not touch the network). Download progress goes to
 * stderr, never stdout.
 */
import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigurationError } from '@sotto/protocol';
import { resolveModelFile } from 'node-llama-cpp';

/** Where downloaded models are kept unless the caller names a directory. */
export const DEFAULT_MODEL_CACHE_DIR = path.join(os.homedir(), '.cache', 'sotto', 'models');

const HOW_TO =
  'Set SOTTO_MODEL to a local GGUF file (for tests: SOTTO_MODEL=../shared/models/stories260K.gguf) ' +
  'or to an hf:user/repo/file.gguf URI, which is downloaded once into the model cache.';

export interface ResolveModelOptions {
  /** Cache directory for downloaded models. Default {@link DEFAULT_MODEL_CACHE_DIR}. */
  cacheDir?: string;
  /** Called while a remote model downloads. Default: a progress bar on stderr. */
  onProgress?: (downloadedBytes: number, totalBytes: number) => void;
  signal?: AbortSignal;
}

/** True when the spec names a remote model (resolved through the cache) rather than a local file. */
export function isRemoteModelSpec(spec: string): boolean {
  return /^hf:/i.test(spec) || /^https?:\/\//i.test(spec);
}

/**
 * Resolves a model spec to an absolute path of an existing regular file, downloading a remote
 * model into the cache the first time.
 *
 * @throws ConfigurationError when the spec is empty, names no file, names a directory, or a
 *   remote model cannot be resolved or downloaded; the message says how to set SOTTO_MODEL.
 */
export async function resolveModelPath(
  spec: string,
  options: ResolveModelOptions = {},
): Promise<string> {
  const trimmed = spec.trim();
  if (trimmed === '') throw new ConfigurationError(`SOTTO_MODEL is empty. ${HOW_TO}`);

  let filePath: string;
  if (isRemoteModelSpec(trimmed)) {
    const directory = options.cacheDir ?? DEFAULT_MODEL_CACHE_DIR;
    try {
      filePath = await resolveModelFile(trimmed, {
        directory,
        download: 'auto',
        cli: false,
        onProgress: ({ downloadedSize, totalSize }) =>
          (options.onProgress ?? stderrProgressBar(trimmed))(downloadedSize, totalSize),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (cause) {
      throw new ConfigurationError(
        `could not resolve or download the model ${trimmed} into ${directory}. ${HOW_TO}`,
        { cause },
      );
    }
  } else if (/^file:/i.test(trimmed)) {
    try {
      filePath = fileURLToPath(trimmed);
    } catch (cause) {
      throw new ConfigurationError(`SOTTO_MODEL is not a valid file: URL. ${HOW_TO}`, { cause });
    }
  } else {
    filePath = path.resolve(trimmed);
  }

  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(filePath);
  } catch (cause) {
    throw new ConfigurationError(`no model file at ${filePath}. ${HOW_TO}`, { cause });
  }
  if (!info.isFile()) {
    throw new ConfigurationError(`${filePath} is not a regular file. ${HOW_TO}`);
  }
  return filePath;
}

/** A progress bar on stderr: redrawn in place on a terminal, a line per 10% otherwise. */
export function stderrProgressBar(label: string): (downloaded: number, total: number) => void {
  let lastShown = -1;
  const tty = process.stderr.isTTY === true;
  return (downloaded, total) => {
    const fraction = total > 0 ? Math.min(1, downloaded / total) : 0;
    const percent = Math.floor(fraction * 100);
    const step = tty ? percent : Math.floor(percent / 10) * 10;
    if (step === lastShown) return;
    lastShown = step;
    const width = 30;
    const filled = Math.round(fraction * width);
    const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
    const line = `[sotto] downloading ${label} [${bar}] ${percent}% ${mib(downloaded)}/${mib(total)} MiB`;
    process.stderr.write(tty ? `\r${line}${percent === 100 ? '\n' : ''}` : `${line}\n`);
  };
}

function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}

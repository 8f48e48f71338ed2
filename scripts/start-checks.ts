/**
 * What `npm start` checks before it builds or starts anything, so a first run that
 * cannot work fails in seconds and says why: the model source (a local GGUF file
 * that exists and is one, or a remote model that is cached or whose host answers)
 * and the two ports. Also which relay the extension is built for.
 */
import { open, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveModelFile } from 'node-llama-cpp';
import { isRemoteModelSpec } from '../enclave/src/inference/model-source';

/** How to point `SOTTO_MODEL` at something that works, said after every model failure. */
export const MODEL_HOW_TO =
  'Set SOTTO_MODEL to a local GGUF file, e.g.\n' +
  '  SOTTO_MODEL=../shared/models/stories260K.gguf npm start   (a tiny test model)\n' +
  'or to an hf:user/repo:quant or hf:user/repo/file.gguf URI (downloaded once, needs the network).';

/** Longest wait for the model host before saying there is no network. */
export const NETWORK_PROBE_TIMEOUT_MS = 5_000;

/** A check that failed: `message` says why and how to fix it. */
export class StartCheckError extends Error {
  override readonly name = 'StartCheckError';
}

export type ModelSource =
  | { kind: 'file'; path: string }
  | { kind: 'cached'; path: string }
  | { kind: 'download'; host: string };

/** GGUF files start with these four bytes (ggml's GGUF spec, "File Structure"). */
const GGUF_MAGIC = 'GGUF';

async function checkLocal(spec: string): Promise<ModelSource> {
  let path: string;
  try {
    path = /^file:/i.test(spec) ? fileURLToPath(spec) : resolve(spec);
  } catch {
    throw new StartCheckError(`SOTTO_MODEL=${spec} is not a valid file: URL.\n${MODEL_HOW_TO}`);
  }
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new StartCheckError(`No model file at ${path}.\n${MODEL_HOW_TO}`);
  if (!info.isFile()) throw new StartCheckError(`${path} is not a file.\n${MODEL_HOW_TO}`);
  const head = Buffer.alloc(4);
  const fh = await open(path, 'r');
  try {
    await fh.read(head, 0, 4, 0);
  } finally {
    await fh.close();
  }
  if (head.toString('latin1') !== GGUF_MAGIC) {
    throw new StartCheckError(`${path} is not a GGUF model file.\n${MODEL_HOW_TO}`);
  }
  return { kind: 'file', path };
}

function hostOf(spec: string): string {
  return /^hf:/i.test(spec) ? 'huggingface.co' : new URL(spec).host;
}

/**
 * Where the model will come from, checked without downloading anything: a local file
 * (exists, is GGUF), a remote model already in `cacheDir`, or a remote model whose host
 * answers within {@link NETWORK_PROBE_TIMEOUT_MS}.
 * @throws StartCheckError saying why (no file, not GGUF, no network) and how to set SOTTO_MODEL.
 */
export async function checkModelSource(
  spec: string | undefined,
  options: { cacheDir: string; fetch?: typeof fetch; timeoutMs?: number },
): Promise<ModelSource> {
  const trimmed = (spec ?? '').trim();
  if (trimmed === '') throw new StartCheckError(`SOTTO_MODEL is empty.\n${MODEL_HOW_TO}`);
  if (!isRemoteModelSpec(trimmed)) return checkLocal(trimmed);
  const cached = await resolveModelFile(trimmed, {
    directory: options.cacheDir,
    download: false,
    cli: false,
  }).catch(() => undefined);
  if (cached) return { kind: 'cached', path: cached };
  let host: string;
  try {
    host = hostOf(trimmed);
  } catch {
    throw new StartCheckError(`SOTTO_MODEL=${trimmed} is not a valid URL.\n${MODEL_HOW_TO}`);
  }
  const probe = `${/^hf:/i.test(trimmed) ? 'https://huggingface.co' : new URL(trimmed).origin}/`;
  try {
    await (options.fetch ?? fetch)(probe, {
      method: 'HEAD',
      signal: AbortSignal.timeout(options.timeoutMs ?? NETWORK_PROBE_TIMEOUT_MS),
    });
  } catch (e) {
    const why = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
    throw new StartCheckError(
      `The model ${trimmed} is not in the cache (${options.cacheDir}) and ${host} cannot be reached ` +
        `(no network: ${why}), so it cannot be downloaded.\n${MODEL_HOW_TO}`,
    );
  }
  return { kind: 'download', host };
}

/**
 * Resolves when `port` on 127.0.0.1 can be listened on (0: any).
 * @throws StartCheckError naming the variable to change.
 */
export async function checkPortFree(port: number, variable: string): Promise<void> {
  const server = createServer();
  await new Promise<void>((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      fail(
        new StartCheckError(
          `Port ${port} is ${e.code === 'EADDRINUSE' ? 'in use' : `not available (${e.code})`}: ` +
            `stop what uses it, or set ${variable} to another port.`,
        ),
      ),
    );
    server.listen(port, '127.0.0.1', () => server.close(() => ok()));
  });
}

/**
 * The relay the extension is built for: `SOTTO_RELAY_URL` if set, else the relay this
 * script starts (`http://127.0.0.1:$SOTTO_RELAY_PORT`). A local `SOTTO_RELAY_URL` with a
 * port also sets the port the relay listens on when `SOTTO_RELAY_PORT` is not set.
 * @throws StartCheckError for a relay URL that is not http(s).
 */
export function relayPlan(env: NodeJS.ProcessEnv): { relayUrl: string; relayPort: string } {
  const given = env.SOTTO_RELAY_URL;
  if (!given) {
    const relayPort = env.SOTTO_RELAY_PORT || '8787';
    return { relayUrl: `http://127.0.0.1:${relayPort}`, relayPort };
  }
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new StartCheckError(`SOTTO_RELAY_URL=${given} is not a URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new StartCheckError('SOTTO_RELAY_URL must be an http:// or https:// URL.');
  }
  const local = url.hostname === '127.0.0.1' || url.hostname === 'localhost';
  const relayPort = env.SOTTO_RELAY_PORT || (local && url.port ? url.port : '8787');
  return { relayUrl: `${url.origin}${url.pathname.replace(/\/+$/, '')}`, relayPort };
}

/**
 * Which engine reads the opened prompts, as a release names it (protocol
 * release/statement.ts, `predicate.engine`): the built-in node-llama-cpp binding by its
 * installed package version, or an OpenAI-compatible server in the same VM by its OCI
 * image reference `NAME@sha256:<64 hex>` (`SOTTO_ENGINE_IMAGE`, and
 * `SOTTO_RELEASE_ENGINE_IMAGE` for `npm run release`). The enclave cannot look inside
 * that image: the VM's launch measurement covers the disk it was started from, and the
 * release says which image that disk holds.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ConfigurationError, type ReleaseEngine } from '@sotto/protocol';

export const BUILT_IN_ENGINE_NAME = 'node-llama-cpp';

const IMAGE_REFERENCE = /^([a-z0-9][a-z0-9._/:-]{0,127})@(sha256:[0-9a-f]{64})$/;

/** The built-in engine: node-llama-cpp at the version installed beside this code. */
export async function builtInEngineIdentity(): Promise<ReleaseEngine> {
  // Its package exports no `./package.json`; the entry point sits in `dist/`.
  const entry = createRequire(import.meta.url).resolve(BUILT_IN_ENGINE_NAME);
  const pkg = JSON.parse(await readFile(join(dirname(entry), '..', 'package.json'), 'utf8')) as {
    name?: unknown;
    version?: unknown;
  };
  if (pkg.name !== BUILT_IN_ENGINE_NAME || typeof pkg.version !== 'string')
    throw new ConfigurationError(`${BUILT_IN_ENGINE_NAME} is not installed where expected`);
  return { name: BUILT_IN_ENGINE_NAME, version: pkg.version };
}

/**
 * Parses `NAME@sha256:<64 hex>` (e.g. `vllm/vllm-openai@sha256:…`).
 * @throws ConfigurationError naming `variable`.
 */
export function parseEngineImage(variable: string, value: string): ReleaseEngine {
  const m = IMAGE_REFERENCE.exec(value.trim());
  if (!m)
    throw new ConfigurationError(
      `${variable} must be an image reference NAME@sha256:<64 lower-case hex>`,
    );
  return { name: m[1]!, imageDigest: m[2]! };
}

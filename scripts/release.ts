/**
 * `npm run release`: builds the release artefact and its in-toto statement
 * reproducibly into SOTTO_RELEASE_OUT (default `.release/`); see release/build.ts.
 * Sign the statement afterwards: keyless in the release workflow
 * (.github/workflows/release.yml), or `npx sotto release sign --key FILE` locally.
 *
 *   SOTTO_RELEASE_MODEL          the GGUF the release serves (required)
 *   SOTTO_RELEASE_MODEL_NAME     its name as the release states it (default: file name)
 *   SOTTO_RELEASE_CONTEXT_SIZE   tokens per sequence (default 4096)
 *   SOTTO_RELEASE_ENGINE_IMAGE   NAME@sha256:<hex> of the OpenAI-compatible server the release
 *                                runs (SOTTO_ENGINE=openai:…); default the built-in node-llama-cpp
 *   SOTTO_RELEASE_COMMIT         source commit (default: `git rev-parse HEAD`)
 *   SOTTO_RELEASE_REPOSITORY     owner/name, informational (the signer's identity decides)
 *   SOTTO_RELEASE_SNP_MEASUREMENTS  comma-separated SEV-SNP launch MEASUREMENTs (hex)
 *   SOTTO_RELEASE_SNP_MIN_TCB    e.g. bootloader=3,tee=0,snp=8,microcode=115
 *   SOTTO_RELEASE_TDX            a JSON file: { measurements: [{mrtd, rtmr0, rtmr1, rtmr2}], allowedTcbStatuses }
 *   SOTTO_RELEASE_ROOT           the checkout to build (default: this repository)
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { describeEngine, type SnpReleaseTcb } from '@sotto/protocol';
import { parseEngineImage } from '../enclave/src/inference/engine-identity';
import { buildRelease } from './release/build';

function fail(message: string): never {
  process.stderr.write(`npm run release: ${message}\n`);
  process.exit(2);
}

const env = process.env;
const root = resolve(env.SOTTO_RELEASE_ROOT ?? resolve(import.meta.dirname, '..'));
const out = resolve(env.SOTTO_RELEASE_OUT ?? '.release');
const modelPath =
  env.SOTTO_RELEASE_MODEL ?? fail('SOTTO_RELEASE_MODEL must name the GGUF file the release serves');
const commit =
  env.SOTTO_RELEASE_COMMIT ??
  execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
const contextSize = Number(env.SOTTO_RELEASE_CONTEXT_SIZE ?? 4096);
if (!Number.isInteger(contextSize) || contextSize <= 0)
  fail('SOTTO_RELEASE_CONTEXT_SIZE must be a positive integer');

function snpTcb(text: string): SnpReleaseTcb {
  const v = Object.fromEntries(
    text.split(',').map((kv) => kv.split('=').map((x) => x.trim()) as [string, string]),
  );
  const n = (k: string) => {
    const x = Number(v[k]);
    if (!Number.isInteger(x) || x < 0 || x > 255)
      fail(`SOTTO_RELEASE_SNP_MIN_TCB needs ${k}=0..255`);
    return x;
  };
  return { bootloader: n('bootloader'), tee: n('tee'), snp: n('snp'), microcode: n('microcode') };
}

const snp = env.SOTTO_RELEASE_SNP_MEASUREMENTS
  ? {
      measurements: env.SOTTO_RELEASE_SNP_MEASUREMENTS.split(',').map((m) =>
        m.trim().toLowerCase(),
      ),
      ...(env.SOTTO_RELEASE_SNP_MIN_TCB && { minimumTcb: snpTcb(env.SOTTO_RELEASE_SNP_MIN_TCB) }),
    }
  : undefined;
const tdx = env.SOTTO_RELEASE_TDX
  ? JSON.parse(readFileSync(env.SOTTO_RELEASE_TDX, 'utf8'))
  : undefined;

try {
  const engine = env.SOTTO_RELEASE_ENGINE_IMAGE
    ? parseEngineImage('SOTTO_RELEASE_ENGINE_IMAGE', env.SOTTO_RELEASE_ENGINE_IMAGE)
    : undefined;
  const { artefact, statement } = await buildRelease({
    root,
    out,
    commit,
    ...(env.SOTTO_RELEASE_REPOSITORY && { sourceRepository: env.SOTTO_RELEASE_REPOSITORY }),
    model: {
      path: modelPath,
      name: env.SOTTO_RELEASE_MODEL_NAME ?? basename(modelPath),
      contextSize,
    },
    ...(engine && { engine }),
    ...(snp && { snp }),
    ...(tdx && { tdx }),
  });
  process.stdout.write(
    `release ${statement.predicate.version} (${commit.slice(0, 12)}) -> ${out}\n` +
      `  ${artefact}  sha256 ${statement.subject[0]!.digest.sha256}\n` +
      `  engine ${statement.predicate.engine ? describeEngine(statement.predicate.engine) : 'unnamed'}\n` +
      `  release.intoto.json (sign it: npx sotto release sign --key FILE, or the release workflow)\n`,
  );
} catch (e) {
  fail((e as Error).message);
}

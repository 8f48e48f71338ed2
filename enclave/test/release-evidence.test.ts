/**
 * The enclave process serving a release (SOTTO_RELEASE_BUNDLE): its v2 evidence carries
 * the release bundle, REPORT_DATA binds the statement, and a client (protocol
 * fetchAttestedKey, real HTTP on 127.0.0.1) verifies it — with the managed key
 * configured, or in development mode with the key the enclave names. A release for
 * another model, or another inference engine (or none named), stops the enclave at start
 * with a message naming the variable.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import {
  fetchAttestedKey,
  RELEASE_PREDICATE_TYPE,
  type ReleaseEngine,
  type ReleaseStatement,
  STATEMENT_TYPE,
  toHex,
  type VerifiedEvidenceV2,
} from '@sotto/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInEngineIdentity } from '../src/inference/engine-identity';
import { signStatement } from '../../protocol/src/cli/release-sign';
import { measureCodeBundle } from '../src/attestation/measurement';
import {
  type EnclaveProcess,
  REPO_ROOT,
  startEnclave,
  TEST_MODEL,
  TEST_MODEL_SHA256,
} from './support/enclave-process';

const BUILT_IN_ENGINE = await builtInEngineIdentity();

const dir = mkdtempSync(join(tmpdir(), 'sotto-release-'));
const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = key.publicKey.export({ format: 'pem', type: 'spki' }).toString();
let enclave: EnclaveProcess;

function statement(
  modelSha: string,
  devMeasurement: string,
  engine: ReleaseEngine | null = BUILT_IN_ENGINE,
): ReleaseStatement {
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name: 'sotto-enclave-0.1.0.tar', digest: { sha256: '0'.repeat(64) } }],
    predicateType: RELEASE_PREDICATE_TYPE,
    predicate: {
      version: '0.1.0-test',
      sourceCommit: 'a'.repeat(40),
      enclaveCodeDigest: { sha384: devMeasurement },
      model: { name: 'stories260K (test release)', sha256: modelSha, contextSize: 512 },
      ...(engine && { engine }),
      platforms: { dev: { measurements: [devMeasurement] } },
    },
  };
}

function writeRelease(name: string, s: ReleaseStatement): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    JSON.stringify(signStatement(new TextEncoder().encode(JSON.stringify(s)), key.privateKey)),
  );
  return path;
}

/** Starts the enclave with `releasePath`; resolves with its stderr once it has exited with 2. */
async function failedStart(releasePath: string): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'enclave/src/server.ts'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      SOTTO_MODEL: TEST_MODEL,
      SOTTO_ENCLAVE_PORT: '0',
      SOTTO_DATA_DIR: mkdtempSync(join(tmpdir(), 'sotto-enclave-')),
      SOTTO_THREADS: '1',
      SOTTO_RELEASE_BUNDLE: releasePath,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  expect(code).toBe(2);
  return err;
}

beforeAll(async () => {
  const measurement = toHex(await measureCodeBundle(REPO_ROOT));
  writeFileSync(join(dir, 'release.pub.pem'), pem);
  enclave = await startEnclave({
    SOTTO_RELEASE_BUNDLE: writeRelease(
      'release.sigstore.json',
      statement(TEST_MODEL_SHA256, measurement),
    ),
    SOTTO_RELEASE_PUBLIC_KEY: join(dir, 'release.pub.pem'),
  });
}, 120_000);
afterAll(() => enclave?.stop());

describe('an enclave serving a release', () => {
  it('is accepted with the managed key configured, naming the release and its model', async () => {
    const { evidence } = await fetchAttestedKey(enclave.url, {
      allowDevelopment: true,
      release: { managedKeys: [pem] },
    });
    const v = evidence as VerifiedEvidenceV2;
    expect(v.release).toMatchObject({
      version: '0.1.0-test',
      signer: 'managed-key',
      modelName: 'stories260K (test release)',
      engine: `node-llama-cpp ${BUILT_IN_ENGINE.version}`,
    });
    expect(v.model.name).toBe('stories260K (test release)');
    expect(v.override).toBe(false);
  });
  it('is accepted in development mode with the key the enclave names', async () => {
    const { evidence } = await fetchAttestedKey(enclave.url, { allowDevelopment: true });
    expect((evidence as VerifiedEvidenceV2).release?.version).toBe('0.1.0-test');
  });
  it("tries the enclave's key beside configured ones only in development mode, which dev evidence needs", async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .publicKey.export({ format: 'pem', type: 'spki' })
      .toString();
    await expect(
      fetchAttestedKey(enclave.url, { allowDevelopment: true, release: { managedKeys: [other] } }),
    ).resolves.toBeDefined();
    await expect(
      fetchAttestedKey(enclave.url, { release: { managedKeys: [pem] } }),
    ).rejects.toThrow(/development mode is off/);
  });
  it('refuses to start with a release for another model', async () => {
    const path = writeRelease(
      'other-model.sigstore.json',
      statement('f'.repeat(64), 'ab'.repeat(48)),
    );
    expect(await failedStart(path)).toMatch(
      /SOTTO_RELEASE_BUNDLE is release 0\.1\.0-test for another model/,
    );
  }, 120_000);
  it('refuses to start with a release for another engine, or one that names none', async () => {
    const vllm = { name: 'vllm/vllm-openai', imageDigest: `sha256:${'e'.repeat(64)}` };
    const other = writeRelease(
      'vllm.sigstore.json',
      statement(TEST_MODEL_SHA256, 'ab'.repeat(48), vllm),
    );
    expect(await failedStart(other)).toMatch(
      /for engine vllm\/vllm-openai sha256:e{64}, but this enclave runs node-llama-cpp /,
    );
    const unnamed = writeRelease(
      'unnamed.sigstore.json',
      statement(TEST_MODEL_SHA256, 'ab'.repeat(48), null),
    );
    expect(await failedStart(unnamed)).toMatch(/names no inference engine/);
  }, 120_000);
});

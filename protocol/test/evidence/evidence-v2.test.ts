/**
 * Evidence v2 acceptance (protocol/src/evidence/verify-v2.ts): dev evidence built the way
 * the enclave builds it, with a keyless release from the test Sigstore, through JSON and
 * back. Every hostile case of issue 12 that lives in the evidence is refused with a
 * `ReleaseRefusedError` naming its check. `now` is fixed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { fromBase64, toHex } from '../../src/bytes';
import { VerificationError } from '../../src/errors';
import {
  type EvidenceBundleV2,
  evidenceV2ToJson,
  parseEvidenceV2,
} from '../../src/evidence/bundle-v2';
import { type DevSigner, generateDevSigner, signDevReport } from '../../src/evidence/dev-report';
import { computeReportDataV2, NO_RELEASE } from '../../src/evidence/report-data-v2';
import { type EvidencePolicyV2, verifyEvidenceV2 } from '../../src/evidence/verify-v2';
import { encodeKeyConfigList, generateKeyConfig } from '../../src/ohttp';
import { ReleaseRefusedError } from '../../src/release/errors';
import { SOTTO_RELEASE_IDENTITY } from '../../src/release/policy';
import { DEV_MEASUREMENT, MODEL_SHA, payload, statement } from '../release/fixtures';
import { createTestSigstore, type TestSigstore, workflowIdentity } from '../release/test-sigstore';
import { sha256 } from '@noble/hashes/sha2.js';

const NOW = new Date('2026-11-01T12:00:00Z');
const MODEL = { name: 'stories260K.gguf', sha256: MODEL_SHA, contextSize: 512 };
const keyConfigs = encodeKeyConfigList([generateKeyConfig(1).config, generateKeyConfig(2).config]);
let signer: DevSigner;
let sigstore: TestSigstore;
let releaseBundle: unknown;
let otherRelease: unknown;
let policy: EvidencePolicyV2;

function statementDigest(bundle: unknown): Uint8Array {
  return sha256(fromBase64((bundle as { dsseEnvelope: { payload: string } }).dsseEnvelope.payload));
}

/** Evidence as the enclave makes it; `bind` overrides what REPORT_DATA is computed over. */
async function evidence(
  over: Partial<Omit<EvidenceBundleV2, 'version'>> = {},
  bind: {
    keyConfigs?: Uint8Array;
    release?: unknown;
    keyCreatedAt?: Date;
    measurement?: string;
  } = {},
): Promise<EvidenceBundleV2> {
  const b = {
    platform: 'dev' as const,
    report: new Uint8Array(),
    certificates: { devKey: signer.publicKeySpki },
    keyConfigs,
    model: MODEL,
    release: { bundle: releaseBundle },
    keyCreatedAt: new Date(NOW.getTime() - 10 * 60_000),
    ...over,
  };
  const boundRelease = 'release' in bind ? bind.release : b.release.bundle;
  const reportData = computeReportDataV2({
    keyConfigs: bind.keyConfigs ?? b.keyConfigs,
    model: b.model,
    releaseStatementSha256: boundRelease === undefined ? NO_RELEASE : statementDigest(boundRelease),
    keyCreatedAt: bind.keyCreatedAt ?? b.keyCreatedAt,
  });
  b.report = await signDevReport(signer, {
    measurement: Uint8Array.from(Buffer.from(bind.measurement ?? DEV_MEASUREMENT, 'hex')),
    reportData,
    timestamp: NOW,
  });
  // Through the wire format, as a client receives it.
  return parseEvidenceV2(JSON.parse(JSON.stringify(evidenceV2ToJson(b))));
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ReleaseRefusedError);
    return (e as ReleaseRefusedError).check;
  }
  throw new Error('expected a refusal');
}

beforeAll(async () => {
  signer = (await generateDevSigner()).signer;
  sigstore = await createTestSigstore(NOW);
  const identity = workflowIdentity(SOTTO_RELEASE_IDENTITY.repository, 'refs/tags/v0.1.0');
  releaseBundle = await sigstore.sign(payload(), { identity, signedAt: NOW });
  const v2 = workflowIdentity(SOTTO_RELEASE_IDENTITY.repository, 'refs/tags/v0.2.0');
  otherRelease = await sigstore.sign(payload(statement({ version: '0.2.0' })), {
    identity: v2,
    signedAt: NOW,
  });
  policy = { allowDevelopment: true, now: NOW, release: { trustedRoot: sigstore.trustedRoot } };
});

describe('evidence v2 acceptance', () => {
  it('accepts evidence bound to a verified release, and says what the release is', async () => {
    const v = await verifyEvidenceV2(await evidence(), policy);
    expect(v.override).toBe(false);
    expect(v.release).toMatchObject({
      version: '0.1.0',
      commit: '1'.repeat(40),
      repository: SOTTO_RELEASE_IDENTITY.repository,
      tag: 'v0.1.0',
      signer: 'keyless',
      logIndex: '0',
      integratedTime: NOW.toISOString(),
      modelName: 'stories260K',
      engine: 'node-llama-cpp 3.22.1',
    });
    // The model as the release names it, not as the enclave (or a relay) does.
    expect(v.model).toEqual({ name: 'stories260K', sha256: toHex(MODEL_SHA), contextSize: 512 });
    expect(v.keyConfigs).toEqual(keyConfigs);
  });
  it('refuses a measurement the release does not list', async () => {
    expect(
      await refusal(verifyEvidenceV2(await evidence({}, { measurement: 'ee'.repeat(48) }), policy)),
    ).toBe('measurement');
  });
  it('refuses a model whose hash differs from the release', async () => {
    const other = { ...MODEL, sha256: sha256(new TextEncoder().encode('another model')) };
    expect(await refusal(verifyEvidenceV2(await evidence({ model: other }), policy))).toBe('model');
  });
  it('refuses a release that does not name its inference engine', async () => {
    const identity = workflowIdentity(SOTTO_RELEASE_IDENTITY.repository, 'refs/tags/v0.1.0');
    const unnamed = await sigstore.sign(payload(statement({ engine: null })), {
      identity,
      signedAt: NOW,
    });
    const e = await evidence({ release: { bundle: unnamed } });
    expect(await refusal(verifyEvidenceV2(e, policy))).toBe('engine');
  });
  it('names an OpenAI-compatible server by its image digest', async () => {
    const identity = workflowIdentity(SOTTO_RELEASE_IDENTITY.repository, 'refs/tags/v0.1.0');
    const imageDigest = `sha256:${'e'.repeat(64)}`;
    const served = await sigstore.sign(
      payload(statement({ engine: { name: 'vllm/vllm-openai', imageDigest } })),
      { identity, signedAt: NOW },
    );
    const v = await verifyEvidenceV2(await evidence({ release: { bundle: served } }), policy);
    expect(v.release?.engine).toBe(`vllm/vllm-openai ${imageDigest}`);
  });
  it('refuses a stale key and a key from the future', async () => {
    const stale = await evidence({ keyCreatedAt: new Date(NOW.getTime() - 2 * 3600_000 - 1000) });
    expect(await refusal(verifyEvidenceV2(stale, policy))).toBe('key-age');
    const future = await evidence({ keyCreatedAt: new Date(NOW.getTime() + 3600_000) });
    expect(await refusal(verifyEvidenceV2(future, policy))).toBe('key-age');
    const bounded = await evidence({ keyCreatedAt: new Date(NOW.getTime() - 30 * 60_000) });
    expect(await refusal(verifyEvidenceV2(bounded, { ...policy, maxKeyAgeMs: 20 * 60_000 }))).toBe(
      'key-age',
    );
  });
  it('refuses a key configuration the report does not bind', async () => {
    const swapped = await evidence(
      {},
      { keyConfigs: encodeKeyConfigList([generateKeyConfig(1).config]) },
    );
    expect(await refusal(verifyEvidenceV2(swapped, policy))).toBe('report-data');
  });
  it('refuses a key time the report does not bind (a relay rewriting the key age)', async () => {
    const b = await evidence();
    b.keyCreatedAt = new Date(NOW.getTime() - 1000);
    expect(await refusal(verifyEvidenceV2(b, policy))).toBe('report-data');
  });
  it('refuses a model name the report does not bind', async () => {
    const b = await evidence();
    b.model = { ...b.model, name: 'Llama-3.1-405B-Instruct (audited, SEV-SNP)' };
    expect(await refusal(verifyEvidenceV2(b, policy))).toBe('report-data');
  });
  it('refuses a context size the report does not bind (clients plan long pages by it)', async () => {
    for (const contextSize of [256, 131_072]) {
      const b = await evidence();
      b.model = { ...b.model, contextSize };
      expect(await refusal(verifyEvidenceV2(b, policy))).toBe('report-data');
    }
  });
  it('refuses a relay that swaps the release bundle for another valid one of a different release', async () => {
    const b = await evidence();
    b.release = { bundle: otherRelease };
    expect(await refusal(verifyEvidenceV2(b, policy))).toBe('report-data');
  });
  it('refuses a release the policy does not trust (untrusted root)', async () => {
    const b = await evidence();
    expect(await refusal(verifyEvidenceV2(b, { ...policy, release: {} }))).toBe('trusted-root');
  });
  it('refuses real-platform evidence that names no release', async () => {
    const b = await evidence({ platform: 'sev-snp', release: {} }, { release: undefined });
    expect(await refusal(verifyEvidenceV2(b, policy))).toBe('statement');
  });
  it('accepts dev evidence that names no release, saying there is none', async () => {
    const v = await verifyEvidenceV2(
      await evidence({ release: {} }, { release: undefined }),
      policy,
    );
    expect(v.release).toBeUndefined();
    expect(v.releaseId).toBe('no release');
  });
  it('is refused unless development mode is on', async () => {
    await expect(
      verifyEvidenceV2(await evidence(), { ...policy, allowDevelopment: false }),
    ).rejects.toThrow(VerificationError);
  });
  it('under the expert override, decides by the typed list and says so', async () => {
    const b = await evidence();
    const v = await verifyEvidenceV2(b, {
      ...policy,
      release: {},
      allowedMeasurements: [DEV_MEASUREMENT],
    });
    expect(v.override).toBe(true);
    expect(v.release).toBeUndefined();
    expect(
      await refusal(verifyEvidenceV2(b, { ...policy, allowedMeasurements: ['00'.repeat(48)] })),
    ).toBe('measurement');
    // The report must still bind the evidence under an override.
    b.keyConfigs = encodeKeyConfigList([generateKeyConfig(9).config]);
    expect(
      await refusal(verifyEvidenceV2(b, { ...policy, allowedMeasurements: [DEV_MEASUREMENT] })),
    ).toBe('report-data');
  });
});

describe('evidence v2 parsing', () => {
  it('refuses hostile bundles with typed errors', async () => {
    const good = evidenceV2ToJson(await evidence());
    const cases: unknown[] = [
      null,
      [],
      { ...good, format: 'sotto-evidence/1' },
      { ...good, platform: 'sgx' },
      { ...good, keyConfigs: '' },
      { ...good, keyConfigs: 42 },
      { ...good, model: { ...(good.model as object), contextSize: -1 } },
      { ...good, model: { ...(good.model as object), contextSize: 1.5 } },
      { ...good, model: { ...(good.model as object), name: 'x'.repeat(600) } },
      { ...good, model: { ...(good.model as object), sha256: 'ab' } },
      { ...good, release: { bundle: 'a string' } },
      { ...good, release: [] },
      { ...good, keyCreatedAt: 'soon' },
    ];
    for (const c of cases) expect(() => parseEvidenceV2(c)).toThrowError(/evidence/);
  });
});

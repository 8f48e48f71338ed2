/**
 * Release bundles through `verifyRelease`: a keyless release from our own test Sigstore
 * (real certificates, log entries and proofs; see test-sigstore.ts) and managed-key
 * releases from `sotto release sign`'s signer. Each hostile case is refused with a
 * `ReleaseRefusedError` naming its check. Times are fixed; no clock is read.
 */
import { generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromBase64, toBase64 } from '../../src/bytes';
import { signStatement } from '../../src/cli/release-sign';
import { ReleaseRefusedError } from '../../src/release/errors';
import { SOTTO_RELEASE_IDENTITY } from '../../src/release/policy';
import { verifySigstoreBundle } from '../../src/release/sigstore';
import { verifyRelease } from '../../src/release/verify-release';
import { payload, statement } from './fixtures';
import { createTestSigstore, type TestSigstore, workflowIdentity } from './test-sigstore';

const NOW = new Date('2026-11-01T12:00:00Z');
const REPO = SOTTO_RELEASE_IDENTITY.repository;
const TAG = 'refs/tags/v0.1.0';
let sigstore: TestSigstore;

beforeAll(async () => {
  sigstore = await createTestSigstore(NOW);
});

function checkOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ReleaseRefusedError);
    return (e as ReleaseRefusedError).check;
  }
  throw new Error('expected a refusal');
}

async function keyless(
  identity = workflowIdentity(REPO, TAG),
  extra: { issuer?: string; certValidMs?: number } = {},
) {
  return sigstore.sign(payload(), { identity, signedAt: NOW, ...extra });
}

describe('keyless release bundles', () => {
  it('verify under the project identity, with the log index and integration time', async () => {
    const r = verifyRelease(await keyless(), { trustedRoot: sigstore.trustedRoot });
    expect(r.signer).toMatchObject({ kind: 'keyless', repository: REPO, tag: 'v0.1.0', ref: TAG });
    expect(r.log).toEqual({ logIndex: '0', integratedTime: NOW });
    expect(r.statement.predicate.model.name).toBe('stories260K');
  });
  it('refuse another workflow in the right repository (identity)', async () => {
    const b = await keyless(workflowIdentity(REPO, TAG, '.github/workflows/ci.yml'));
    expect(checkOf(() => verifyRelease(b, { trustedRoot: sigstore.trustedRoot }))).toBe('identity');
  });
  it('refuse another repository', async () => {
    const b = await keyless(workflowIdentity('mallory/sotto', TAG));
    expect(checkOf(() => verifyRelease(b, { trustedRoot: sigstore.trustedRoot }))).toBe(
      'repository',
    );
  });
  it('refuse a branch instead of a tag', async () => {
    const b = await keyless(workflowIdentity(REPO, 'refs/heads/main'));
    expect(checkOf(() => verifyRelease(b, { trustedRoot: sigstore.trustedRoot }))).toBe('tag');
  });
  it('refuse another OIDC issuer', async () => {
    const b = await keyless(undefined, { issuer: 'https://accounts.example' });
    expect(checkOf(() => verifyRelease(b, { trustedRoot: sigstore.trustedRoot }))).toBe('issuer');
  });
  it('refuse a certificate that had expired when the log saw the signature', async () => {
    const b = await keyless(undefined, { certValidMs: -30_000 });
    expect(checkOf(() => verifyRelease(b, { trustedRoot: sigstore.trustedRoot }))).toBe(
      'certificate',
    );
  });
  it('refuse an untrusted root: the same bundle under the public-good root', async () => {
    const b = await keyless();
    expect(checkOf(() => verifyRelease(b))).toBe('trusted-root');
  });
  it('refuse a tampered DSSE payload', async () => {
    const b = (await keyless()) as { dsseEnvelope: { payload: string } };
    const bytes = fromBase64(b.dsseEnvelope.payload);
    bytes[bytes.length - 3]! ^= 0x01;
    b.dsseEnvelope.payload = toBase64(bytes);
    expect(['log', 'signature']).toContain(
      checkOf(() => verifyRelease(b, { trustedRoot: sigstore.trustedRoot })),
    );
  });
  it('refuse a signed but tampered predicate (a measurement of the wrong length)', async () => {
    const s = statement();
    s.predicate.platforms.dev!.measurements = ['ab'.repeat(47)];
    const b = await sigstore.sign(new TextEncoder().encode(JSON.stringify(s)), {
      identity: workflowIdentity(REPO, TAG),
      signedAt: NOW,
    });
    expect(checkOf(() => verifyRelease(b, { trustedRoot: sigstore.trustedRoot }))).toBe(
      'statement',
    );
  });
  it('refuse a signed engine that names neither a version nor a well-formed image digest', async () => {
    for (const engine of [
      { name: 'vllm' },
      { name: 'vllm', imageDigest: 'sha256:ABC' },
      { name: 'vllm', imageDigest: `sha512:${'e'.repeat(64)}` },
      { name: '', version: '1' },
    ]) {
      const s = statement({ engine });
      const b = await sigstore.sign(new TextEncoder().encode(JSON.stringify(s)), {
        identity: workflowIdentity(REPO, TAG),
        signedAt: NOW,
      });
      expect(checkOf(() => verifyRelease(b, { trustedRoot: sigstore.trustedRoot }))).toBe(
        'statement',
      );
    }
  });
  it('refuse a bundle for another artefact', async () => {
    const b = await keyless();
    const other = { bytes: new TextEncoder().encode('another artefact') };
    expect(
      checkOf(() => verifySigstoreBundle(b, other, { trustedRoot: sigstore.trustedRoot })),
    ).toBe('artifact');
  });
  it('refuse a bundle with no log entry', async () => {
    const b = (await keyless()) as { verificationMaterial: { tlogEntries: unknown[] } };
    b.verificationMaterial.tlogEntries = [];
    expect(['bundle', 'log']).toContain(
      checkOf(() => verifyRelease(b, { trustedRoot: sigstore.trustedRoot })),
    );
  });
  it('refuse hostile bundle JSON with the bundle check', () => {
    for (const b of ['not json', '{}', '[]', 'x'.repeat(300_000), { mediaType: 'x' }]) {
      expect(checkOf(() => verifyRelease(b, { trustedRoot: sigstore.trustedRoot }))).toMatch(
        /bundle|signing-key/,
      );
    }
  });
});

describe('managed-key release bundles (sotto release sign)', () => {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = key.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .publicKey.export({ format: 'pem', type: 'spki' })
    .toString();
  const bundle = () => signStatement(payload(), key.privateKey);

  it('verify with the configured key', () => {
    const r = verifyRelease(bundle(), { managedKeys: [pem] });
    expect(r.signer).toMatchObject({ kind: 'managed-key', development: false });
    expect(r.log).toBeUndefined();
  });
  it('are refused when no key is configured and development mode is off', () => {
    expect(checkOf(() => verifyRelease(bundle(), {}, pem))).toBe('signing-key');
  });
  it('are refused under another configured key', () => {
    expect(checkOf(() => verifyRelease(bundle(), { managedKeys: [other] }))).toBe('signing-key');
  });
  it("are accepted in development mode with the enclave's key, marked as development", () => {
    const r = verifyRelease(bundle(), { allowDevelopment: true }, pem);
    expect(r.signer).toMatchObject({ kind: 'managed-key', development: true });
  });
  it('refuse a tampered payload', () => {
    const b = bundle() as { dsseEnvelope: { payload: string } };
    const bytes = fromBase64(b.dsseEnvelope.payload);
    bytes[10]! ^= 0x20;
    b.dsseEnvelope.payload = toBase64(bytes);
    expect(checkOf(() => verifyRelease(b, { managedKeys: [pem] }))).toBe('signing-key');
  });
});

/**
 * Browser-run: release verification inside the BUILT extension's MV3 service worker, in
 * headless Debian Chromium. The real enclave process serves a release bundle signed
 * keyless by the test Sigstore (real Fulcio-shaped certificate, Rekor-shaped log entry,
 * signed checkpoint and inclusion proof: protocol/test/release/test-sigstore.ts). The
 * worker verifies it with @sigstore/verify through the @noble shims, so this is the
 * proof that the chosen library runs in the extension: with the test root set as the
 * custom trusted root in settings, the evidence is accepted and the summary names the
 * release, its tag and its log index; with the pinned public-good root it is refused by
 * the trusted-root check; under the expert override it is accepted and says so.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureCodeBundle } from '../../enclave/src/attestation/measurement';
import { builtInEngineIdentity } from '../../enclave/src/inference/engine-identity';
import {
  type EnclaveProcess,
  REPO_ROOT,
  startEnclave,
  TEST_MODEL_SHA256,
} from '../../enclave/test/support/enclave-process';
import { payload, statement } from '../../protocol/test/release/fixtures';
import { createTestSigstore, workflowIdentity } from '../../protocol/test/release/test-sigstore';
import { toHex } from '../../protocol/src/bytes';
import { SOTTO_RELEASE_IDENTITY } from '../../protocol/src/release/policy';
import {
  buildExtension,
  type ExtensionBrowser,
  hasChromium,
  startExtensionBrowser,
} from './support/extension-browser';

const ENTRY = `
import { sendMessage } from './src/messaging';
globalThis.sottoTest = { sendMessage };
`;

type Summary = {
  release?: Record<string, string>;
  override?: boolean;
  model: { name: string };
  error?: { code: string; reasons?: string[] };
};

function send(page: Page, name: string, request: unknown): Promise<Summary> {
  return page.evaluate(
    (n, r) =>
      (
        globalThis as unknown as {
          sottoTest: { sendMessage(n: string, r: unknown): Promise<Summary> };
        }
      ).sottoTest.sendMessage(n, r),
    name,
    request,
  );
}

let built: Awaited<ReturnType<typeof buildExtension>> | undefined;
let enclave: EnclaveProcess | undefined;
let trustedRoot = '';
let measurement = '';

beforeAll(async () => {
  if (!hasChromium) return;
  const [b, m, sigstore] = await Promise.all([
    buildExtension(),
    measureCodeBundle(REPO_ROOT),
    createTestSigstore(new Date()),
  ]);
  built = b;
  measurement = toHex(m);
  const path = join(built.dir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as { host_permissions: string[] };
  manifest.host_permissions.push('http://127.0.0.1/*');
  writeFileSync(path, JSON.stringify(manifest));
  trustedRoot = JSON.stringify(sigstore.trustedRoot);
  const s = statement({
    devMeasurement: measurement,
    modelSha: TEST_MODEL_SHA256,
    engine: await builtInEngineIdentity(),
  });
  s.predicate.model.name = 'stories260K (as the release names it)';
  const bundle = await sigstore.sign(payload(s), {
    identity: workflowIdentity(SOTTO_RELEASE_IDENTITY.repository, 'refs/tags/v0.1.0'),
    signedAt: new Date(),
  });
  const file = join(mkdtempSync(join(tmpdir(), 'sotto-release-')), 'release.sigstore.json');
  writeFileSync(file, JSON.stringify(bundle));
  enclave = await startEnclave({ SOTTO_RELEASE_BUNDLE: file });
}, 180_000);

afterAll(async () => {
  await enclave?.stop();
  built?.remove();
});

describe.skipIf(!hasChromium)(
  'release verification in the built extension (headless Chromium)',
  () => {
    let ext: ExtensionBrowser;
    let page: Page;

    beforeAll(async () => {
      ext = await startExtensionBrowser(built!.dir, ENTRY);
      page = await ext.openPage('options.html');
    }, 120_000);
    afterAll(async () => {
      await ext?.close();
    });

    it('refuses the release under the pinned public-good root (trusted-root check)', async () => {
      await send(page, 'settings/set', { relayUrl: enclave!.url, developmentMode: true });
      const r = await send(page, 'evidence/get', { fresh: true });
      expect(r.error?.code).toBe('evidence-refused');
      expect(r.error?.reasons?.[0]).toMatch(/^trusted-root: /);
    });

    it('accepts it with the custom trusted root, naming the release, its tag and its log entry', async () => {
      const settings = (await send(page, 'settings/get', {})) as unknown as {
        release: Record<string, unknown>;
      };
      await send(page, 'settings/set', { release: { ...settings.release, trustedRoot } });
      const r = await send(page, 'evidence/get', { fresh: true });
      expect(r.error).toBeUndefined();
      expect(r.release).toMatchObject({
        version: '0.1.0',
        repository: SOTTO_RELEASE_IDENTITY.repository,
        tag: 'v0.1.0',
        signer: 'keyless',
        logIndex: '0',
      });
      expect(r.model.name).toBe('stories260K (as the release names it)');
      expect(r.override).toBe(false);
    });

    it('refuses another repository from settings, and under the expert override says so', async () => {
      const settings = (await send(page, 'settings/get', {})) as unknown as {
        release: Record<string, unknown>;
      };
      await send(page, 'settings/set', {
        release: { ...settings.release, repository: 'someone/else' },
      });
      const refused = await send(page, 'evidence/get', { fresh: true });
      expect(refused.error?.reasons?.[0]).toMatch(/^repository: /);
      await send(page, 'settings/set', { allowedMeasurements: [measurement] });
      const r = await send(page, 'evidence/get', { fresh: true });
      expect(r.override).toBe(true);
      expect(r.release).toBeUndefined();
    });
  },
);

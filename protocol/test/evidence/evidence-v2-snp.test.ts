/**
 * Evidence v2 on the real SEV-SNP path: the genuine virtee/sev Milan report, VCEK and
 * chain inside v2 evidence, with a keyless release (test Sigstore) that lists the
 * report's MEASUREMENT and sets the report's own TCB as its floor (without it the
 * built-in floor, from AMD's bulletins, refuses this 2023 report). The chain, signature and policy checks run and pass; the real
 * report was taken for someone else's data, so the REPORT_DATA v2 binding, and only it,
 * refuses. Without a release, real-platform evidence is refused before anything else. An
 * ARK CRL in the bundle's collateral is checked against the pinned ARK (one made by a
 * self-made ARK, `sev-crl-fixtures.ts`, is refused).
 * `now` is fixed inside the vectors' validity.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type EvidenceBundleV2,
  parseEvidenceV2,
  evidenceV2ToJson,
} from '../../src/evidence/bundle-v2';
import { verifyEvidenceV2 } from '../../src/evidence/verify-v2';
import { VerificationError } from '../../src/errors';
import { toHex } from '../../src/bytes';
import { encodeKeyConfigList, generateKeyConfig } from '../../src/ohttp';
import { ReleaseRefusedError } from '../../src/release/errors';
import { SOTTO_RELEASE_IDENTITY } from '../../src/release/policy';
import { MODEL_SHA, payload, statement } from '../release/fixtures';
import { createTestSigstore, workflowIdentity } from '../release/test-sigstore';
import { makeCrl } from '../sev-crl-fixtures';
import { forgeMilanChain, MILAN_VECTOR_TCB, NOW, vectors } from '../sev-fixtures';
import type { SnpTcb } from '../../src/attest/sev';

const MEASUREMENT =
  '7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f';
let evidence: EvidenceBundleV2;
/** The same evidence under a release that sets no TCB floor of its own. */
let noFloor: EvidenceBundleV2;
let trustedRoot: unknown;

beforeAll(async () => {
  const sigstore = await createTestSigstore(NOW);
  trustedRoot = sigstore.trustedRoot;
  const build = async (minimumTcb?: SnpTcb) => {
    const s = statement();
    s.predicate.platforms['sev-snp'] = {
      measurements: [MEASUREMENT],
      ...(minimumTcb && { minimumTcb }),
    };
    const bundle = await sigstore.sign(payload(s), {
      identity: workflowIdentity(SOTTO_RELEASE_IDENTITY.repository, 'refs/tags/v0.1.0'),
      signedAt: NOW,
    });
    return parseEvidenceV2(
      JSON.parse(
        JSON.stringify(
          evidenceV2ToJson({
            platform: 'sev-snp',
            report: vectors.milanReport(),
            certificates: { vcek: vectors.milanVcek(), chain: vectors.milanChain() },
            keyConfigs: encodeKeyConfigList([generateKeyConfig(1).config]),
            model: { name: 'stories260K', sha256: MODEL_SHA, contextSize: 512 },
            release: { bundle },
            keyCreatedAt: new Date(NOW.getTime() - 60_000),
          }),
        ),
      ),
    );
  };
  // The release's floor is the vector's own TCB, below AMD's bulletins (policy.ts): a signed,
  // logged choice of the release, without which the built-in Milan floor refuses the report.
  evidence = await build(MILAN_VECTOR_TCB);
  noFloor = await build();
});

async function check(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ReleaseRefusedError);
  return (e as ReleaseRefusedError).check;
}

describe('evidence v2 with real SEV-SNP evidence', () => {
  it('passes chain, signature and policy, and is refused by the REPORT_DATA v2 binding', async () => {
    expect(await check(verifyEvidenceV2(evidence, { now: NOW, release: { trustedRoot } }))).toBe(
      'report-data',
    );
  });
  it("without a floor in the release, the built-in Milan floor refuses the 2023 report's TCB", async () => {
    const e = await verifyEvidenceV2(noFloor, { now: NOW, release: { trustedRoot } }).catch(
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(VerificationError);
    expect(e).not.toBeInstanceOf(ReleaseRefusedError);
    expect((e as VerificationError).reasons).toEqual([
      'tcb-below-minimum: reported snp SPL 8 is below 29',
      'tcb-below-minimum: reported microcode SPL 115 is below 219',
    ]);
  });
  it('is refused when it names no release', async () => {
    expect(
      await check(
        verifyEvidenceV2({ ...evidence, release: {} }, { now: NOW, release: { trustedRoot } }),
      ),
    ).toBe('statement');
  });
  it('is refused when the release is not trusted', async () => {
    expect(await check(verifyEvidenceV2(evidence, { now: NOW }))).toBe('trusted-root');
  });
  it("checks the bundle's ARK CRL: one the pinned ARK did not sign refuses genuine evidence", async () => {
    const forged = await forgeMilanChain();
    const arkCrl = await makeCrl({ signer: forged.arkKeys.privateKey, revoked: [] });
    const withCrl = parseEvidenceV2(
      JSON.parse(JSON.stringify(evidenceV2ToJson({ ...evidence, collateral: { arkCrl } }))),
    );
    expect(toHex(withCrl.collateral!.arkCrl!)).toBe(toHex(arkCrl));
    const e = await verifyEvidenceV2(withCrl, { now: NOW, release: { trustedRoot } }).catch(
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(VerificationError);
    expect(e).not.toBeInstanceOf(ReleaseRefusedError);
    expect((e as VerificationError).reasons.map((r) => r.split(':')[0])).toEqual(['crl-signature']);
  });
});

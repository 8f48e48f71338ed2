/**
 * Evidence v2 on the Intel TDX path: the real go-tdx-guest v4 quote with its Intel PCS
 * collateral inside `sotto-evidence/2` (through JSON and back), with a keyless release
 * (test Sigstore) whose `platforms.tdx` lists the quote's MRTD and RTMR0-2. The quote is
 * judged by `verifyTdxQuote` with all collateral required, the release's TD measurements
 * and TCB statuses as its policy, and the REPORT_DATA v2 binding. At the fixed clock the
 * 2023 vector set refuses for what it cannot satisfy (`cert-validity`: the TCB Signing
 * certificate in the vectors is a 2025 re-issue; `tcb-level-none`: this platform is below
 * both TCB levels; see tdx-quote.test.ts) and, since the quote was taken for someone
 * else's data, `report-data-mismatch`: never "not supported". Tampering adds its reason.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parseTdxQuote, tdxReasonCodes } from '../../src/attest/tdx';
import { toHex } from '../../src/bytes';
import { LimitExceededError, MalformedError, VerificationError } from '../../src/errors';
import { MAX_EVIDENCE_BYTES } from '../../src/evidence/bundle';
import {
  type EvidenceBundleV2,
  evidenceV2ToJson,
  parseEvidenceV2,
  readEvidenceJson,
} from '../../src/evidence/bundle-v2';
import type { EvidenceCollateral } from '../../src/evidence/collateral';
import { tdxReleasePolicy } from '../../src/evidence/tdx-release-policy';
import { type EvidencePolicyV2, verifyEvidenceV2 } from '../../src/evidence/verify-v2';
import { encodeKeyConfigList, generateKeyConfig } from '../../src/ohttp';
import { ReleaseRefusedError } from '../../src/release/errors';
import { SOTTO_RELEASE_IDENTITY } from '../../src/release/policy';
import type { ReleaseStatement } from '../../src/release/statement';
import { verifyRelease } from '../../src/release/verify-release';
import { MODEL_SHA, payload, statement } from '../release/fixtures';
import { createTestSigstore, type TestSigstore, workflowIdentity } from '../release/test-sigstore';
import { AT, flip, fullCollateral, TDX_NOW, tdxVectors } from '../tdx/fixtures';

/** Offsets of MRCONFIGID and MROWNER in the v4 vector quote (TD report body + 184, + 232). */
const MR_CONFIG_ID = AT.BODY + 184;
const MR_OWNER = AT.BODY + 232;
/** What the vector set forces at TDX_NOW, in the verifier's order. */
const FORCED = ['cert-validity', 'tcb-level-none', 'report-data-mismatch'];
/** FORCED, and a TD the policy does not list (the verifier names it before REPORTDATA). */
const NOT_LISTED = [
  'cert-validity',
  'tcb-level-none',
  'measurement-not-allowed',
  'report-data-mismatch',
];

const q = parseTdxQuote(tdxVectors.quote());
const TD = {
  mrtd: toHex(q.td.mrTd),
  rtmr0: toHex(q.td.rtmr[0]),
  rtmr1: toHex(q.td.rtmr[1]),
  rtmr2: toHex(q.td.rtmr[2]),
};

let sigstore: TestSigstore;
let trustedRoot: unknown;
let releaseBundle: unknown;
let policy: EvidencePolicyV2;

function collateral(): EvidenceCollateral {
  const c = fullCollateral();
  return {
    tcbInfo: c.tcbInfo!,
    qeIdentity: c.qeIdentity!,
    tcbSigningChain: c.tcbSigningChain!,
    pckCrl: c.pckCrl as Uint8Array,
    rootCrl: c.rootCrl as Uint8Array,
  };
}

/** Evidence as the enclave serves it and a client receives it (JSON and back). */
function evidence(over: Partial<Omit<EvidenceBundleV2, 'version'>> = {}): EvidenceBundleV2 {
  const b: Omit<EvidenceBundleV2, 'version'> = {
    platform: 'tdx',
    report: tdxVectors.quote(),
    certificates: {},
    keyConfigs: encodeKeyConfigList([generateKeyConfig(1).config]),
    model: { name: 'stories260K', sha256: MODEL_SHA, contextSize: 512 },
    release: { bundle: releaseBundle },
    keyCreatedAt: new Date(TDX_NOW.getTime() - 60_000),
    collateral: collateral(),
    ...over,
  };
  return parseEvidenceV2(JSON.parse(JSON.stringify(evidenceV2ToJson(b))));
}

async function signRelease(tdx: ReleaseStatement['predicate']['platforms']['tdx']) {
  const s = statement({ version: '0.1.1' });
  if (tdx) s.predicate.platforms.tdx = tdx;
  else delete s.predicate.platforms.tdx;
  return sigstore.sign(payload(s), {
    identity: workflowIdentity(SOTTO_RELEASE_IDENTITY.repository, 'refs/tags/v0.1.1'),
    signedAt: TDX_NOW,
  });
}

/** The TDX reason codes of a refusal that is not one of the release checks. */
async function tdxCodes(p: Promise<unknown>): Promise<string[]> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(VerificationError);
  expect(e).not.toBeInstanceOf(ReleaseRefusedError);
  expect((e as VerificationError).message).not.toContain('not supported');
  return tdxReasonCodes(e as VerificationError);
}

beforeAll(async () => {
  sigstore = await createTestSigstore(TDX_NOW);
  trustedRoot = sigstore.trustedRoot;
  releaseBundle = await signRelease({ measurements: [TD], allowedTcbStatuses: ['UpToDate'] });
  policy = { now: TDX_NOW, release: { trustedRoot } };
});

describe('evidence v2 carries the platform collateral', () => {
  it('round trips every piece byte for byte, the SEV-SNP ARK CRL included', () => {
    const c = { ...collateral(), arkCrl: new Uint8Array([0x30, 0x03, 1, 2, 3]) };
    const back = evidence({ collateral: c }).collateral!;
    expect(back.tcbInfo).toBe(c.tcbInfo);
    expect(back.qeIdentity).toBe(c.qeIdentity);
    expect(back.tcbSigningChain).toBe(c.tcbSigningChain);
    for (const k of ['pckCrl', 'rootCrl', 'arkCrl'] as const)
      expect(toHex(back[k]!)).toBe(toHex(c[k]!));
    expect(evidence({ collateral: undefined }).collateral).toBeUndefined();
  });

  it('refuses hostile collateral with typed errors, bounded like v1', () => {
    const good = evidenceV2ToJson(evidence());
    const col = good.collateral as Record<string, string>;
    const cases: [unknown, new (...a: never[]) => Error][] = [
      [{ ...col, tcbInfo: 'x'.repeat(40 * 1024) }, LimitExceededError],
      [{ ...col, pckCrl: 'A'.repeat(40 * 1024) }, LimitExceededError],
      [{ ...col, qeIdentity: 42 }, MalformedError],
      [{ ...col, rootCrl: '%%%' }, MalformedError],
      ['a string', MalformedError],
      [[col], MalformedError],
      [null, MalformedError],
    ];
    for (const [c, type] of cases) {
      expect(() => parseEvidenceV2({ ...good, collateral: c })).toThrow(type);
    }
    // The bundle as a whole stays bounded, collateral and all.
    const huge = JSON.stringify({
      ...good,
      collateral: { ...col, tcbSigningChain: 'x'.repeat(MAX_EVIDENCE_BYTES) },
    });
    expect(() => readEvidenceJson(huge)).toThrow(LimitExceededError);
  });
});

describe('evidence v2 with the real TDX quote and its collateral', () => {
  it('is verified as TDX, and refused only for what the vectors force', async () => {
    expect(await tdxCodes(verifyEvidenceV2(evidence(), policy))).toEqual(FORCED);
  });

  it('refuses a TD the release does not list: another RTMR2, or a release without TDX', async () => {
    const other = await signRelease({
      measurements: [{ ...TD, rtmr2: '00'.repeat(48) }],
      allowedTcbStatuses: ['UpToDate'],
    });
    const codes = await tdxCodes(
      verifyEvidenceV2(evidence({ release: { bundle: other } }), policy),
    );
    expect(codes).toEqual(NOT_LISTED);
    const none = await signRelease(undefined);
    expect(
      await tdxCodes(verifyEvidenceV2(evidence({ release: { bundle: none } }), policy)),
    ).toContain('measurement-not-allowed');
  });

  it('requires the full collateral: none, or the CRLs alone, is refused', async () => {
    expect(await tdxCodes(verifyEvidenceV2(evidence({ collateral: undefined }), policy))).toContain(
      'collateral-malformed',
    );
    const c = collateral();
    const crlsOnly = { pckCrl: c.pckCrl!, rootCrl: c.rootCrl! };
    // The PCK chain, CRLs and signatures pass with the CRLs; the TCB was not checked.
    expect(await tdxCodes(verifyEvidenceV2(evidence({ collateral: crlsOnly }), policy))).toEqual([
      'collateral-malformed',
      'report-data-mismatch',
    ]);
  });

  it('refuses a tampered quote, each for its reason', async () => {
    const codes = (report: Uint8Array) => tdxCodes(verifyEvidenceV2(evidence({ report }), policy));
    const quote = tdxVectors.quote();
    expect(await codes(flip(quote, AT.MR_TD))).toEqual(['quote-signature', ...NOT_LISTED]);
    // MRCONFIGID and MROWNER are compared too: the release names none, so both must be zero.
    for (const at of [MR_CONFIG_ID, MR_OWNER]) {
      expect(await codes(flip(quote, at))).toEqual(['quote-signature', ...NOT_LISTED]);
    }
    expect(await codes(flip(quote, AT.TD_ATTRIBUTES))).toEqual([
      'quote-signature',
      ...FORCED.slice(0, 2),
      'td-debug',
      'report-data-mismatch',
    ]);
    expect(await codes(flip(quote, AT.REPORT_DATA))).toEqual(['quote-signature', ...FORCED]);
    expect(await codes(quote.subarray(0, 1000))).toEqual(['quote-malformed']);
  });

  it('refuses tampered or swapped collateral', async () => {
    const c = collateral();
    const codes = (col: EvidenceCollateral) =>
      tdxCodes(verifyEvidenceV2(evidence({ collateral: col }), policy));
    const tcb = c.tcbInfo!.replace('"pcesvn":11', '"pcesvn":10');
    expect(tcb).not.toBe(c.tcbInfo);
    expect(await codes({ ...c, tcbInfo: tcb })).toContain('collateral-signature');
    const swapped = await codes({ ...c, pckCrl: c.rootCrl!, rootCrl: c.pckCrl! });
    expect(swapped.some((x) => x.startsWith('crl-'))).toBe(true);
    const qe = c.qeIdentity!.replace('"isvprodid":2', '"isvprodid":3');
    expect(qe).not.toBe(c.qeIdentity);
    expect(await codes({ ...c, qeIdentity: qe })).toContain('collateral-signature');
  });

  it('refuses a tampered release bundle, and evidence that names none, before the quote', async () => {
    const bundle = JSON.parse(JSON.stringify(releaseBundle)) as {
      dsseEnvelope: { payload: string };
    };
    const s = statement({ version: '0.1.1' });
    s.predicate.platforms.tdx = {
      measurements: [TD],
      allowedTcbStatuses: ['UpToDate', 'OutOfDate'],
    };
    bundle.dsseEnvelope.payload = Buffer.from(payload(s)).toString('base64');
    const e = await verifyEvidenceV2(evidence({ release: { bundle } }), policy).catch((x) => x);
    // A payload that allows OutOfDate, under the old signature: the log entry no longer matches.
    expect(['log', 'signature']).toContain((e as ReleaseRefusedError).check);
    const e2 = await verifyEvidenceV2(evidence({ release: {} }), policy).catch((x) => x);
    expect((e2 as ReleaseRefusedError).check).toBe('statement');
  });

  it('under the expert override, the typed MRTD or a policy.tdx set decides', async () => {
    const open = { now: TDX_NOW };
    const b = evidence({ release: {} });
    expect(
      await tdxCodes(
        verifyEvidenceV2(b, { ...open, allowedMeasurements: [TD.mrtd.toUpperCase()] }),
      ),
    ).toEqual(FORCED);
    expect(
      await tdxCodes(verifyEvidenceV2(b, { ...open, allowedMeasurements: ['00'.repeat(48)] })),
    ).toEqual(NOT_LISTED);
    const set = { mrTd: TD.mrtd, rtmr0: TD.rtmr0, rtmr1: TD.rtmr1, rtmr2: TD.rtmr2 };
    expect(await tdxCodes(verifyEvidenceV2(b, { ...open, tdx: { measurements: [set] } }))).toEqual(
      FORCED,
    );
    expect(
      await tdxCodes(
        verifyEvidenceV2(b, {
          ...open,
          tdx: { measurements: [{ ...set, rtmr1: '11'.repeat(48) }] },
        }),
      ),
    ).toEqual(NOT_LISTED);
  });
});

describe('the TD policy a release gives', () => {
  it("is the release's launches with MRCONFIGID and MROWNER zero, and its known statuses, never Revoked", async () => {
    const bundle = await signRelease({
      measurements: [TD],
      allowedTcbStatuses: ['UpToDate', 'OutOfDate', 'Revoked', 'Whatever'],
    });
    const release = verifyRelease(bundle, { trustedRoot });
    expect(tdxReleasePolicy(release, {}, false)).toEqual({
      measurements: [
        {
          mrTd: TD.mrtd,
          rtmr0: TD.rtmr0,
          rtmr1: TD.rtmr1,
          rtmr2: TD.rtmr2,
          mrConfigId: '00'.repeat(48),
          mrOwner: '00'.repeat(48),
        },
      ],
      allowedTcbStatuses: ['UpToDate', 'OutOfDate'],
    });
    const none = verifyRelease(await signRelease(undefined), { trustedRoot });
    expect(tdxReleasePolicy(none, {}, false).measurements).toEqual([]);
  });

  it('under the override: the typed lists, UpToDate unless policy.tdx says more, never Revoked', () => {
    expect(
      tdxReleasePolicy(
        undefined,
        {
          allowedMeasurements: ['AB'.repeat(48)],
          tdx: {
            measurements: [{ mrTd: 'cd'.repeat(48) }],
            allowedTcbStatuses: ['Revoked', 'SWHardeningNeeded'],
          },
        },
        true,
      ),
    ).toEqual({
      measurements: [{ mrTd: 'cd'.repeat(48) }, { mrTd: 'ab'.repeat(48) }],
      allowedTcbStatuses: ['SWHardeningNeeded'],
    });
    expect(
      tdxReleasePolicy(undefined, { allowedMeasurements: ['ab'] }, true).allowedTcbStatuses,
    ).toEqual(['UpToDate']);
  });
});

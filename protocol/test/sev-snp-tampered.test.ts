/**
 * Hostile SEV-SNP evidence: tampered variants of the genuine Milan report and
 * mismatched certificates, each refused with exactly the expected reason
 * codes (reasons.ts). Field offsets per AMD SEV-SNP ABI pub. 56860 Table 23.
 */

import { describe, expect, it } from 'vitest';
import {
  type SnpAcceptancePolicy,
  type SnpEvidenceInput,
  verifySnpEvidence,
} from '../src/attest/sev';
import { flip, mutate, NOW, OPEN, refusalCodes, vectors } from './sev-fixtures';

const report = vectors.milanReport();
const vcek = vectors.milanVcek();
const measurement = report.slice(0x90, 0xc0);
const reportData = report.slice(0x50, 0x90);
const PINNED: SnpAcceptancePolicy = { ...OPEN, measurements: [measurement], reportData };

interface Variant {
  readonly name: string;
  readonly input?: Partial<SnpEvidenceInput>;
  readonly policy?: SnpAcceptancePolicy;
  readonly now?: Date;
  readonly codes: readonly string[];
}

const sig = ['report-signature'];
const swapRS = mutate(report, (b) => {
  const r = b.slice(0x2a0, 0x2e8);
  b.copyWithin(0x2a0, 0x2e8, 0x330);
  b.set(r, 0x2e8);
});
const u32le = (b: Uint8Array, o: number, v: number) => {
  new DataView(b.buffer, b.byteOffset).setUint32(o, v, true);
};

const variants: Variant[] = [
  // Report regions (Table 23), each covered by the signature.
  {
    name: 'VERSION 2→6',
    input: { report: mutate(report, (b) => u32le(b, 0, 6)) },
    codes: ['report-version-unsupported'],
  },
  {
    name: 'VERSION 2→1',
    input: { report: mutate(report, (b) => u32le(b, 0, 1)) },
    codes: ['report-version-unsupported'],
  },
  {
    name: 'VERSION 2→0xffffffff',
    input: { report: mutate(report, (b) => u32le(b, 0, 0xffffffff)) },
    codes: ['report-version-unsupported'],
  },
  // A v2 report relabelled v3, v4 or v5: its reserved CPUID bytes (zero) name no product.
  {
    name: 'VERSION 2→3',
    input: { report: mutate(report, (b) => u32le(b, 0, 3)) },
    codes: ['product-unknown', ...sig],
  },
  {
    name: 'VERSION 2→4',
    input: { report: mutate(report, (b) => u32le(b, 0, 4)) },
    codes: ['product-unknown', ...sig],
  },
  {
    name: 'VERSION 2→5',
    input: { report: mutate(report, (b) => u32le(b, 0, 5)) },
    codes: ['product-unknown', ...sig],
  },
  { name: 'GUEST_SVN', input: { report: flip(report, 0x04) }, codes: sig },
  {
    name: 'POLICY debug bit',
    input: { report: flip(report, 0x0a, 0x08) },
    codes: ['policy-debug', ...sig],
  },
  {
    name: 'POLICY debug bit, debug allowed',
    input: { report: flip(report, 0x0a, 0x08) },
    policy: { ...OPEN, allowDebug: true },
    codes: sig,
  },
  {
    name: 'POLICY migration agent bit',
    input: { report: flip(report, 0x0a, 0x04) },
    codes: ['policy-migration-agent', ...sig],
  },
  {
    name: 'POLICY migration agent bit, allowed',
    input: { report: flip(report, 0x0a, 0x04) },
    policy: { ...OPEN, allowMigrationAgent: true },
    codes: sig,
  },
  {
    name: 'POLICY reserved must-be-one bit cleared',
    input: { report: flip(report, 0x0a, 0x02) },
    codes: ['policy-reserved-bits', ...sig],
  },
  {
    name: 'POLICY reserved must-be-zero bit set',
    input: { report: flip(report, 0x0f, 0x80) },
    codes: ['policy-reserved-bits', ...sig],
  },
  { name: 'POLICY SMT bit cleared', input: { report: flip(report, 0x0a, 0x01) }, codes: sig },
  { name: 'POLICY ABI minor', input: { report: flip(report, 0x08) }, codes: sig },
  { name: 'FAMILY_ID', input: { report: flip(report, 0x10) }, codes: sig },
  { name: 'IMAGE_ID', input: { report: flip(report, 0x2f) }, codes: sig },
  { name: 'VMPL', input: { report: flip(report, 0x30) }, codes: sig },
  {
    name: 'SIGNATURE_ALGO 1→2',
    input: { report: mutate(report, (b) => u32le(b, 0x34, 2)) },
    codes: ['report-signature-algo-unsupported', ...sig],
  },
  // Microcode 0x73 → 0x72: CURRENT_TCB falls below REPORTED, COMMITTED and LAUNCH.
  {
    name: 'CURRENT_TCB',
    input: { report: flip(report, 0x3f) },
    codes: [...sig, 'tcb-inconsistent'],
  },
  { name: 'PLATFORM_INFO', input: { report: flip(report, 0x40, 0x02) }, codes: sig },
  { name: 'KEY_INFO author key flag', input: { report: flip(report, 0x48, 0x01) }, codes: sig },
  {
    name: 'KEY_INFO mask chip key',
    input: { report: flip(report, 0x48, 0x02) },
    codes: ['report-chip-key-masked', ...sig],
  },
  {
    // Relabelled VLEK-signed: the VCEK is not a VLEK, and no ASVK chain came with it.
    name: 'KEY_INFO signing key VLEK',
    input: { report: flip(report, 0x48, 0x04) },
    codes: ['chain-malformed', ...sig, 'signing-key-mismatch'],
  },
  { name: 'REPORT_DATA', input: { report: flip(report, 0x50) }, codes: sig },
  {
    name: 'REPORT_DATA (pinned)',
    input: { report: flip(report, 0x8f) },
    policy: PINNED,
    codes: ['report-data-mismatch', ...sig],
  },
  { name: 'MEASUREMENT', input: { report: flip(report, 0x90) }, codes: sig },
  {
    name: 'MEASUREMENT (pinned)',
    input: { report: flip(report, 0xbf) },
    policy: PINNED,
    codes: ['measurement-not-allowed', ...sig],
  },
  { name: 'HOST_DATA', input: { report: flip(report, 0xc0) }, codes: sig },
  { name: 'ID_KEY_DIGEST', input: { report: flip(report, 0xe0) }, codes: sig },
  { name: 'AUTHOR_KEY_DIGEST', input: { report: flip(report, 0x110) }, codes: sig },
  { name: 'REPORT_ID', input: { report: flip(report, 0x140) }, codes: sig },
  { name: 'REPORT_ID_MA', input: { report: flip(report, 0x160) }, codes: sig },
  {
    name: 'REPORTED_TCB microcode raised',
    input: {
      report: mutate(report, (b) => {
        b[0x187] = 0xff;
      }),
    },
    codes: ['vcek-tcb-mismatch', ...sig, 'tcb-inconsistent'],
  },
  {
    name: 'REPORTED_TCB SNP lowered',
    input: {
      report: mutate(report, (b) => {
        b[0x186] = 7;
      }),
    },
    codes: ['tcb-below-minimum', 'vcek-tcb-mismatch', ...sig],
  },
  // Reserved fields inside the signed area must be zero (Table 23, per version).
  {
    name: 'reserved 0x188 (CPUID in v3)',
    input: { report: flip(report, 0x188) },
    codes: ['report-reserved-nonzero', ...sig],
  },
  {
    name: 'CHIP_ID',
    input: { report: flip(report, 0x1a0) },
    codes: ['vcek-hwid-mismatch', ...sig],
  },
  {
    name: 'CHIP_ID zeroed (MASK_CHIP_ID)',
    input: { report: mutate(report, (b) => b.fill(0, 0x1a0, 0x1e0)) },
    codes: ['vcek-hwid-mismatch', ...sig],
  },
  { name: 'COMMITTED_TCB', input: { report: flip(report, 0x1e0) }, codes: sig },
  { name: 'CURRENT_BUILD', input: { report: flip(report, 0x1e8) }, codes: sig },
  { name: 'COMMITTED_MAJOR', input: { report: flip(report, 0x1ee) }, codes: sig },
  { name: 'LAUNCH_TCB', input: { report: flip(report, 0x1f7) }, codes: sig },
  {
    name: 'reserved 0x1F8..0x29F',
    input: { report: flip(report, 0x29f) },
    codes: ['report-reserved-nonzero', ...sig],
  },
  // The signature itself (Table 118).
  { name: 'signature R low byte', input: { report: flip(report, 0x2a0) }, codes: sig },
  { name: 'signature S low byte', input: { report: flip(report, 0x2e8) }, codes: sig },
  { name: 'R and S swapped', input: { report: swapRS }, codes: sig },
  {
    name: 'signature zeroed',
    input: { report: mutate(report, (b) => b.fill(0, 0x2a0, 0x4a0)) },
    codes: sig,
  },
  {
    name: 'R high byte set',
    input: { report: flip(report, 0x2a0 + 48) },
    codes: ['report-signature-encoding'],
  },
  {
    name: 'S high byte set',
    input: { report: flip(report, 0x2e8 + 71) },
    codes: ['report-signature-encoding'],
  },
  {
    name: 'reserved bytes after the signature',
    input: { report: flip(report, 0x49f) },
    codes: ['report-reserved-nonzero'],
  },
  // Size.
  {
    name: 'truncated by one byte',
    input: { report: report.slice(0, 0x49f) },
    codes: ['report-malformed'],
  },
  {
    name: 'truncated to the signed part',
    input: { report: report.slice(0, 0x2a0) },
    codes: ['report-malformed'],
  },
  {
    name: 'extended by one byte',
    input: { report: new Uint8Array([...report, 0]) },
    codes: ['report-malformed'],
  },
  { name: 'empty', input: { report: new Uint8Array(0) }, codes: ['report-malformed'] },
  // Keys and certificates.
  {
    name: 'wrong VCEK (Turin VCEK for the Milan report)',
    input: { vcek: vectors.turinVcek() },
    // The product is the VCEK's (Turin): the Milan TCB read as Turin is below Turin's floor.
    codes: ['report-signature', 'tcb-below-minimum', 'vcek-hwid-mismatch', 'vcek-tcb-mismatch'],
  },
  {
    name: 'VCEK from another product under the report product chain (Turin VCEK, Milan ASK/ARK)',
    input: { vcek: vectors.turinVcek(), chain: vectors.milanChain() },
    codes: [
      'ark-not-pinned',
      'cert-issuer-mismatch',
      'report-signature',
      'tcb-below-minimum',
      'vcek-hwid-mismatch',
      'vcek-signature',
      'vcek-tcb-mismatch',
    ],
  },
  {
    name: 'ASK and ARK of another product (Turin chain)',
    input: { chain: vectors.turinChain() },
    codes: ['ark-not-pinned', 'cert-issuer-mismatch', 'vcek-signature'],
  },
  {
    name: 'ASK and ARK of another product (Genoa chain)',
    input: { chain: vectors.pem('genoa', 'ask') + vectors.pem('genoa', 'ark') },
    codes: ['ark-not-pinned', 'cert-issuer-mismatch', 'vcek-signature'],
  },
  {
    name: 'Milan ASK under the Turin ARK',
    input: { chain: { ask: vectors.pem('milan', 'ask'), ark: vectors.pem('turin', 'ark') } },
    codes: ['ark-not-pinned', 'ask-signature', 'cert-issuer-mismatch'],
  },
  {
    name: 'Genoa ASK under the Milan ARK',
    input: { chain: { ask: vectors.pem('genoa', 'ask'), ark: vectors.pem('milan', 'ark') } },
    codes: ['ask-signature', 'cert-issuer-mismatch', 'vcek-signature'],
  },
  {
    name: 'ASK given as the ARK and the ARK as the ASK',
    input: { chain: { ask: vectors.pem('milan', 'ark'), ark: vectors.pem('milan', 'ask') } },
    codes: [
      'ark-not-pinned',
      'ark-self-signature',
      'ask-signature',
      'cert-issuer-mismatch',
      'vcek-signature',
    ],
  },
  {
    name: 'chain with only the ASK',
    input: { chain: vectors.pem('milan', 'ask') },
    codes: ['chain-malformed'],
  },
  {
    name: 'VCEK not a certificate',
    input: { vcek: vcek.slice(0, 200) },
    codes: ['vcek-malformed'],
  },
  {
    name: 'VCEK oversized (20 KiB)',
    input: { vcek: new Uint8Array(20 * 1024) },
    codes: ['vcek-malformed'],
  },
  { name: 'VCEK missing', input: { vcek: undefined }, codes: ['vcek-missing'] },
  {
    name: 'VCEK expired (now after 2030-04-03)',
    now: new Date('2031-01-01T00:00:00Z'),
    codes: ['cert-validity'],
  },
  {
    name: 'VCEK not yet valid (now before 2023-04-03)',
    now: new Date('2023-01-01T00:00:00Z'),
    codes: ['cert-validity'],
  },
  // Acceptance policy on the genuine report.
  {
    name: 'measurement not in the allowed set',
    policy: { ...OPEN, measurements: [new Uint8Array(48)] },
    codes: ['measurement-not-allowed'],
  },
  {
    name: 'empty allowed set',
    policy: { ...OPEN, measurements: [] },
    codes: ['measurement-not-allowed'],
  },
  {
    name: 'REPORT_DATA mismatch',
    policy: { ...OPEN, reportData: new Uint8Array(64) },
    codes: ['report-data-mismatch'],
  },
  {
    name: 'TCB floor above the report',
    policy: { ...OPEN, minimumTcb: { Milan: { bootloader: 3, tee: 0, snp: 9, microcode: 200 } } },
    codes: ['tcb-below-minimum'],
  },
  {
    // The genuine 2023 report is below AMD-SB-3030/3019's Milan floor (policy.ts).
    name: 'built-in Milan TCB floor (AMD bulletins)',
    policy: { measurements: 'any', reportData: 'any' },
    codes: ['tcb-below-minimum'],
  },
  {
    name: 'LAUNCH_TCB floor above the report',
    policy: {
      ...OPEN,
      minimumLaunchTcb: { Milan: { bootloader: 3, tee: 0, snp: 9, microcode: 0 } },
    },
    codes: ['tcb-below-minimum'],
  },
  {
    name: 'firmware minimum above 1.52 build 4',
    policy: { ...OPEN, minimumFirmware: { major: 1, minor: 52, build: 5 } },
    codes: ['firmware-below-minimum'],
  },
  {
    name: 'firmware API floor 1.55',
    policy: { ...OPEN, minimumFirmware: { major: 1, minor: 55, build: 0 } },
    codes: ['firmware-below-minimum'],
  },
  { name: 'SMT refused by policy', policy: { ...OPEN, allowSmt: false }, codes: ['policy-smt'] },
  {
    name: 'single socket required',
    policy: { ...OPEN, requireSingleSocket: true },
    codes: ['policy-single-socket'],
  },
  { name: 'VMPL 1 required', policy: { ...OPEN, vmpl: 1 }, codes: ['vmpl'] },
  {
    name: 'guest SVN floor',
    policy: { ...OPEN, minimumGuestSvn: 1 },
    codes: ['guest-svn-below-minimum'],
  },
];

describe('tampered SEV-SNP evidence is refused for the right reason', () => {
  it('has at least 30 hostile variants', () => {
    expect(variants.length).toBeGreaterThanOrEqual(30);
  });

  it.each(variants)('$name', async (v) => {
    const input: SnpEvidenceInput = { report, vcek, ...v.input };
    const codes = await refusalCodes(
      verifySnpEvidence(input, v.policy ?? OPEN, { now: v.now ?? NOW }),
    );
    expect(codes).toEqual([...v.codes].sort());
  });

  it('lists every reason in one error (debug + measurement + report data + signature)', async () => {
    const bad = flip(flip(report, 0x0a, 0x08), 0x90);
    const codes = await refusalCodes(
      verifySnpEvidence({ report: bad, vcek }, PINNED, { now: NOW }),
    );
    expect(codes).toEqual(['measurement-not-allowed', 'policy-debug', 'report-signature']);
  });

  it('does not echo report or key bytes in the error text', async () => {
    try {
      await verifySnpEvidence({ report: flip(report, 0x50), vcek }, PINNED, { now: NOW });
      expect.unreachable();
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).not.toContain('7a1e5c266c0108dbc9bb94fa');
      expect(msg).not.toContain('d49554ec717f4e5b');
    }
  });
});

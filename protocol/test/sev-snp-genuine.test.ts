/**
 * The SEV-SNP verifier against genuine AMD evidence (virtee/sev vectors): a
 * real Milan v2 report with its VCEK, and a real Turin VCEK chain. Exact
 * field values are asserted; `now` is fixed inside the certificates' validity.
 */

import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SNP_MINIMUM_TCB,
  decodeSnpGuestPolicy,
  defaultSnpMinimumTcb,
  decodeSnpTcb,
  evaluateSnpPolicy,
  leComponentToP1363,
  parseSnpReport,
  productFromCpuid,
  timeSnpVerification,
  verifySnpCertChain,
  verifySnpEvidence,
} from '../src/attest/sev';
import { fromHex, toHex } from '../src/bytes';
import { MalformedError, UnsupportedError, VerificationError } from '../src/errors';
import { flip, MILAN_VECTOR_TCB, NOW, OPEN, refusalCodes, vectors } from './sev-fixtures';

const MEASUREMENT =
  '7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f';
const CHIP_ID =
  'd49554ec717f4e5b0fe6b143bcf0405bd7ae304727edf46603f2a76aef6a3abc15d7af38db757039029f0efacfd08e244324884738c72b082e2f87a44d541eb6';

describe('genuine Milan report (virtee/sev report_milan.hex + vcek_milan.der)', () => {
  it('parses every field to the published values', () => {
    const r = parseSnpReport(vectors.milanReport());
    expect(r.version).toBe(2);
    expect(r.policy).toBe(0x30000n);
    expect(r.vmpl).toBe(0);
    expect(r.signatureAlgo).toBe(1);
    expect(r.signingKey).toBe(0);
    expect(r.maskChipKey).toBe(false);
    expect(r.cpuid).toBeUndefined();
    expect(toHex(r.measurement)).toBe(MEASUREMENT);
    expect(toHex(r.chipId)).toBe(CHIP_ID);
    expect(r.reportedTcb).toBe(0x7308000000000003n);
    expect(decodeSnpTcb(r.reportedTcb, 'Milan')).toEqual({
      bootloader: 3,
      tee: 0,
      snp: 8,
      microcode: 115,
    });
    expect(r.currentVersion).toEqual({ major: 1, minor: 52, build: 4 });
    expect(r.platformInfo).toBe(1n);
  });

  it("is refused by the built-in floor: its SNP and microcode SPLs are below AMD's bulletins, and nothing else fails", async () => {
    // Secure by default: AMD-SB-3030 asks Milan for SNP SPL 0x1D (29), AMD-SB-3019 for
    // microcode 0x0A0011DB (SPL 219); this 2023 report carries SNP 8, microcode 115.
    const input = { report: vectors.milanReport(), vcek: vectors.milanVcek() };
    const policy = {
      measurements: [fromHex(MEASUREMENT)],
      reportData: parseSnpReport(vectors.milanReport()).reportData,
    };
    expect(DEFAULT_SNP_MINIMUM_TCB.Milan).toEqual({
      bootloader: 3,
      tee: 0,
      snp: 0x1d,
      microcode: 0xdb,
    });
    const e = await verifySnpEvidence(input, policy, { now: NOW }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(VerificationError);
    expect((e as VerificationError).reasons).toEqual([
      'tcb-below-minimum: reported snp SPL 8 is below 29',
      'tcb-below-minimum: reported microcode SPL 115 is below 219',
    ]);
    // One SPL short of the floor is still refused: the floor is not rounded down to the vector.
    const justBelow = { ...policy, minimumTcb: { Milan: { ...MILAN_VECTOR_TCB, snp: 9 } } };
    expect(await refusalCodes(verifySnpEvidence(input, justBelow, { now: NOW }))).toEqual([
      'tcb-below-minimum',
    ]);
  });

  it('verifies against the pinned Milan chain with its own TCB given as an explicit floor', async () => {
    const v = await verifySnpEvidence(
      { report: vectors.milanReport(), vcek: vectors.milanVcek() },
      {
        measurements: [fromHex(MEASUREMENT)],
        reportData: parseSnpReport(vectors.milanReport()).reportData,
        // Below AMD's bulletins: accepted only because the caller says so here.
        minimumTcb: { Milan: MILAN_VECTOR_TCB },
      },
      { now: NOW },
    );
    expect(v.product).toBe('Milan');
    expect(v.version).toBe(2);
    expect(v.measurement).toBe(MEASUREMENT);
    expect(v.chipId).toBe(CHIP_ID);
    expect(v.policyRaw).toBe('0x0000000000030000');
    expect(v.policy.debug).toBe(false);
    expect(v.policy.migrationAgent).toBe(false);
    expect(v.policy.smt).toBe(true);
    expect(v.policy.singleSocket).toBe(false);
    expect(v.tcb?.reported).toEqual(MILAN_VECTOR_TCB);
    expect(v.vcek.productName).toBe('Milan-B0');
    expect(v.checked).toEqual({ measurement: true, reportData: true, revocation: false });
  });

  it('verifies with the chain given as ASK+ARK PEM, in either order', async () => {
    const report = vectors.milanReport();
    const vcek = vectors.milanVcek();
    const v = await verifySnpEvidence({ report, vcek, chain: vectors.milanChain() }, OPEN, {
      now: NOW,
    });
    expect(v.product).toBe('Milan');
    const reversed = vectors.pem('milan', 'ark') + vectors.pem('milan', 'ask');
    const w = await verifySnpEvidence({ report, vcek, chain: reversed }, OPEN, { now: NOW });
    expect(w.measurement).toBe(MEASUREMENT);
    expect(w.checked).toEqual({ measurement: false, reportData: false, revocation: false });
  });

  it('gives the same verdict twice (key cache does not change results)', async () => {
    const input = { report: vectors.milanReport(), vcek: vectors.milanVcek() };
    const a = await verifySnpEvidence(input, OPEN, { now: NOW });
    const b = await verifySnpEvidence(input, OPEN, { now: NOW });
    expect(b.measurement).toBe(a.measurement);
    expect(
      await refusalCodes(
        verifySnpEvidence({ ...input, report: flip(input.report, 0x90) }, OPEN, { now: NOW }),
      ),
    ).toEqual(['report-signature']);
  });
});

describe('timing hook for the benchmarks', () => {
  it('runs one cold and N warm verifications and reports their durations', async () => {
    const t = await timeSnpVerification(
      { report: vectors.milanReport(), vcek: vectors.milanVcek() },
      OPEN,
      { now: NOW, warmRuns: 3 },
    );
    expect(Number.isFinite(t.coldMs)).toBe(true);
    expect(t.warmMs).toHaveLength(3);
  });
});

describe('genuine Turin VCEK chain (virtee/sev vcek_turin.der + cert_chain_turin)', () => {
  it('verifies to the pinned Turin root, with the given chain and with the pinned one', async () => {
    const withChain = await verifySnpCertChain(vectors.turinVcek(), {
      chain: vectors.turinChain(),
      now: NOW,
    });
    expect(withChain.product).toBe('Turin');
    expect(withChain.vcekExtensions.productName).toBe('Turin');
    expect(toHex(withChain.vcekExtensions.hwId!)).toBe('1e550a8ee5cf9f4d');
    expect(withChain.vcekExtensions).toMatchObject({
      bootloader: 0,
      tee: 0,
      snp: 0,
      microcode: 9,
      fmc: 0,
    });
    const pinned = await verifySnpCertChain(vectors.turinVcek(), { now: NOW });
    expect(pinned.product).toBe('Turin');
  });

  it('refuses the Turin VCEK under the Milan chain, or outside its validity', async () => {
    const codes = await refusalCodes(
      verifySnpCertChain(vectors.turinVcek(), { chain: vectors.milanChain(), now: NOW }),
    );
    expect(codes).toEqual(['ark-not-pinned', 'cert-issuer-mismatch', 'vcek-signature']);
    const late = await refusalCodes(
      verifySnpCertChain(vectors.turinVcek(), { now: new Date('2032-01-01T00:00:00Z') }),
    );
    expect(late).toEqual(['cert-validity']);
  });

  it('verifies the Milan VCEK chain-only too', async () => {
    const r = await verifySnpCertChain(vectors.milanVcek(), { now: NOW });
    expect(r.product).toBe('Milan');
    expect(toHex(r.vcekExtensions.hwId!)).toBe(CHIP_ID);
  });
});

describe('report building blocks', () => {
  it('converts 72-byte little-endian R/S to 48-byte big-endian, refusing high bytes', () => {
    const le = new Uint8Array(72);
    le[0] = 0x01;
    le[47] = 0xff;
    const be = leComponentToP1363(le);
    expect(be.length).toBe(48);
    expect(be[0]).toBe(0xff);
    expect(be[47]).toBe(0x01);
    le[48] = 1;
    expect(() => leComponentToP1363(le)).toThrow(MalformedError);
    expect(() => leComponentToP1363(new Uint8Array(71))).toThrow(MalformedError);
  });

  it('refuses wrong sizes and unknown versions when parsing', () => {
    const r = vectors.milanReport();
    expect(() => parseSnpReport(r.subarray(0, 1183))).toThrow(MalformedError);
    expect(() => parseSnpReport(new Uint8Array(1185))).toThrow(MalformedError);
    const v6 = r.slice();
    v6[0] = 6;
    expect(() => parseSnpReport(v6)).toThrow(UnsupportedError);
    const v1 = r.slice();
    v1[0] = 1;
    expect(() => parseSnpReport(v1)).toThrow(UnsupportedError);
  });

  it('decodes v3 CPUID and names the product from it', () => {
    expect(productFromCpuid({ family: 0x19, model: 0x01, stepping: 1 })).toBe('Milan');
    expect(productFromCpuid({ family: 0x19, model: 0x11, stepping: 1 })).toBe('Genoa');
    expect(productFromCpuid({ family: 0x19, model: 0xa0, stepping: 1 })).toBe('Genoa');
    expect(productFromCpuid({ family: 0x1a, model: 0x02, stepping: 0 })).toBe('Turin');
    expect(productFromCpuid({ family: 0x17, model: 0x31, stepping: 0 })).toBeUndefined();
    expect(productFromCpuid(undefined)).toBeUndefined();
    const r = vectors.milanReport().slice();
    r[0] = 3;
    r[0x188] = 0x19;
    r[0x189] = 0x01;
    r[0x18a] = 0x01;
    expect(parseSnpReport(r).cpuid).toEqual({ family: 0x19, model: 0x01, stepping: 0x01 });
  });

  it('holds Genoa and Turin to their bulletin floors (AMD-SB-3019/3020/3027), unless the policy overrides them', () => {
    expect(DEFAULT_SNP_MINIMUM_TCB.Genoa).toEqual({
      bootloader: 7,
      tee: 0,
      snp: 27,
      microcode: 86,
    });
    expect(DEFAULT_SNP_MINIMUM_TCB.Turin).toEqual({
      fmc: 1,
      bootloader: 1,
      tee: 1,
      snp: 4,
      microcode: 82,
    });
    // The Milan report's TCB read under each layout: Genoa BL 3 SNP 8; Turin (FMC first) BL/TEE/SNP 0.
    const r = parseSnpReport(vectors.milanReport());
    const details = (product: 'Genoa' | 'Turin', policy = OPEN) =>
      evaluateSnpPolicy(r, product, policy).map((f) => `${f.code}: ${f.detail}`);
    expect(details('Genoa')).toEqual([
      'tcb-below-minimum: reported bootloader SPL 3 is below 7',
      'tcb-below-minimum: reported snp SPL 8 is below 27',
    ]);
    expect(details('Turin')).toEqual([
      'tcb-below-minimum: reported bootloader SPL 0 is below 1',
      'tcb-below-minimum: reported tee SPL 0 is below 1',
      'tcb-below-minimum: reported snp SPL 0 is below 4',
    ]);
    // Turin's FMC is floored too; at every other floor value the report passes.
    const turinAt = (fmc: bigint) =>
      evaluateSnpPolicy(
        {
          ...r,
          // Turin layout: FMC byte 0, BL 1, TEE 2, SNP 3, microcode 7.
          reportedTcb: (0x52n << 56n) | (4n << 24n) | (1n << 16n) | (1n << 8n) | fmc,
          currentTcb: 0xff000000ffffffffn,
        },
        'Turin',
        OPEN,
      ).map((f) => f.detail);
    expect(turinAt(1n)).toEqual([]);
    expect(turinAt(0n)).toEqual(['reported fmc SPL 0 is below 1']);
    // Genoa-X (stepping 2, named by a v3+ report's CPUID) has its own microcode floor.
    const genoaX = { family: 0x19, model: 0x11, stepping: 2 };
    expect(defaultSnpMinimumTcb('Genoa', genoaX)).toEqual({
      ...DEFAULT_SNP_MINIMUM_TCB.Genoa,
      microcode: 0x51,
    });
    expect(defaultSnpMinimumTcb('Genoa', { ...genoaX, stepping: 1 })).toBe(
      DEFAULT_SNP_MINIMUM_TCB.Genoa,
    );
    expect(defaultSnpMinimumTcb('Genoa', undefined)).toBe(DEFAULT_SNP_MINIMUM_TCB.Genoa);
    const atX = (microcode: number, stepping: number) =>
      evaluateSnpPolicy(
        {
          ...r,
          cpuid: { ...genoaX, stepping },
          // Genoa layout: BL byte 0, TEE byte 1, SNP byte 6, microcode byte 7.
          reportedTcb: (BigInt(microcode) << 56n) | (0x1bn << 48n) | 7n,
          currentTcb: 0xffff00000000ffffn,
        },
        'Genoa',
        OPEN,
      ).map((f) => f.detail);
    expect(atX(0x51, 2)).toEqual([]);
    expect(atX(0x51, 1)).toEqual(['reported microcode SPL 81 is below 86']);
    expect(atX(0x50, 2)).toEqual(['reported microcode SPL 80 is below 81']);
    const lowered = {
      ...OPEN,
      minimumTcb: { Genoa: { bootloader: 3, tee: 0, snp: 8, microcode: 0 } },
    };
    expect(details('Genoa', lowered)).toEqual([]);
  });

  it("holds Milan-X (stepping 2, named by a v3+ report's CPUID) to its own microcode line's fix, 0x44", () => {
    const r = parseSnpReport(vectors.milanReport());
    const milanX = { family: 0x19, model: 0x01, stepping: 2 };
    expect(defaultSnpMinimumTcb('Milan', milanX)).toEqual({
      ...DEFAULT_SNP_MINIMUM_TCB.Milan,
      microcode: 0x44,
    });
    expect(defaultSnpMinimumTcb('Milan', { ...milanX, stepping: 1 })).toBe(
      DEFAULT_SNP_MINIMUM_TCB.Milan,
    );
    // A v2 report names no stepping: Milan B1's floor, the higher microcode one.
    expect(defaultSnpMinimumTcb('Milan', undefined)).toBe(DEFAULT_SNP_MINIMUM_TCB.Milan);
    // Genoa-X's exception does not leak to Milan, nor Milan-X's to Genoa.
    expect(defaultSnpMinimumTcb('Genoa', milanX)).toBe(DEFAULT_SNP_MINIMUM_TCB.Genoa);
    const at = (microcode: number, stepping: number) =>
      evaluateSnpPolicy(
        {
          ...r,
          cpuid: { ...milanX, stepping },
          // Milan layout: BL byte 0, TEE byte 1, SNP byte 6, microcode byte 7.
          reportedTcb: (BigInt(microcode) << 56n) | (0x1dn << 48n) | 3n,
          currentTcb: 0xffff00000000ffffn,
        },
        'Milan',
        { measurements: 'any', reportData: 'any' },
      ).map((f) => f.detail);
    expect(at(0x44, 2)).toEqual([]);
    expect(at(0x43, 2)).toEqual(['reported microcode SPL 67 is below 68']);
    expect(at(0x44, 1)).toEqual(['reported microcode SPL 68 is below 219']);
    expect(at(0xdb, 1)).toEqual([]);
  });

  it('decodes Turin TCB layout (FMC first) and guest policy bits', () => {
    expect(decodeSnpTcb(0x0900000004030201n, 'Turin')).toEqual({
      fmc: 1,
      bootloader: 2,
      tee: 3,
      snp: 4,
      microcode: 9,
    });
    const p = decodeSnpGuestPolicy((1n << 19n) | (1n << 18n) | (1n << 17n) | (1n << 20n) | 0x0102n);
    expect(p).toMatchObject({
      abiMajor: 1,
      abiMinor: 2,
      debug: true,
      migrationAgent: true,
      reservedMbo: true,
      singleSocket: true,
      smt: false,
      reservedMbzSet: false,
    });
    expect(decodeSnpGuestPolicy(1n << 40n).reservedMbzSet).toBe(true);
  });
});

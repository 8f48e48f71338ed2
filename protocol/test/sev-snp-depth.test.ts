/**
 * SEV-SNP to the depth of the reference verifiers: report versions 2 to 5
 * (v5's mitigation vectors; reserved fields inside the signed area, per
 * version), TCB consistency (REPORTED, COMMITTED and LAUNCH never above
 * CURRENT), LAUNCH_TCB and firmware minimums. Reports of other versions are
 * made from the genuine Milan report and re-signed by a self-made VCEK under
 * a self-made chain, so the only refusal besides the one under test is the
 * pin (`ark-not-pinned`): everything else in them checks out.
 */

import { describe, expect, it } from 'vitest';
import { parseSnpReport, summarizeSnpReport, verifySnpEvidence } from '../src/attest/sev';
import { forgeMilanChain, NOW, OPEN, refusalCodes, resignReport, vectors } from './sev-fixtures';

const report = vectors.milanReport();

/** The genuine report as version `v` (with Milan's CPUID for v3+), edited by `fn`. */
function asVersion(v: number, fn: (b: Uint8Array, dv: DataView) => void = () => {}): Uint8Array {
  const b = report.slice();
  const dv = new DataView(b.buffer);
  dv.setUint32(0, v, true);
  if (v >= 3) {
    b[0x188] = 0x19; // family 19h
    b[0x189] = 0x01; // model 01h: Milan
    b[0x18a] = 0x01;
  }
  fn(b, dv);
  return b;
}

async function verdict(bytes: Uint8Array, policy = OPEN): Promise<string[]> {
  const f = await forgeMilanChain();
  const signed = await resignReport(bytes, f.vcekKeys.privateKey);
  return refusalCodes(
    verifySnpEvidence({ report: signed, vcek: f.vcek, chain: { ask: f.ask, ark: f.ark } }, policy, {
      now: NOW,
    }),
  );
}

describe('report versions 2 to 5', () => {
  it('v3, v4 and v5 reports are verified; only the self-made root is refused', async () => {
    for (const v of [3, 4, 5])
      expect(await verdict(asVersion(v)), `v${v}`).toEqual(['ark-not-pinned']);
  });

  it('v5 carries LAUNCH_MIT_VECTOR and CURRENT_MIT_VECTOR', async () => {
    const v5 = asVersion(5, (_b, dv) => {
      dv.setBigUint64(0x1f8, 0x3n, true);
      dv.setBigUint64(0x200, 0x7n, true);
    });
    const r = parseSnpReport(v5);
    expect(r.launchMitVector).toBe(3n);
    expect(r.currentMitVector).toBe(7n);
    expect(summarizeSnpReport(r, 'Milan').mitigationVectors).toEqual({
      launch: '0x0000000000000003',
      current: '0x0000000000000007',
    });
    expect(await verdict(v5)).toEqual(['ark-not-pinned']);
    expect(parseSnpReport(report).launchMitVector).toBeUndefined();
    expect(summarizeSnpReport(parseSnpReport(report), 'Milan').mitigationVectors).toBeNull();
  });

  it('the same bytes are reserved in v4 and must be zero there', async () => {
    const v4 = asVersion(4, (_b, dv) => dv.setBigUint64(0x1f8, 0x3n, true));
    expect(await verdict(v4)).toEqual(['ark-not-pinned', 'report-reserved-nonzero']);
  });

  it('reserved fields inside the signed area, per version, even when correctly signed', async () => {
    const cases: [string, Uint8Array][] = [
      ['v5 0x208', asVersion(5, (b) => (b[0x208] = 1))],
      ['v5 0x29f', asVersion(5, (b) => (b[0x29f] = 1))],
      ['v3 0x18b', asVersion(3, (b) => (b[0x18b] = 1))],
      ['v2 CPUID byte 0x189', asVersion(2, (b) => (b[0x189] = 1))],
      ['0x04c', asVersion(5, (b) => (b[0x4c] = 1))],
      ['0x1eb', asVersion(5, (b) => (b[0x1eb] = 1))],
      ['0x1ef', asVersion(5, (b) => (b[0x1ef] = 1))],
      ['KEY_INFO bit 5', asVersion(5, (b) => (b[0x48]! |= 0x20))],
    ];
    for (const [what, bytes] of cases) {
      expect(await verdict(bytes), what).toEqual(['ark-not-pinned', 'report-reserved-nonzero']);
    }
  });
});

describe('TCB consistency and minimums', () => {
  it('REPORTED, COMMITTED or LAUNCH above CURRENT is refused', async () => {
    // Milan TCB_VERSION: byte 0 bootloader, 1 TEE, 6 SNP, 7 microcode.
    const cases: [string, number][] = [
      ['REPORTED_TCB', 0x180 + 6],
      ['COMMITTED_TCB', 0x1e0 + 6],
      ['LAUNCH_TCB', 0x1f0 + 6],
    ];
    for (const [what, at] of cases) {
      const codes = await verdict(asVersion(3, (b) => (b[at] = 9)));
      expect(codes, what).toContain('tcb-inconsistent');
    }
  });

  it('committed firmware newer than the running firmware is refused', async () => {
    const codes = await verdict(asVersion(3, (b) => (b[0x1ed] = 53)));
    expect(codes).toEqual(['ark-not-pinned', 'tcb-inconsistent']);
  });

  it('the genuine report meets a firmware floor of exactly its version, 1.52 build 4', async () => {
    const v = await verifySnpEvidence(
      { report, vcek: vectors.milanVcek() },
      { ...OPEN, minimumFirmware: { major: 1, minor: 52, build: 4 } },
      { now: NOW },
    );
    expect(v.firmware.current).toEqual({ major: 1, minor: 52, build: 4 });
  });

  it('a LAUNCH_TCB floor at the genuine launch TCB passes', async () => {
    await expect(
      verifySnpEvidence(
        { report, vcek: vectors.milanVcek() },
        { ...OPEN, minimumLaunchTcb: { Milan: { bootloader: 3, tee: 0, snp: 8, microcode: 115 } } },
        { now: NOW },
      ),
    ).resolves.toBeDefined();
  });
});

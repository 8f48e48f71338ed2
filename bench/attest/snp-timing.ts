/**
 * SEV-SNP verification timings, run the same way in Node and in Chromium (this file is bundled
 * for the page by esbuild; it imports only the browser-safe protocol core). "First": the very
 * first verification in a fresh process or page (code compiled lazily, nothing imported);
 * "cold": each later verification right after the key-import cache is cleared
 * (`timeSnpVerification`); "warm": repeated with the keys imported.
 */
import { timeSnpVerification } from '../../protocol/src/attest/sev/timing';
import { verifySnpEvidence } from '../../protocol/src/attest/sev/verify';
import { fromBase64, fromHex } from '../../protocol/src/bytes';

export interface SnpTimings {
  firstMs: number;
  coldMs: number[];
  warmMs: number[];
}

/** Inside the Milan VCEK's validity (2023-04-03 .. 2030-04-03). */
const NOW = new Date('2025-01-01T00:00:00Z');

export async function runSnpTimings(
  reportHex: string,
  vcekBase64: string,
  rounds: number,
  warmRuns: number,
): Promise<SnpTimings> {
  const report = fromHex(reportHex);
  const input = { report, vcek: fromBase64(vcekBase64) };
  // The policy a client applies: this release's measurement and the expected REPORT_DATA. The
  // 2023 vector is below AMD's bulletin floor for Milan, so its own TCB is the floor here: the
  // run times an accepting verification, every check included.
  const policy = {
    measurements: [report.slice(0x90, 0xc0)],
    reportData: report.slice(0x50, 0x90),
    minimumTcb: { Milan: { bootloader: 3, tee: 0, snp: 8, microcode: 115 } },
  };
  const t = performance.now();
  await verifySnpEvidence(input, policy, { now: NOW });
  const firstMs = performance.now() - t;
  const coldMs: number[] = [];
  const warmMs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const r = await timeSnpVerification(input, policy, { now: NOW, warmRuns });
    coldMs.push(r.coldMs);
    warmMs.push(...r.warmMs);
  }
  return { firstMs, coldMs, warmMs };
}

/**
 * Item 6: SEV-SNP verification (the genuine Milan report and VCEK from the virtee/sev vectors)
 * and TDX verification (the go-tdx-guest v4 quote with its full Intel PCS collateral) cold and
 * warm, in a fresh Node process and in a fresh headless Chromium profile (/usr/bin/chromium
 * through puppeteer-core, the verifier bundled by esbuild).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { runInChromium } from '../lib/in-chromium';
import type { SnpTimings } from '../attest/snp-timing';
import type { TdxBenchInput } from '../attest/tdx-timing';
import { REPO_ROOT } from '../lib/processes';
import { roundSummary, type Summary, summarize } from '../lib/stats';
import { CHROMIUM } from '../../e2e/support/chromium';

const VECTORS = resolve(REPO_ROOT, '../shared/vectors/sev-snp/virtee-sev');
const TDX_VECTORS = resolve(REPO_ROOT, '../shared/vectors/tdx/go-tdx-guest');

export interface AttestationRuntime {
  runtime: string;
  firstMs: number;
  coldMs: Summary;
  warmMs: Summary;
}

export interface AttestationResult {
  evidence: string;
  node: AttestationRuntime;
  chromium: AttestationRuntime | { skipped: string };
  /** The same for TDX (absent in results from before TDX was measured). */
  tdx?: {
    evidence: string;
    node: AttestationRuntime;
    chromium: AttestationRuntime | { skipped: string };
  };
}

function shape(runtime: string, t: SnpTimings): AttestationRuntime {
  return {
    runtime,
    firstMs: Number(t.firstMs.toFixed(2)),
    coldMs: roundSummary(summarize(t.coldMs)),
    warmMs: roundSummary(summarize(t.warmMs)),
  };
}

async function inNode(args: unknown[], main = 'bench/attest/node-main.ts'): Promise<SnpTimings> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', main, JSON.stringify(args)],
    { cwd: REPO_ROOT, maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!) as SnpTimings;
}

/** One timing run in a fresh headless Chromium page (bench/lib/in-chromium.ts). */
function inChromium(
  args: unknown[],
  entry = 'bench/attest/snp-timing.ts',
  fn = 'runSnpTimings',
): Promise<SnpTimings> {
  return runInChromium<SnpTimings>(resolve(REPO_ROOT, entry), fn, args);
}

export async function benchAttestation(
  rounds: number,
  warmRuns: number,
): Promise<AttestationResult> {
  const reportHex = readFileSync(join(VECTORS, 'report_milan.hex'), 'utf8').trim();
  const vcek = readFileSync(join(VECTORS, 'vcek_milan.der')).toString('base64');
  const args = [reportHex, vcek, rounds, warmRuns];
  const node = shape(`Node ${process.version}`, await inNode(args));
  const chromium = existsSync(CHROMIUM)
    ? shape('headless Chromium (/usr/bin/chromium)', await inChromium(args))
    : { skipped: `${CHROMIUM} not found` };
  const tdxInput: TdxBenchInput = {
    quoteHex: readFileSync(join(TDX_VECTORS, 'tdx_prod_quote_SPR_E4.dat')).toString('hex'),
    tcbInfo: readFileSync(join(TDX_VECTORS, 'sample_tcbInfo_response'), 'utf8'),
    qeIdentity: readFileSync(join(TDX_VECTORS, 'sample_qeIdentity_response'), 'utf8'),
    tcbSigningChain: readFileSync(join(TDX_VECTORS, 'tcb_signing_chain.txt'), 'utf8'),
    pckCrlBase64: readFileSync(join(TDX_VECTORS, 'pckcrl')).toString('base64'),
    rootCrlBase64: readFileSync(join(TDX_VECTORS, 'rootcrl.der')).toString('base64'),
  };
  const tdxArgs = [tdxInput, rounds, warmRuns];
  const tdxNode = shape(
    `Node ${process.version}`,
    await inNode(tdxArgs, 'bench/attest/tdx-node-main.ts'),
  );
  const tdxChromium = existsSync(CHROMIUM)
    ? shape(
        'headless Chromium (/usr/bin/chromium)',
        await inChromium(tdxArgs, 'bench/attest/tdx-timing.ts', 'runTdxTimings'),
      )
    : { skipped: `${CHROMIUM} not found` };
  return {
    evidence: 'virtee/sev report_milan.hex + vcek_milan.der (genuine Milan)',
    node,
    chromium,
    tdx: {
      evidence:
        "go-tdx-guest tdx_prod_quote_SPR_E4.dat + full 2023 Intel PCS collateral (9 signature checks; ends in the vector set's known refusal)",
      node: tdxNode,
      chromium: tdxChromium,
    },
  };
}

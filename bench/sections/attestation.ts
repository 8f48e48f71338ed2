/**
 * Item 6: SEV-SNP verification (the genuine Milan report and VCEK from the virtee/sev vectors)
 * cold and warm, in a fresh Node process and in a fresh headless Chromium profile
 * (/usr/bin/chromium through puppeteer-core, the verifier bundled by esbuild).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import type { SnpTimings } from '../attest/snp-timing';
import { REPO_ROOT } from '../lib/processes';
import { roundSummary, type Summary, summarize } from '../lib/stats';
import { CHROMIUM, launchChromium } from '../../e2e/support/chromium';

const VECTORS = resolve(REPO_ROOT, '../shared/vectors/sev-snp/virtee-sev');

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
}

function shape(runtime: string, t: SnpTimings): AttestationRuntime {
  return {
    runtime,
    firstMs: Number(t.firstMs.toFixed(2)),
    coldMs: roundSummary(summarize(t.coldMs)),
    warmMs: roundSummary(summarize(t.warmMs)),
  };
}

async function inNode(args: unknown[]): Promise<SnpTimings> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'bench/attest/node-main.ts', JSON.stringify(args)],
    { cwd: REPO_ROOT, maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!) as SnpTimings;
}

async function inChromium(args: unknown[]): Promise<SnpTimings> {
  const bundle = await build({
    entryPoints: [resolve(REPO_ROOT, 'bench/attest/snp-timing.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    logLevel: 'silent',
  });
  const js = bundle.outputFiles[0]!.contents;
  const html = `<!doctype html><meta charset="utf-8"><script type="module">
    import { runSnpTimings } from './snp.js';
    window.runSnpTimings = runSnpTimings;
    window.ready = true;
  </script>`;
  const server = createServer((req, res) => {
    if (req.url === '/snp.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    else if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const dir = mkdtempSync(join(tmpdir(), 'sotto-bench-chromium-'));
  const browser = await launchChromium({ userDataDir: join(dir, 'profile') });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.waitForFunction('window.ready === true');
    return (await page.evaluate(
      (a) =>
        (
          window as unknown as { runSnpTimings: (...x: unknown[]) => Promise<unknown> }
        ).runSnpTimings(...a),
      args,
    )) as SnpTimings;
  } finally {
    await browser.close();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  }
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
  return {
    evidence: 'virtee/sev report_milan.hex + vcek_milan.der (genuine Milan)',
    node,
    chromium,
  };
}

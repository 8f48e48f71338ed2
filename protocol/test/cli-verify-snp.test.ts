/**
 * `sotto verify snp` as a real subprocess (`node protocol/bin/sotto.js`),
 * against the genuine virtee/sev Milan evidence and tampered copies. `--now`
 * pins certificate validity so the test does not depend on today's date.
 */

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { toHex } from '../src/bytes';
import { flip, vectors } from './sev-fixtures';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VEC = '../shared/vectors/sev-snp/virtee-sev';
const NOW = '2025-06-01T00:00:00Z';
const MEASUREMENT =
  '7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f';
const report = vectors.milanReport();
const REPORT_DATA = toHex(report.slice(0x50, 0x90));

const tmp = mkdtempSync(join(tmpdir(), 'sotto-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function write(name: string, data: Uint8Array | string): string {
  const p = join(tmp, name);
  writeFileSync(p, data);
  return p;
}

function sotto(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', ['protocol/bin/sotto.js', ...args], { cwd: ROOT }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const base = ['verify', 'snp', '--vcek', `${VEC}/vcek_milan.der`, '--now', NOW];
/** The vector's own TCB, below AMD's bulletins: without it the built-in Milan floor refuses the report. */
const VECTOR_FLOOR = ['--min-tcb', 'bl=3,tee=0,snp=8,ucode=115'];

describe('sotto verify snp (subprocess)', () => {
  it('accepts the genuine Milan report (hex) at its own TCB as --min-tcb and prints one JSON object', async () => {
    const r = await sotto([
      ...base,
      ...VECTOR_FLOOR,
      '--report',
      `${VEC}/report_milan.hex`,
      '--measurement',
      '00'.repeat(48),
      '--measurement',
      MEASUREMENT,
      '--report-data',
      REPORT_DATA,
      '--json',
    ]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      ok: true,
      product: 'Milan',
      version: 2,
      measurement: MEASUREMENT,
      reportData: REPORT_DATA,
      policy: { debug: false, migrationAgent: false, smt: true, singleSocket: false },
      tcb: { reported: { bootloader: 3, tee: 0, snp: 8, microcode: 115 } },
      checked: { measurement: true, reportData: true },
      errors: [],
    });
    expect(j.chipId.startsWith('d49554ec')).toBe(true);
    expect(r.stderr).toBe('warning: revocation was not checked (no --crl)\n');
  });

  it('accepts a raw binary report, a PEM VCEK and an explicit chain (text output)', async () => {
    const bin = write('report.bin', report);
    const pem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(vectors.milanVcek()).toString('base64')}\n-----END CERTIFICATE-----\n`;
    const vcek = write('vcek.pem', pem);
    const r = await sotto([
      'verify',
      'snp',
      '--report',
      bin,
      '--vcek',
      vcek,
      '--chain',
      `${VEC}/cert_chain_milan`,
      '--now',
      NOW,
      ...VECTOR_FLOOR,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('SEV-SNP evidence: ACCEPTED');
    expect(r.stdout).toContain(`measurement: ${MEASUREMENT}`);
    expect(r.stderr).toContain('MEASUREMENT was not checked');
  });

  it('refuses a debug guest for policy and signature; --allow-debug leaves the signature', async () => {
    const debug = write('debug.hex', toHex(flip(report, 0x0a, 0x08)));
    const r = await sotto([...base, ...VECTOR_FLOOR, '--report', debug, '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.ok).toBe(false);
    expect(j.policy.debug).toBe(true);
    expect(j.errors.map((e: string) => e.split(':')[0]).sort()).toEqual([
      'policy-debug',
      'report-signature',
    ]);
    const allowed = await sotto([
      ...base,
      ...VECTOR_FLOOR,
      '--report',
      debug,
      '--json',
      '--allow-debug',
    ]);
    expect(allowed.code).toBe(1);
    expect(JSON.parse(allowed.stdout).errors.map((e: string) => e.split(':')[0])).toEqual([
      'report-signature',
    ]);
  });

  it('refuses a measurement outside the allowed set and a REPORT_DATA mismatch', async () => {
    const r = await sotto([
      ...base,
      ...VECTOR_FLOOR,
      '--report',
      `${VEC}/report_milan.hex`,
      '--measurement',
      'ab'.repeat(48),
      '--report-data',
      '00'.repeat(64),
      '--json',
    ]);
    expect(r.code).toBe(1);
    const codes = JSON.parse(r.stdout).errors.map((e: string) => e.split(':')[0]);
    expect(codes).toEqual(['measurement-not-allowed', 'report-data-mismatch']);
  });

  it('refuses a truncated report and a missing VCEK', async () => {
    const short = write('short.hex', toHex(report.slice(0, 1183)));
    const r = await sotto([...base, '--report', short, '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.version).toBeNull();
    expect(j.errors[0]).toMatch(/^report-malformed:/);
    const noVcek = await sotto([
      'verify',
      'snp',
      '--report',
      `${VEC}/report_milan.hex`,
      '--json',
      '--now',
      NOW,
    ]);
    expect(noVcek.code).toBe(1);
    expect(JSON.parse(noVcek.stdout).errors[0]).toMatch(/^vcek-missing:/);
  });

  it('exits 1, not 2, for a report that is neither 1184 bytes nor hex', async () => {
    const junk = write('junk.bin', vectors.milanVcek().slice(0, 1000));
    const r = await sotto([...base, '--report', junk, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).errors[0]).toMatch(/^report-malformed:/);
  });

  it("refuses the genuine Milan report by default (exit 1): its TCB is below AMD's bulletins", async () => {
    const r = await sotto([...base, '--report', `${VEC}/report_milan.hex`, '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      ok: false,
      product: 'Milan',
      tcb: { reported: { bootloader: 3, tee: 0, snp: 8, microcode: 115 } },
    });
    expect(j.errors).toEqual([
      'tcb-below-minimum: reported snp SPL 8 is below 29',
      'tcb-below-minimum: reported microcode SPL 115 is below 219',
    ]);
    const text = await sotto([...base, '--report', `${VEC}/report_milan.hex`]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('SEV-SNP evidence: REFUSED');
    expect(text.stdout).toContain('error: tcb-below-minimum: reported snp SPL 8 is below 29');
  });

  it('--min-tcb replaces the built-in floor: above the report refuses, below accepts', async () => {
    const report = ['--report', `${VEC}/report_milan.hex`, '--json'];
    const high = await sotto([...base, ...report, '--min-tcb', 'bl=3,tee=0,snp=9,ucode=115']);
    expect(high.code).toBe(1);
    expect(JSON.parse(high.stdout).errors).toEqual([
      'tcb-below-minimum: reported snp SPL 8 is below 9',
    ]);
    const low = await sotto([...base, ...report, '--min-tcb', 'bl=0,tee=0,snp=0,ucode=0']);
    expect(low.code).toBe(0);
    // One floor serves every product: its FMC (Turin only) does not apply to a Milan TCB.
    const fmc = await sotto([...base, ...report, '--min-tcb', 'bl=3,tee=0,snp=8,ucode=115,fmc=9']);
    expect(fmc.code).toBe(0);
    expect(JSON.parse(fmc.stdout).errors).toEqual([]);
    for (const bad of [
      'bl=3',
      'bl=3,tee=0,snp=9,ucode=256',
      'bl=1,bl=2,tee=0,snp=0,ucode=0',
      'x',
    ]) {
      expect((await sotto([...base, ...report, '--min-tcb', bad])).code, bad).toBe(2);
    }
  });

  it('exits 2 on usage errors and unknown commands; 0 for help', async () => {
    const [unknown, none, noReport, badHex, missing, help, sub] = await Promise.all([
      sotto(['frobnicate']),
      sotto([]),
      sotto(['verify', 'snp']),
      sotto(['verify', 'snp', '--report', `${VEC}/report_milan.hex`, '--measurement', 'zz']),
      sotto(['verify', 'snp', '--report', join(tmp, 'missing.bin')]),
      sotto(['--help']),
      sotto(['verify', 'snp', '--help']),
    ]);
    expect([unknown.code, none.code, noReport.code, badHex.code, missing.code]).toEqual([
      2, 2, 2, 2, 2,
    ]);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('verify snp');
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain('--report FILE');
  });
});

/**
 * `sotto verify tdx` as a real subprocess (`node protocol/bin/sotto.js`)
 * against the go-tdx-guest quote and its Intel PCS collateral in the form
 * PCS serves it (JSON bodies, DER CRLs, the URL-encoded issuer chain).
 * `--now` pins every validity check inside the collateral's window.
 */

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { AT, flip, tdxVectors } from './fixtures';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const VEC = '../shared/vectors/tdx/go-tdx-guest';
const NOW = ['--now', '2023-06-20T00:00:00Z'];
const QUOTE = ['--quote', `${VEC}/tdx_prod_quote_SPR_E4.dat`];
const MRTD =
  '6363b8043668a3ad953278e10389574d326c6749fb78aa810ecd9336923db86f22fc00b8dcd404bc10d5e119d7215cbb';
const COLLATERAL = [
  '--tcb-info',
  `${VEC}/sample_tcbInfo_response`,
  '--qe-identity',
  `${VEC}/sample_qeIdentity_response`,
  '--tcb-signing-chain',
  `${VEC}/tcb_signing_chain.txt`,
  '--pck-crl',
  `${VEC}/pckcrl`,
  '--root-crl',
  `${VEC}/rootcrl.der`,
];

const tmp = mkdtempSync(join(tmpdir(), 'sotto-tdx-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
function write(name: string, data: Uint8Array | string): string {
  const p = join(tmp, name);
  writeFileSync(p, data);
  return p;
}

function sotto(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'node',
      ['protocol/bin/sotto.js', 'verify', 'tdx', ...args],
      { cwd: ROOT },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('sotto verify tdx (subprocess)', () => {
  it('without collateral: signatures and chain verify, exit 0, and it says the TCB was not checked', async () => {
    const r = await sotto([...QUOTE, ...NOW, '--mrtd', MRTD, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      ok: true,
      version: 4,
      fmspc: '50806f000000',
      tcbStatus: null,
      mrTd: MRTD,
    });
    expect(j.rtmr).toHaveLength(4);
    expect(j.tdAttributes).toBe('0000004000000000');
    expect(j.errors).toEqual([]);
    expect(r.stderr).toContain('TCB was NOT checked');
  });

  it('with the PCS collateral: exit 1 naming the reasons (2025 TCB Signing re-issue, 2022 platform TCB)', async () => {
    const r = await sotto([...QUOTE, ...NOW, ...COLLATERAL, '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.ok).toBe(false);
    expect(j.errors.map((e: string) => e.split(':')[0])).toEqual([
      'cert-validity',
      'tcb-level-none',
    ]);
  });

  it('a wrong --mrtd or --rtmr, or a wrong --report-data, is refused with exit 1', async () => {
    const other = '00'.repeat(48);
    expect((await sotto([...QUOTE, ...NOW, '--mrtd', other])).code).toBe(1);
    expect((await sotto([...QUOTE, ...NOW, '--mrtd', MRTD, '--rtmr', `1=${other}`])).code).toBe(1);
    expect((await sotto([...QUOTE, ...NOW, '--report-data', '00'.repeat(64)])).code).toBe(1);
  });

  it('a malformed or tampered quote exits 1, not 2', async () => {
    const q = tdxVectors.quote();
    const truncated = await sotto([
      '--quote',
      write('t.dat', q.subarray(0, 700)),
      ...NOW,
      '--json',
    ]);
    expect(truncated.code).toBe(1);
    expect(JSON.parse(truncated.stdout).errors[0]).toMatch(/^quote-malformed/);
    const tampered = await sotto(['--quote', write('m.dat', flip(q, AT.MR_TD)), ...NOW]);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toContain('quote-signature');
  });

  it('usage errors exit 2', async () => {
    expect((await sotto([])).code).toBe(2);
    expect((await sotto([...QUOTE, '--rtmr', '5=00'])).code).toBe(2);
    expect((await sotto([...QUOTE, '--allow-tcb', 'Fine'])).code).toBe(2);
    expect((await sotto([...QUOTE, '--now', 'yesterday'])).code).toBe(2);
    expect((await sotto(['--quote', join(tmp, 'missing.dat')])).code).toBe(2);
  });
});

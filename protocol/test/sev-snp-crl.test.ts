/**
 * SEV-SNP revocation: the ARK-signed CRL of AMD KDS (pub. 57230 §4.2). No
 * genuine AMD CRL is among the public vectors, so the CRLs here are made in
 * the test (RSASSA-PSS SHA-384, as AMD signs them) by a self-made ARK: the
 * checks are exercised against that ARK directly, and through the verifier
 * (which checks against the pinned ARK) every such CRL is refused.
 */

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkSnpCrl, parseSnpCertificate, verifySnpEvidence } from '../src/attest/sev';
import { toBase64 } from '../src/bytes';
import { type EvidenceBundle, verifyEvidence } from '../src/evidence';
import { makeCrl } from './sev-crl-fixtures';
import { forgeMilanChain, NOW, OPEN, refusalCodes, vectors } from './sev-fixtures';

const pem = (der: Uint8Array) =>
  `-----BEGIN X509 CRL-----\n${toBase64(der)}\n-----END X509 CRL-----\n`;

describe('the ARK-signed CRL', () => {
  it('revokes the ASK and VCEK it lists; a CRL listing neither passes; PEM is accepted', async () => {
    const f = await forgeMilanChain();
    const ark = parseSnpCertificate(f.ark);
    const subjects = [
      { role: 'ASK', cert: parseSnpCertificate(f.ask) },
      { role: 'VCEK', cert: parseSnpCertificate(f.vcek) },
    ];
    // The forger gives every certificate serial 1.
    const revoking = await makeCrl({
      signer: f.arkKeys.privateKey,
      revoked: [new Uint8Array([1])],
    });
    const codes = (await checkSnpCrl({ crl: revoking, ark, subjects, now: NOW })).map(
      (x) => x.detail,
    );
    expect(codes).toEqual(['the ASK is revoked', 'the VCEK is revoked']);
    const clean = await makeCrl({ signer: f.arkKeys.privateKey, revoked: [new Uint8Array([2])] });
    expect(await checkSnpCrl({ crl: clean, ark, subjects, now: NOW })).toEqual([]);
    expect(await checkSnpCrl({ crl: pem(clean), ark, subjects, now: NOW })).toEqual([]);
  });

  it('is refused when stale, not yet current, signed by another key, or malformed', async () => {
    const f = await forgeMilanChain();
    const ark = parseSnpCertificate(f.ark);
    const crl = await makeCrl({ signer: f.arkKeys.privateKey, revoked: [] });
    const code = async (c: Uint8Array, now = NOW) =>
      (await checkSnpCrl({ crl: c, ark, subjects: [], now })).map((x) => x.code);
    expect(await code(crl, new Date('2025-08-01T00:00:00Z'))).toEqual(['crl-validity']);
    expect(await code(crl, new Date('2025-04-01T00:00:00Z'))).toEqual(['crl-validity']);
    const other = await forgeMilanChain();
    expect(await code(await makeCrl({ signer: other.arkKeys.privateKey, revoked: [] }))).toEqual([
      'crl-signature',
    ]);
    const tampered = crl.slice();
    tampered[tampered.length - 1]! ^= 1;
    expect(await code(tampered)).toEqual(['crl-signature']);
    expect(await code(new Uint8Array([0x30, 0x03, 1, 2, 3]))).toEqual(['crl-malformed']);
  });

  it('through the verifier, a CRL not signed by the pinned ARK refuses genuine evidence', async () => {
    const f = await forgeMilanChain();
    const crl = await makeCrl({ signer: f.arkKeys.privateKey, revoked: [] });
    const input = { report: vectors.milanReport(), vcek: vectors.milanVcek(), crl };
    expect(await refusalCodes(verifySnpEvidence(input, OPEN, { now: NOW }))).toEqual([
      'crl-signature',
    ]);
    const ok = await verifySnpEvidence({ ...input, crl: undefined }, OPEN, { now: NOW });
    expect(ok.checked.revocation).toBe(false);
  });

  it('travels in the evidence bundle and is checked there', async () => {
    const f = await forgeMilanChain();
    const report = vectors.milanReport();
    const bundle: EvidenceBundle = {
      platform: 'sev-snp',
      report,
      certificates: { vcek: vectors.milanVcek() },
      keyConfigs: new Uint8Array([1, 0, 0x20]),
      model: { name: 'm', sha256: new Uint8Array(32) },
      release: { id: 'r' },
      keyCreatedAt: NOW,
      collateral: { arkCrl: await makeCrl({ signer: f.arkKeys.privateKey, revoked: [] }) },
    };
    const measurement = Buffer.from(report.subarray(0x90, 0xc0)).toString('hex');
    const e = await verifyEvidence(bundle, { now: NOW, allowedMeasurements: [measurement] }).catch(
      (x: { reasons: string[] }) => x,
    );
    expect((e as { reasons: string[] }).reasons.some((r) => r.startsWith('crl-signature'))).toBe(
      true,
    );
  });
});

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'sotto-snp-crl-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('sotto verify snp --crl (subprocess)', () => {
  it("refuses with exit 1 when the CRL is not the ARK's", async () => {
    const f = await forgeMilanChain();
    const path = join(tmp, 'crl.der');
    writeFileSync(path, await makeCrl({ signer: f.arkKeys.privateKey, revoked: [] }));
    const VEC = '../shared/vectors/sev-snp/virtee-sev';
    const args = ['protocol/bin/sotto.js', 'verify', 'snp', '--report', `${VEC}/report_milan.hex`];
    args.push(
      // The vector's own TCB (below AMD's bulletins), so the CRL is the only refusal.
      '--min-tcb',
      'bl=3,tee=0,snp=8,ucode=115',
      '--vcek',
      `${VEC}/vcek_milan.der`,
      '--now',
      NOW.toISOString(),
      '--crl',
      path,
      '--json',
    );
    const r = await new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile('node', args, { cwd: ROOT }, (err, stdout) =>
        resolve({ code: err ? Number(err.code) : 0, stdout }),
      ),
    );
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).checked.revocation).toBe(true);
    expect(JSON.parse(r.stdout).errors[0]).toMatch(/^crl-signature:/);
  });
});

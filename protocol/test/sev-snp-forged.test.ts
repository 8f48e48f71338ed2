/**
 * Self-made AMD look-alike chains: RSASSA-PSS ARK/ASK and P-384 VCEKs made
 * with WebCrypto in the test, carrying AMD's names and the real VCEK's
 * extensions, with reports re-signed by the forged VCEK. Only the pinned roots
 * stand between these and acceptance; each is refused for exactly that reason.
 */

import { describe, expect, it } from 'vitest';
import { verifySnpEvidence } from '../src/attest/sev';
import {
  flip,
  forgeMilanChain,
  makeCert,
  milanNames,
  NOW,
  OPEN,
  p384KeyPair,
  refusalCodes,
  resignReport,
  rsaPssKeyPair,
  vcekExtensionValues,
  vectors,
} from './sev-fixtures';

const report = vectors.milanReport();
const toPem = (der: Uint8Array) =>
  `-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString('base64')}\n-----END CERTIFICATE-----\n`;

describe('self-made chains', () => {
  it('a forged chain is internally consistent (our forger is sound)', async () => {
    const f = await forgeMilanChain();
    // Only the pin fails: every signature and name in the forgery checks out.
    const forged = await resignReport(report, f.vcekKeys.privateKey);
    const codes = await refusalCodes(
      verifySnpEvidence({ report: forged, vcek: f.vcek, chain: { ask: f.ask, ark: f.ark } }, OPEN, {
        now: NOW,
      }),
    );
    expect(codes).toEqual(['ark-not-pinned']);
  });

  it('self-made ARK and ASK with the genuine VCEK and report', async () => {
    const f = await forgeMilanChain();
    const codes = await refusalCodes(
      verifySnpEvidence(
        { report, vcek: vectors.milanVcek(), chain: toPem(f.ask) + toPem(f.ark) },
        OPEN,
        { now: NOW },
      ),
    );
    expect(codes).toEqual(['ark-not-pinned', 'vcek-signature']);
  });

  it('pinned ARK, forged ASK, forged VCEK, re-signed report', async () => {
    const f = await forgeMilanChain();
    const forged = await resignReport(report, f.vcekKeys.privateKey);
    const codes = await refusalCodes(
      verifySnpEvidence(
        { report: forged, vcek: f.vcek, chain: { ask: f.ask, ark: vectors.pem('milan', 'ark') } },
        OPEN,
        { now: NOW },
      ),
    );
    expect(codes).toEqual(['ask-signature']);
  });

  it('forged VCEK under the pinned chain, re-signed report', async () => {
    const f = await forgeMilanChain();
    const forged = await resignReport(report, f.vcekKeys.privateKey);
    const codes = await refusalCodes(
      verifySnpEvidence({ report: forged, vcek: f.vcek }, OPEN, { now: NOW }),
    );
    expect(codes).toEqual(['vcek-signature']);
  });

  it('debug guest signed by a forged chain: both the pin and the policy refuse', async () => {
    const f = await forgeMilanChain();
    const forged = await resignReport(flip(report, 0x0a, 0x08), f.vcekKeys.privateKey);
    const input = { report: forged, vcek: f.vcek, chain: { ask: f.ask, ark: f.ark } };
    expect(await refusalCodes(verifySnpEvidence(input, OPEN, { now: NOW }))).toEqual([
      'ark-not-pinned',
      'policy-debug',
    ]);
    const allowed = { ...OPEN, allowDebug: true };
    expect(await refusalCodes(verifySnpEvidence(input, allowed, { now: NOW }))).toEqual([
      'ark-not-pinned',
    ]);
  });

  it('a v3 report whose CPUID names Genoa, with a Milan VCEK', async () => {
    const f = await forgeMilanChain();
    const v3 = report.slice();
    v3[0] = 3;
    v3[0x188] = 0x19;
    v3[0x189] = 0x11;
    const forged = await resignReport(v3, f.vcekKeys.privateKey);
    const codes = await refusalCodes(
      verifySnpEvidence({ report: forged, vcek: f.vcek }, OPEN, { now: NOW }),
    );
    // Read as Genoa, the Milan TCB (BL 3, SNP 8) is also below Genoa's bulletin floor.
    expect(codes).toEqual([
      'cert-issuer-mismatch',
      'product-mismatch',
      'tcb-below-minimum',
      'vcek-signature',
    ]);
  });

  it('a VCEK whose key is RSA, not P-384', async () => {
    const names = milanNames();
    const ask = await rsaPssKeyPair();
    const ark = await rsaPssKeyPair();
    const arkDer = await makeCert({
      subject: names.ark,
      issuer: names.ark,
      publicKey: ark.publicKey,
      signer: ark.privateKey,
    });
    const askDer = await makeCert({
      subject: names.ask,
      issuer: names.ark,
      publicKey: ask.publicKey,
      signer: ark.privateKey,
    });
    const vcekDer = await makeCert({
      subject: names.vcek,
      issuer: names.ask,
      publicKey: (await rsaPssKeyPair()).publicKey,
      signer: ask.privateKey,
      extensions: vcekExtensionValues(vectors.milanVcek()),
    });
    const codes = await refusalCodes(
      verifySnpEvidence({ report, vcek: vcekDer, chain: { ask: askDer, ark: arkDer } }, OPEN, {
        now: NOW,
      }),
    );
    expect(codes).toEqual(['ark-not-pinned', 'vcek-key-algorithm']);
  });

  it('a VCEK without AMD extensions: v2 names no product; v3 does, then the extensions are missing', async () => {
    const f = await forgeMilanChain();
    const names = milanNames();
    const vcekKeys = await p384KeyPair();
    const askKeys = await rsaPssKeyPair();
    const ask = await makeCert({
      subject: names.ask,
      issuer: names.ark,
      publicKey: askKeys.publicKey,
      signer: askKeys.privateKey,
    });
    const vcek = await makeCert({
      subject: names.vcek,
      issuer: names.ask,
      publicKey: vcekKeys.publicKey,
      signer: askKeys.privateKey,
    });
    const chain = { ask, ark: f.ark };
    const v2 = await resignReport(report, vcekKeys.privateKey);
    expect(
      await refusalCodes(verifySnpEvidence({ report: v2, vcek, chain }, OPEN, { now: NOW })),
    ).toEqual(['product-unknown', 'vcek-extension']);
    const v3 = report.slice();
    v3[0] = 3;
    v3[0x188] = 0x19;
    v3[0x189] = 0x01;
    const signed = await resignReport(v3, vcekKeys.privateKey);
    expect(
      await refusalCodes(verifySnpEvidence({ report: signed, vcek, chain }, OPEN, { now: NOW })),
    ).toEqual(['ark-not-pinned', 'ask-signature', 'vcek-extension']);
  });
});

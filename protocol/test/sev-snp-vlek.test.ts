/**
 * VLEK-signed SEV-SNP reports (AMD pub. 57230 §2.3): VLEK → ASVK → pinned
 * ARK, the ASVK supplied with the evidence (it is not pinned; the ARK's
 * signature makes it trusted). No real VLEK evidence is public, so the
 * VLEK and ASVK are made in the test: the VLEK carries the real Milan VCEK's
 * TCB extensions, a CSP_ID and no HWID, and re-signs the genuine report
 * marked VLEK-signed. Only the self-made root stands between it and
 * acceptance; every mix-up of VCEK and VLEK is refused.
 */

import { describe, expect, it } from 'vitest';
import { verifySnpEvidence } from '../src/attest/sev';
import {
  forgeMilanChain,
  makeCert,
  milanNames,
  NOW,
  OPEN,
  p384KeyPair,
  refusalCodes,
  resignReport,
  vcekExtensionValues,
  vectors,
} from './sev-fixtures';

const HW_ID = '1.3.6.1.4.1.3704.1.4';
const CSP_ID = '1.3.6.1.4.1.3704.1.5';
/** IA5String "acme". */
const CSP_ID_VALUE = new Uint8Array([0x16, 0x04, 0x61, 0x63, 0x6d, 0x65]);

/** The genuine Milan report with KEY_INFO SIGNING_KEY = 1 (VLEK). */
function vlekSigned(): Uint8Array {
  const b = vectors.milanReport();
  b[0x48] = (b[0x48]! & ~0x1c) | (1 << 2);
  return b;
}

async function forgeVlek() {
  const f = await forgeMilanChain();
  const names = milanNames();
  const ext = vcekExtensionValues(vectors.milanVcek());
  ext.delete(HW_ID);
  ext.set(CSP_ID, CSP_ID_VALUE);
  const keys = await p384KeyPair();
  // The ASVK stands where the ASK does: signed by the (self-made) ARK.
  const vlek = await makeCert({
    subject: names.vcek,
    issuer: names.ask,
    publicKey: keys.publicKey,
    signer: f.askKeys.privateKey,
    extensions: ext,
    notBefore: new Date('2023-01-01T00:00:00Z'),
    notAfter: new Date('2030-01-01T00:00:00Z'),
  });
  return { ...f, asvk: f.ask, vlek, vlekKeys: keys };
}

describe('VLEK-signed reports', () => {
  it('VLEK → ASVK → ARK verifies; only the self-made ARK is refused', async () => {
    const v = await forgeVlek();
    const report = await resignReport(vlekSigned(), v.vlekKeys.privateKey);
    const codes = await refusalCodes(
      verifySnpEvidence({ report, vcek: v.vlek, chain: { ask: v.asvk, ark: v.ark } }, OPEN, {
        now: NOW,
      }),
    );
    expect(codes).toEqual(['ark-not-pinned']);
  });

  it('an ASVK not signed by the pinned ARK is refused', async () => {
    const v = await forgeVlek();
    const report = await resignReport(vlekSigned(), v.vlekKeys.privateKey);
    const chain = { ask: v.asvk, ark: vectors.pem('milan', 'ark') };
    expect(
      await refusalCodes(verifySnpEvidence({ report, vcek: v.vlek, chain }, OPEN, { now: NOW })),
    ).toEqual(['ask-signature']);
  });

  it('a VLEK report needs its ASVK chain: the pinned ASK is not used for it', async () => {
    const v = await forgeVlek();
    const report = await resignReport(vlekSigned(), v.vlekKeys.privateKey);
    expect(
      await refusalCodes(verifySnpEvidence({ report, vcek: v.vlek }, OPEN, { now: NOW })),
    ).toEqual(['chain-malformed']);
  });

  it('a VCEK-signed report with a VLEK certificate is refused', async () => {
    const v = await forgeVlek();
    const report = await resignReport(vectors.milanReport(), v.vlekKeys.privateKey);
    const codes = await refusalCodes(
      verifySnpEvidence({ report, vcek: v.vlek, chain: { ask: v.asvk, ark: v.ark } }, OPEN, {
        now: NOW,
      }),
    );
    expect(codes).toContain('signing-key-mismatch');
    expect(codes).toContain('vcek-extension'); // and, as a VCEK, it has no HWID
  });
});

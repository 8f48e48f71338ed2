/**
 * The TDX verifier against a real Intel TDX v4 quote (google/go-tdx-guest
 * `tdx_prod_quote_SPR_E4.dat`) and its 2023 Intel PCS collateral, at a fixed
 * clock inside the collateral's window; every tampering refused with a reason.
 */

import { describe, expect, it } from 'vitest';
import {
  evaluateTdxTcb,
  parseCertificateChain,
  parseCrl,
  parseTdxQeIdentity,
  parseTdxQuote,
  parseTdxTcbInfo,
  readPckExtensions,
  tdxReasonCodes,
  type TdxReasonCode,
  verifyTdxQuote,
} from '../../src/attest/tdx';
import { checkPckChain } from '../../src/attest/tdx/cert-chain';
import { fromHex, toHex } from '../../src/bytes';
import { VerificationError } from '../../src/errors';
import {
  AT,
  crls,
  flip,
  fullCollateral,
  OPEN_TDX,
  TCB_SIGNER_NOT_BEFORE,
  TDX_NOW,
  tdxVectors,
} from './fixtures';

async function refusal(p: Promise<unknown>): Promise<TdxReasonCode[]> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(VerificationError);
  return tdxReasonCodes(e as VerificationError);
}

const MRTD =
  '6363b8043668a3ad953278e10389574d326c6749fb78aa810ecd9336923db86f22fc00b8dcd404bc10d5e119d7215cbb';

describe('a genuine TDX v4 quote', () => {
  it('parses: version 4, TDX, 39 trailing bytes ignored, Sapphire Rapids FMSPC', () => {
    const q = parseTdxQuote(tdxVectors.quote());
    expect(q.version).toBe(4);
    expect(q.teeType).toBe(0x81);
    expect(q.trailingBytes).toBe(39);
    expect(toHex(q.td.mrTd)).toBe(MRTD);
    const leaf = parseCertificateChain(q.pckChainPem)[0]!;
    expect(toHex(readPckExtensions(leaf).fmspc)).toBe('50806f000000');
  });

  it('verifies signatures, QE report and PCK chain with no collateral, and says the TCB is unchecked', async () => {
    const v = await verifyTdxQuote(tdxVectors.quote(), {}, OPEN_TDX, { now: TDX_NOW });
    expect(v.fmspc).toBe('50806f000000');
    expect(v.tcbStatus).toBeUndefined();
    expect(v.checked).toEqual({
      revocation: false,
      tcb: false,
      measurements: false,
      reportData: false,
    });
  });

  it('verifies against both CRLs (the PCK is not revoked) and the release policy', async () => {
    const q = parseTdxQuote(tdxVectors.quote());
    const v = await verifyTdxQuote(
      tdxVectors.quote(),
      crls(),
      {
        measurements: [
          {
            mrTd: MRTD,
            rtmr0: toHex(q.td.rtmr[0]),
            rtmr1: toHex(q.td.rtmr[1]),
            rtmr2: toHex(q.td.rtmr[2]),
          },
        ],
        reportData: q.td.reportData,
      },
      { now: TDX_NOW },
    );
    expect(v.checked.revocation).toBe(true);
    expect(v.checked.measurements).toBe(true);
    expect(v.tdAttributes).toBe('0000004000000000');
  });

  it('with full collateral: refused only for what the 2023 vector set cannot satisfy', async () => {
    // The vector TCB Signing certificate was re-issued in 2025 (same key: the
    // signatures verify), and this 2022 platform's TCB (PCK SGX components,
    // TDX late-microcode SVN 4) is below both levels of the June 2023 TCB
    // Info: both are real refusals.
    const codes = await refusal(
      verifyTdxQuote(tdxVectors.quote(), fullCollateral(), OPEN_TDX, { now: TDX_NOW }),
    );
    expect(codes).toEqual(['cert-validity', 'tcb-level-none']);
  });

  it('collateral signatures verify with the TCB Signing key (only the signer certificate date and TCB level fail)', async () => {
    const e = await verifyTdxQuote(tdxVectors.quote(), fullCollateral(), OPEN_TDX, {
      now: TDX_NOW,
    }).catch((x: VerificationError) => x);
    expect((e as VerificationError).reasons.join('\n')).toContain(
      'TCB Signing certificate valid 2025-05-06',
    );
    expect(TCB_SIGNER_NOT_BEFORE.getTime()).toBeGreaterThan(TDX_NOW.getTime());
  });

  it('tolerates a padded buffer (4 KiB of zeros after the quote)', async () => {
    const q = tdxVectors.quote();
    const padded = new Uint8Array(q.length + 4096);
    padded.set(q);
    await expect(verifyTdxQuote(padded, crls(), OPEN_TDX, { now: TDX_NOW })).resolves.toBeDefined();
  });
});

describe('TCB status from the collateral (the signed objects, re-evaluated)', () => {
  const quote = parseTdxQuote(tdxVectors.quote());
  const pck = readPckExtensions(parseCertificateChain(quote.pckChainPem)[0]!);
  const tcbInfo = parseTdxTcbInfo(tdxVectors.tcbInfo()).value;
  const qeIdentity = parseTdxQeIdentity(tdxVectors.qeIdentity()).value;
  /** Each level lowered to this platform's SGX components and the given TDX late-microcode SVN. */
  const withLateMicrocode = (svn: number) => ({
    ...tcbInfo,
    tcbLevels: tcbInfo.tcbLevels.map((l) => ({
      ...l,
      sgxTcbComponents: l.sgxTcbComponents.map((c, i) => Math.min(c, pck.sgxTcbComponents[i]!)),
      tdxTcbComponents: l.tdxTcbComponents.map((c, i) => (i === 2 ? svn : c)),
    })),
  });

  it('no level matches as published (PCK SGX components and TEE_TCB_SVN[2] = 4 are below both levels)', () => {
    const e = evaluateTdxTcb(quote, pck, tcbInfo, qeIdentity);
    expect(e.status).toBeUndefined();
    expect(e.failures.map((f) => f.code)).toEqual(['tcb-level-none']);
    expect(e.qeStatus).toBe('UpToDate');
  });

  it('UpToDate once the TDX level is at or below the platform', () => {
    const e = evaluateTdxTcb(quote, pck, withLateMicrocode(4), qeIdentity);
    expect(e.failures).toEqual([]);
    expect(e.status).toBe('UpToDate');
  });

  it('OutOfDate when only the lower level matches (PCESVN), with its advisories', () => {
    const info = withLateMicrocode(4);
    const e = evaluateTdxTcb(quote, { ...pck, pceSvn: 5 }, info, qeIdentity);
    expect(e.status).toBe('OutOfDate');
    expect(e.advisoryIds).toContain('INTEL-SA-00106');
  });

  it('an out-of-date QE makes an up-to-date platform OutOfDate', () => {
    const qe = {
      ...qeIdentity,
      tcbLevels: [
        { isvSvn: 99, tcbStatus: 'UpToDate' as const, advisoryIds: [] },
        { isvSvn: 0, tcbStatus: 'OutOfDate' as const, advisoryIds: [] },
      ],
    };
    expect(evaluateTdxTcb(quote, pck, withLateMicrocode(4), qe).status).toBe('OutOfDate');
  });

  it('refuses a wrong FMSPC and PCE-ID', () => {
    const e = evaluateTdxTcb(
      quote,
      { ...pck, fmspc: fromHex('00906ed50000'), pceId: fromHex('0100') },
      withLateMicrocode(4),
      qeIdentity,
    );
    expect(e.failures.map((f) => f.code)).toEqual(['tcb-info-mismatch', 'tcb-info-mismatch']);
  });

  it('refuses a QE whose MRSIGNER or ISVPRODID is not the QE Identity', () => {
    const qe = { ...qeIdentity, mrSigner: new Uint8Array(32), isvProdId: 1 };
    const codes = evaluateTdxTcb(quote, pck, withLateMicrocode(4), qe).failures.map((f) => f.code);
    expect(codes).toEqual(['qe-identity-mismatch', 'qe-identity-mismatch']);
  });

  it('a TDX 1.5 module (major version > 0) needs its TDX_nn identity', () => {
    const svn = quote.td.teeTcbSvn.slice();
    svn[1] = 1;
    const q15 = { ...quote, td: { ...quote.td, teeTcbSvn: svn } };
    expect(
      evaluateTdxTcb(q15, pck, withLateMicrocode(4), qeIdentity).failures.map((f) => f.code),
    ).toEqual(['tdx-module-identity']);
    const info = {
      ...withLateMicrocode(4),
      tdxModuleIdentities: [
        {
          id: 'TDX_01',
          mrSigner: new Uint8Array(48),
          attributes: new Uint8Array(8),
          attributesMask: new Uint8Array(8).fill(0xff),
          tcbLevels: [
            { isvSvn: 5, tcbStatus: 'UpToDate' as const, advisoryIds: [] },
            { isvSvn: 2, tcbStatus: 'OutOfDate' as const, advisoryIds: ['INTEL-SA-00837'] },
          ],
        },
      ],
    };
    const e = evaluateTdxTcb(q15, pck, info, qeIdentity);
    expect(e.moduleStatus).toBe('OutOfDate');
    expect(e.status).toBe('OutOfDate');
  });
});

describe('tampered quotes are refused with a reason', () => {
  const q = tdxVectors.quote();
  const now = { now: TDX_NOW };
  const cases: [string, number, TdxReasonCode][] = [
    ['header (attestation key type)', 2, 'quote-signature'],
    ['header (user data)', 28, 'quote-signature'],
    ['TEE_TCB_SVN', AT.BODY, 'quote-signature'],
    ['MRTD', AT.MR_TD, 'quote-signature'],
    ['RTMR0', AT.RTMR0, 'quote-signature'],
    ['RTMR2', AT.RTMR0 + 2 * 48 + 47, 'quote-signature'],
    ['REPORTDATA', AT.REPORT_DATA + 63, 'quote-signature'],
    ['quote signature r', AT.SIGNATURE, 'quote-signature'],
    ['quote signature s', AT.SIGNATURE + 63, 'quote-signature'],
    ['attestation key', AT.ATTESTATION_KEY + 10, 'qe-report-data'],
    ['QE report (ISVSVN)', AT.QE_REPORT + 258, 'qe-report-signature'],
    ['QE report (REPORTDATA)', AT.QE_REPORT + 320, 'qe-report-signature'],
    ['QE report signature', AT.QE_REPORT_SIGNATURE + 5, 'qe-report-signature'],
    ['QE auth data', AT.QE_AUTH_SIZE + 2, 'qe-report-data'],
  ];
  for (const [what, at, code] of cases) {
    it(`${what} (byte ${at})`, async () => {
      expect(await refusal(verifyTdxQuote(flip(q, at), {}, OPEN_TDX, now))).toContain(code);
    });
  }

  it('debug TD (TD_ATTRIBUTES bit 0)', async () => {
    const codes = await refusal(verifyTdxQuote(flip(q, AT.TD_ATTRIBUTES), {}, OPEN_TDX, now));
    expect(codes).toContain('td-debug');
    expect(codes).toContain('quote-signature');
  });

  it('a quote that is not TDX, or not Intel QE', async () => {
    expect(await refusal(verifyTdxQuote(flip(q, 4, 0x81), {}, OPEN_TDX, now))).toContain(
      'quote-not-tdx',
    );
    expect(await refusal(verifyTdxQuote(flip(q, 12), {}, OPEN_TDX, now))).toContain(
      'quote-vendor-unknown',
    );
  });

  it('every truncation is malformed, never a crash', async () => {
    const end = q.length - 39;
    for (const n of [0, 10, 47, 48, 300, 631, 632, 635, 700, 770, 1154, 1218, 1300, end - 1]) {
      expect(await refusal(verifyTdxQuote(q.subarray(0, n), {}, OPEN_TDX, now))).toEqual([
        'quote-malformed',
      ]);
    }
  });

  it('quote versions other than 4 and 5 are unsupported', async () => {
    expect(await refusal(verifyTdxQuote(flip(q, 0, 0x07), {}, OPEN_TDX, now))).toEqual([
      'quote-version-unsupported',
    ]);
  });

  it('a signature-data length that takes in one padding byte is malformed', async () => {
    const b = q.slice();
    const dv = new DataView(b.buffer);
    dv.setUint32(AT.SIG_LEN, dv.getUint32(AT.SIG_LEN, true) + 1, true);
    expect(await refusal(verifyTdxQuote(b, {}, OPEN_TDX, now))).toEqual(['quote-malformed']);
  });

  it('an oversized signature-data length is malformed', async () => {
    const b = q.slice();
    new DataView(b.buffer).setUint32(AT.SIG_LEN, 0xfffffff0, true);
    expect(await refusal(verifyTdxQuote(b, {}, OPEN_TDX, now))).toEqual(['quote-malformed']);
  });
});

describe('the PCK chain and CRLs', () => {
  const q = tdxVectors.quote();
  const quote = parseTdxQuote(q);
  const pems = quote.pckChainPem.match(
    /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g,
  )!;

  it('expired and not-yet-valid clocks', async () => {
    expect(
      await refusal(verifyTdxQuote(q, {}, OPEN_TDX, { now: new Date('2030-01-01T00:00:00Z') })),
    ).toContain('cert-validity');
    expect(
      await refusal(verifyTdxQuote(q, {}, OPEN_TDX, { now: new Date('2022-01-01T00:00:00Z') })),
    ).toContain('cert-validity');
    expect(
      await refusal(verifyTdxQuote(q, crls(), OPEN_TDX, { now: new Date('2023-07-10T00:00:00Z') })),
    ).toEqual(['crl-validity']);
    expect(
      await refusal(verifyTdxQuote(q, crls(), OPEN_TDX, { now: new Date('2023-06-01T00:00:00Z') })),
    ).toEqual(['crl-validity']);
  });

  it('a chain in the wrong order or with a swapped root', async () => {
    const swapped = { leaf: pems[1]!, ca: pems[0]!, root: pems[2]! };
    const out = await checkPckChain({
      pem: [swapped.leaf, swapped.ca, swapped.root].join('\n'),
      now: TDX_NOW,
    });
    expect(out.failures.map((f) => f.code)).toContain('pck-chain-malformed');
    const noRoot = await checkPckChain({
      pem: [pems[0], pems[1], pems[1]].join('\n'),
      now: TDX_NOW,
    });
    expect(noRoot.failures.map((f) => f.code)).toContain('root-not-pinned');
    const two = await checkPckChain({ pem: [pems[0], pems[2]].join('\n'), now: TDX_NOW });
    expect(two.failures.map((f) => f.code)).toEqual(['pck-chain-malformed']);
  });

  it('a revoked PCK on the CRL', async () => {
    // Intel's CRL is genuine; the leaf's serial is added to what it revokes.
    const leaf = parseCertificateChain(quote.pckChainPem)[0]!;
    const serial = toHex(new Uint8Array(leaf.asn.tbsCertificate.serialNumber)).replace(
      /^(00)+/,
      '',
    );
    const pckCrl = parseCrl(tdxVectors.pckCrl());
    const revoked = { ...pckCrl, revoked: new Set([...pckCrl.revoked, serial]) };
    const out = await checkPckChain({
      pem: quote.pckChainPem,
      crls: { pckCrl: revoked, rootCrl: parseCrl(tdxVectors.rootCrl()) },
      now: TDX_NOW,
    });
    expect(out.failures.map((f) => f.code)).toEqual(['cert-revoked']);
  });

  it('CRLs swapped, tampered, or one without the other', async () => {
    const c = crls();
    expect(
      await refusal(
        verifyTdxQuote(q, { pckCrl: c.rootCrl, rootCrl: c.pckCrl }, OPEN_TDX, { now: TDX_NOW }),
      ),
    ).toContain('crl-issuer');
    const bad = (c.pckCrl as Uint8Array).slice();
    bad[bad.length - 10]! ^= 1;
    expect(
      await refusal(verifyTdxQuote(q, { ...c, pckCrl: bad }, OPEN_TDX, { now: TDX_NOW })),
    ).toContain('crl-signature');
    expect(
      await refusal(verifyTdxQuote(q, { pckCrl: c.pckCrl }, OPEN_TDX, { now: TDX_NOW })),
    ).toContain('crl-malformed');
    expect(
      await refusal(
        verifyTdxQuote(q, { ...c, rootCrl: new Uint8Array([0x30, 0x03, 1, 2, 3]) }, OPEN_TDX, {
          now: TDX_NOW,
        }),
      ),
    ).toContain('crl-malformed');
  });
});

describe('collateral', () => {
  const q = tdxVectors.quote();
  const now = { now: TDX_NOW };

  it('a tampered TCB Info or QE Identity fails its signature', async () => {
    const c = fullCollateral();
    const tcb = c.tcbInfo!.replace('"pcesvn":11', '"pcesvn":10');
    expect(await refusal(verifyTdxQuote(q, { ...c, tcbInfo: tcb }, OPEN_TDX, now))).toContain(
      'collateral-signature',
    );
    const qe = c.qeIdentity!.replace('"isvprodid":2', '"isvprodid":3');
    expect(await refusal(verifyTdxQuote(q, { ...c, qeIdentity: qe }, OPEN_TDX, now))).toContain(
      'collateral-signature',
    );
  });

  it('a body with a second tcbInfo, or wrong FMSPC, is refused', async () => {
    const c = fullCollateral();
    const dup = c.tcbInfo!.replace('{"tcbInfo":', '{"tcbInfo":{"id":"TDX"},"tcbInfo":');
    expect(await refusal(verifyTdxQuote(q, { ...c, tcbInfo: dup }, OPEN_TDX, now))).toContain(
      'collateral-malformed',
    );
    const fmspc = c.tcbInfo!.replace('"fmspc":"50806f000000"', '"fmspc":"00906ed50000"');
    const codes = await refusal(verifyTdxQuote(q, { ...c, tcbInfo: fmspc }, OPEN_TDX, now));
    expect(codes).toContain('collateral-signature');
    expect(codes).toContain('tcb-info-mismatch');
  });

  it('expired and not-yet-valid collateral', async () => {
    const late = await refusal(
      verifyTdxQuote(q, fullCollateral(), OPEN_TDX, { now: new Date('2023-07-20T00:00:00Z') }),
    );
    expect(late.filter((c) => c === 'collateral-validity')).toHaveLength(2);
    const early = await refusal(
      verifyTdxQuote(q, fullCollateral(), OPEN_TDX, { now: new Date('2023-06-10T00:00:00Z') }),
    );
    expect(early).toContain('collateral-validity');
  });

  it('collateral without its signing chain, or signed under the wrong chain', async () => {
    const c = fullCollateral();
    expect(
      await refusal(verifyTdxQuote(q, { ...c, tcbSigningChain: undefined }, OPEN_TDX, now)),
    ).toContain('collateral-signing-chain');
    const pck = parseTdxQuote(q).pckChainPem;
    const codes = await refusal(verifyTdxQuote(q, { ...c, tcbSigningChain: pck }, OPEN_TDX, now));
    expect(codes).toContain('collateral-signing-chain');
  });

  it('required collateral that is missing', async () => {
    expect(
      await refusal(verifyTdxQuote(q, crls(), { ...OPEN_TDX, requireCollateral: true }, now)),
    ).toEqual(['collateral-malformed']);
  });
});

describe('the TD policy', () => {
  const q = tdxVectors.quote();
  const now = { now: TDX_NOW };
  it('measurements and REPORTDATA', async () => {
    const other = '00'.repeat(48);
    expect(
      await refusal(
        verifyTdxQuote(q, {}, { measurements: [{ mrTd: other }], reportData: 'any' }, now),
      ),
    ).toEqual(['measurement-not-allowed']);
    expect(
      await refusal(
        verifyTdxQuote(
          q,
          {},
          { measurements: [{ mrTd: MRTD, rtmr1: other }], reportData: 'any' },
          now,
        ),
      ),
    ).toEqual(['measurement-not-allowed']);
    expect(
      await refusal(
        verifyTdxQuote(
          q,
          {},
          { measurements: [{ mrTd: MRTD, mrOwner: 'ff'.repeat(48) }], reportData: 'any' },
          now,
        ),
      ),
    ).toEqual(['measurement-not-allowed']);
    expect(
      await refusal(verifyTdxQuote(q, {}, { measurements: [], reportData: 'any' }, now)),
    ).toEqual(['measurement-not-allowed']);
    expect(
      await refusal(
        verifyTdxQuote(q, {}, { measurements: 'any', reportData: new Uint8Array(64) }, now),
      ),
    ).toEqual(['report-data-mismatch']);
  });
});

describe('quote version 5 (TDX 1.0 and 1.5 bodies)', () => {
  const v4 = tdxVectors.quote();
  /** The vector's parts re-framed as v5; the Intel attestation key did not sign this framing. */
  function asV5(bodyType: 2 | 3, extra = new Uint8Array(0)): Uint8Array {
    const header = v4.slice(0, 48);
    header[0] = 5;
    const body = v4.subarray(48, 632);
    const rest = v4.subarray(632);
    const desc = new Uint8Array(6);
    const dv = new DataView(desc.buffer);
    dv.setUint16(0, bodyType, true);
    dv.setUint32(2, body.length + extra.length, true);
    const out = new Uint8Array(48 + 6 + body.length + extra.length + rest.length);
    out.set(header, 0);
    out.set(desc, 48);
    out.set(body, 54);
    out.set(extra, 54 + body.length);
    out.set(rest, 54 + body.length + extra.length);
    return out;
  }

  it('parses a v5 TDX 1.0 body; everything but the quote signature still verifies', async () => {
    const q = parseTdxQuote(asV5(2));
    expect(q.version).toBe(5);
    expect(q.bodyType).toBe(2);
    expect(toHex(q.td.mrTd)).toBe(MRTD);
    expect(q.td.mrServiceTd).toBeUndefined();
    expect(await refusal(verifyTdxQuote(asV5(2), crls(), OPEN_TDX, { now: TDX_NOW }))).toEqual([
      'quote-signature',
    ]);
  });

  it('parses a v5 TDX 1.5 body (TEE_TCB_SVN_2, MRSERVICETD)', () => {
    const extra = new Uint8Array(64).map((_, i) => i);
    const q = parseTdxQuote(asV5(3, extra));
    expect(q.bodyType).toBe(3);
    expect(Array.from(q.td.teeTcbSvn2!)).toEqual(Array.from(extra.subarray(0, 16)));
    expect(Array.from(q.td.mrServiceTd!)).toEqual(Array.from(extra.subarray(16)));
  });

  it('refuses a v5 body whose size does not match its type, or an SGX body', async () => {
    const bad = asV5(2);
    new DataView(bad.buffer).setUint32(50, 648, true);
    expect(await refusal(verifyTdxQuote(bad, {}, OPEN_TDX, { now: TDX_NOW }))).toEqual([
      'quote-malformed',
    ]);
    const sgx = asV5(2);
    sgx[48] = 1;
    expect(await refusal(verifyTdxQuote(sgx, {}, OPEN_TDX, { now: TDX_NOW }))).toEqual([
      'quote-version-unsupported',
    ]);
  });
});

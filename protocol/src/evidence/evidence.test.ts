import { sha256 } from '@noble/hashes/sha2.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../bytes';
import { MalformedError, UnsupportedError, VerificationError } from '../errors';
import { KEM_XWING } from '../hpke/suite';
import { decodeKeyConfigList, encodeKeyConfigList, generateKeyConfig } from '../ohttp/key-config';
import { type EvidenceBundle, evidenceToJson, parseEvidence } from './bundle';
import { type DevSigner, generateDevSigner, signDevReport } from './dev-report';
import { computeReportData } from './report-data';
import { verifyEvidence } from './verify';

const NOW = new Date('2026-11-01T12:00:00Z');
const XWING = generateKeyConfig(2, undefined, KEM_XWING).config;
const X25519 = generateKeyConfig(3).config;
const keyConfig = encodeKeyConfigList([XWING, X25519]);
const modelSha = sha256(utf8('model'));
const measurement = new Uint8Array(48).fill(0xab);
let signer: DevSigner;

async function bundle(over: Partial<EvidenceBundle> = {}, reportData?: Uint8Array) {
  const b: EvidenceBundle = {
    platform: 'dev',
    report: new Uint8Array(),
    certificates: { devKey: signer.publicKeySpki },
    keyConfigs: keyConfig,
    model: { name: 'stories260K', sha256: modelSha },
    release: { id: 'sotto-enclave/0.1.0' },
    keyCreatedAt: NOW,
    ...over,
  };
  b.report = await signDevReport(signer, {
    measurement,
    reportData: reportData ?? computeReportData(b.keyConfigs, b.model.sha256, b.release.id),
    timestamp: NOW,
  });
  return b;
}

beforeAll(async () => {
  signer = (await generateDevSigner()).signer;
});

async function reasons(p: Promise<unknown>): Promise<readonly string[]> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(VerificationError);
    return (e as VerificationError).reasons;
  }
  throw new Error('expected a refusal');
}

describe('REPORT_DATA binding', () => {
  it('is SHA-512 over label, key config list, model digest and release id', async () => {
    const { sha512 } = await import('@noble/hashes/sha2.js');
    const expected = sha512(
      new Uint8Array([...utf8('sotto-evidence-v1'), ...keyConfig, ...modelSha, ...utf8('r1')]),
    );
    expect(toHex(computeReportData(keyConfig, modelSha, 'r1'))).toBe(toHex(expected));
  });
  it('changes with each input', () => {
    const base = toHex(computeReportData(keyConfig, modelSha, 'r1'));
    expect(toHex(computeReportData(keyConfig, modelSha, 'r2'))).not.toBe(base);
    expect(toHex(computeReportData(keyConfig, sha256(utf8('x')), 'r1'))).not.toBe(base);
    expect(
      toHex(
        computeReportData(
          keyConfig.map((x, i) => (i === 5 ? x ^ 1 : x)),
          modelSha,
          'r1',
        ),
      ),
    ).not.toBe(base);
  });
  it('refuses a model digest of the wrong size', () => {
    expect(() => computeReportData(keyConfig, new Uint8Array(31), 'r')).toThrow(MalformedError);
  });
});

describe('dev evidence', () => {
  it('verifies in development mode and round-trips through JSON', async () => {
    const b = await bundle();
    const parsed = parseEvidence(JSON.stringify(evidenceToJson(b)));
    const v = await verifyEvidence(parsed, { allowDevelopment: true, now: NOW });
    expect(v.platform).toBe('dev');
    expect(v.development).toBe(true);
    expect(v.measurement).toBe(toHex(measurement));
    expect(v.model.sha256).toBe(toHex(modelSha));
    expect(v.keyConfigs).toEqual(keyConfig);
    expect(decodeKeyConfigList(v.keyConfigs).map((c) => c.kemId)).toEqual([KEM_XWING, 0x20]);
  });
  it('is refused unless development mode is on', async () => {
    const r = await reasons(verifyEvidence(await bundle(), { now: NOW }));
    expect(r.join()).toMatch(/development mode is off/);
  });
  it('refuses a swapped key config (REPORT_DATA mismatch)', async () => {
    const b = await bundle();
    b.keyConfigs = keyConfig.map((x, i) => (i === 10 ? x ^ 1 : x));
    const r = await reasons(verifyEvidence(b, { allowDevelopment: true, now: NOW }));
    expect(r).toEqual(['REPORT_DATA does not bind this key config list, model and release']);
  });
  it('refuses a downgraded list: X-Wing dropped, or the list reordered', async () => {
    for (const list of [[X25519], [X25519, XWING], [XWING]]) {
      const b = await bundle();
      b.keyConfigs = encodeKeyConfigList(list);
      const r = await reasons(verifyEvidence(b, { allowDevelopment: true, now: NOW }));
      expect(r).toEqual(['REPORT_DATA does not bind this key config list, model and release']);
    }
  });
  it('refuses a swapped model digest and a swapped release', async () => {
    const b = await bundle();
    b.model = { name: 'other', sha256: sha256(utf8('other')) };
    expect(await reasons(verifyEvidence(b, { allowDevelopment: true, now: NOW }))).toHaveLength(1);
    const c = await bundle();
    c.release = { id: 'sotto-enclave/9.9.9' };
    expect(await reasons(verifyEvidence(c, { allowDevelopment: true, now: NOW }))).toHaveLength(1);
  });
  it('refuses every flipped byte of the signed report region', async () => {
    const good = await bundle();
    for (let i = 0x18; i < good.report.length; i += 7) {
      const b = { ...good, report: good.report.slice() };
      b.report[i]! ^= 0x01;
      const r = await reasons(verifyEvidence(b, { allowDevelopment: true, now: NOW }));
      expect(r.length).toBeGreaterThan(0);
    }
  });
  it('refuses a report signed by another key', async () => {
    const other = (await generateDevSigner()).signer;
    const b = await bundle();
    b.certificates = { devKey: other.publicKeySpki };
    expect(await reasons(verifyEvidence(b, { allowDevelopment: true, now: NOW }))).toEqual([
      'dev report names a different signing key',
    ]);
  });
  it('refuses a measurement outside the allowed set, stale and future reports', async () => {
    const b = await bundle();
    const pol = { allowDevelopment: true, allowedMeasurements: ['00'.repeat(48)] };
    expect(await reasons(verifyEvidence(b, { ...pol, now: NOW }))).toEqual([
      'measurement is not an allowed release',
    ]);
    const late = new Date(NOW.getTime() + 2 * 24 * 3600 * 1000);
    expect(await reasons(verifyEvidence(b, { allowDevelopment: true, now: late }))).toEqual([
      'dev report is too old',
    ]);
    const early = new Date(NOW.getTime() - 3600 * 1000);
    expect(await reasons(verifyEvidence(b, { allowDevelopment: true, now: early }))).toEqual([
      'dev report is dated in the future',
    ]);
  });
  it('refuses truncated and unreadable reports with a reason', async () => {
    const b = await bundle();
    b.report = b.report.subarray(0, 100);
    expect((await reasons(verifyEvidence(b, { allowDevelopment: true, now: NOW })))[0]).toMatch(
      /unreadable/,
    );
  });
});

describe('evidence parsing', () => {
  it('refuses hostile bundles with typed errors', async () => {
    const good = evidenceToJson(await bundle());
    const cases: unknown[] = [
      'not json',
      '[]',
      'null',
      { ...good, format: 'x' },
      { ...good, platform: 'sgx' },
      { ...good, report: 42 },
      { ...good, report: '!!!' },
      { ...good, model: { name: 'm', sha256: 'abcd' } },
      { ...good, model: { name: 'm', sha256: 'zz'.repeat(32) } },
      { ...good, model: null },
      { ...good, release: {} },
      { ...good, keyCreatedAt: 'yesterday' },
      { ...good, certificates: [] },
      'x'.repeat(100_000),
    ];
    for (const c of cases) {
      expect(() => parseEvidence(typeof c === 'string' ? c : JSON.stringify(c))).toThrowError(
        /evidence|hex|base64|JSON/,
      );
    }
    expect(() => parseEvidence({ ...good, platform: 'sgx' })).toThrow(UnsupportedError);
  });
});

import { mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  BusyError,
  ConfigurationError,
  computeReportData,
  evidenceToJson,
  fromHex,
  parseDevReport,
  parseEvidence,
  toHex,
  VerificationError,
  verifyEvidence,
  verifySnpEvidence,
} from '@sotto/protocol';
import { describe, expect, it } from 'vitest';
import { createDevProvider } from '../src/attestation/dev';
import { measureCodeBundle } from '../src/attestation/measurement';
import { buildSevCertTable, parseSevCertTable } from '../src/attestation/sev-cert-table';
import { createTsmProvider } from '../src/attestation/tsm';

const VECTORS = resolve(__dirname, '../../../shared/vectors/sev-snp/virtee-sev');
const NOW = new Date('2026-11-01T00:00:00Z');
/** Inside the validity of the virtee Milan VCEK and chain. */
const SNP_NOW = new Date('2025-01-01T00:00:00Z');
/** The genuine Milan report's own TCB; below AMD's bulletins, so the built-in floor refuses it. */
const VECTOR_TCB = { bootloader: 3, tee: 0, snp: 8, microcode: 115 };

function pemBodies(pem: string): Uint8Array[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map(
    (m) => Uint8Array.from(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')),
  );
}

describe('dev attestation provider', () => {
  it('makes its P-384 key once, privately, and signs reports that bind the REPORT_DATA', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sotto-dev-'));
    const measurement = new Uint8Array(48).fill(3);
    const a = await createDevProvider({ dataDir, measurement, now: () => NOW });
    const keyFile = join(dataDir, 'dev-attestation-key.json');
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const b = await createDevProvider({ dataDir, measurement, now: () => NOW });

    const keyConfig = new Uint8Array([7, 0, 0x20, ...new Uint8Array(32).fill(1), 0, 4, 0, 1, 0, 1]);
    const modelSha = new Uint8Array(32).fill(9);
    const reportData = computeReportData(keyConfig, modelSha, 'rel');
    const ea = await a.attest(reportData);
    const eb = await b.attest(reportData);
    expect(ea.certificates.devKey).toEqual(eb.certificates.devKey);
    expect(toHex(parseDevReport(ea.report).measurement)).toBe(toHex(measurement));

    const verified = await verifyEvidence(
      {
        platform: ea.platform,
        report: ea.report,
        certificates: ea.certificates,
        keyConfigs: keyConfig,
        model: { name: 'm', sha256: modelSha },
        release: { id: 'rel' },
        keyCreatedAt: NOW,
      },
      { allowDevelopment: true, now: NOW },
    );
    expect(verified.development).toBe(true);
  });

  it('refuses a corrupt stored key with a message that says what to do', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sotto-dev-'));
    await writeFile(join(dataDir, 'dev-attestation-key.json'), '{"pkcs8":"AAAA","spki":"AAAA"}');
    await expect(createDevProvider({ dataDir, measurement: new Uint8Array(48) })).rejects.toThrow(
      /delete it to make a new one/,
    );
  });
});

describe('code measurement', () => {
  it('is SHA-384 sized, stable, and changes with any source or lockfile byte', async () => {
    const root = await mkdtemp(join(tmpdir(), 'sotto-measure-'));
    await mkdir(join(root, 'enclave/src/x'), { recursive: true });
    await mkdir(join(root, 'protocol/src'), { recursive: true });
    await writeFile(join(root, 'enclave/src/x/a.ts'), 'export const a = 1;');
    await writeFile(join(root, 'enclave/src/a.test.ts'), 'test');
    await writeFile(join(root, 'protocol/src/b.ts'), 'export const b = 2;');
    await writeFile(join(root, 'package-lock.json'), '{}');
    const m1 = toHex(await measureCodeBundle(root));
    expect(m1).toHaveLength(96);
    expect(toHex(await measureCodeBundle(root))).toBe(m1);
    await writeFile(join(root, 'enclave/src/a.test.ts'), 'tests do not count');
    expect(toHex(await measureCodeBundle(root))).toBe(m1);
    await writeFile(join(root, 'package-lock.json'), '{ }');
    const m2 = toHex(await measureCodeBundle(root));
    expect(m2).not.toBe(m1);
    await writeFile(join(root, 'protocol/src/b.ts'), 'export const b = 3;');
    expect(toHex(await measureCodeBundle(root))).not.toBe(m2);
  });
});

/** A temporary directory laid out like configfs-tsm, answering with real SEV-SNP bytes. */
async function configfsStandIn(provider = 'sev_guest\n') {
  const base = await mkdtemp(join(tmpdir(), 'sotto-tsm-'));
  const entry = join(base, 'entry');
  await mkdir(entry);
  const report = fromHex(await readFile(join(VECTORS, 'report_milan.hex'), 'utf8'));
  const vcek = new Uint8Array(await readFile(join(VECTORS, 'vcek_milan.der')));
  const [ask, ark] = pemBodies(await readFile(join(VECTORS, 'cert_chain_milan'), 'utf8'));
  await writeFile(join(entry, 'outblob'), report);
  await writeFile(
    join(entry, 'auxblob'),
    buildSevCertTable([
      { guid: 'vcek', der: vcek },
      { guid: 'ask', der: ask! },
      { guid: 'ark', der: ark! },
    ]),
  );
  await writeFile(join(entry, 'provider'), provider);
  await writeFile(join(entry, 'generation'), '1\n');
  return { base, entry, report, vcek, ask: ask!, ark: ark! };
}

describe('tsm attestation provider (configfs stand-in with real report bytes)', () => {
  it('writes REPORT_DATA to inblob and returns the report with VCEK and ASK+ARK', async () => {
    const fs = await configfsStandIn();
    const tsm = await createTsmProvider({ tsmPath: fs.base, entryName: 'entry' });
    const reportData = new Uint8Array(64).fill(0x5a);
    const got = await tsm.attest(reportData);
    expect(new Uint8Array(await readFile(join(fs.entry, 'inblob')))).toEqual(reportData);
    expect(got.platform).toBe('sev-snp');
    expect(got.report).toEqual(fs.report);
    expect(got.certificates.vcek).toEqual(fs.vcek);
    expect(pemBodies(got.certificates.chain!)).toEqual([fs.ask, fs.ark]);
  });

  it('produces SEV-SNP evidence the client verifier accepts up to the REPORT_DATA binding', async () => {
    const fs = await configfsStandIn();
    const tsm = await createTsmProvider({ tsmPath: fs.base, entryName: 'entry' });
    const keyConfig = new Uint8Array([7, 0, 0x20, ...new Uint8Array(32).fill(1), 0, 4, 0, 1, 0, 1]);
    const modelSha = new Uint8Array(32).fill(9);
    const att = await tsm.attest(computeReportData(keyConfig, modelSha, 'rel'));
    const bundle = parseEvidence(
      JSON.stringify(
        evidenceToJson({
          platform: att.platform,
          report: att.report,
          certificates: att.certificates,
          keyConfigs: keyConfig,
          model: { name: 'm', sha256: modelSha },
          release: { id: 'rel' },
          keyCreatedAt: SNP_NOW,
        }),
      ),
    );
    const measurement = toHex(fs.report.subarray(0x90, 0xc0));
    expect(measurement.startsWith('7a1e5c26')).toBe(true);
    // The real report was taken for someone else's REPORT_DATA: everything else must hold.
    // Its 2023 TCB is below AMD's bulletins, so it is passed as an explicit floor.
    const refused = await verifyEvidence(bundle, {
      allowedMeasurements: [measurement],
      now: SNP_NOW,
      snp: { minimumTcb: { Milan: VECTOR_TCB } },
    }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(VerificationError);
    expect((refused as VerificationError).reasons).toHaveLength(1);
    expect((refused as VerificationError).reasons[0]).toMatch(/report.?data/i);
    // The same bytes through the SEV-SNP verifier with the report's own REPORT_DATA: accepted.
    const ok = await verifySnpEvidence(
      { report: att.report, vcek: att.certificates.vcek, chain: att.certificates.chain },
      {
        measurements: [fromHex(measurement)],
        reportData: fs.report.slice(0x50, 0x90),
        minimumTcb: { Milan: VECTOR_TCB },
      },
      { now: SNP_NOW },
    );
    expect(ok.product).toBe('Milan');
    // With the built-in floor the 2023 report is refused for its TCB as well.
    const belowFloor = await verifyEvidence(bundle, {
      allowedMeasurements: [measurement],
      now: SNP_NOW,
    }).catch((e: unknown) => e);
    expect(
      (belowFloor as VerificationError).reasons.filter((r) => r.startsWith('tcb-below-minimum')),
    ).toHaveLength(2);
    // No allow-list: refused outright (fail closed).
    await expect(verifyEvidence(bundle, { now: SNP_NOW })).rejects.toThrow(/no allowed release/);
  });

  it('names TDX from the provider and refuses an unknown provider', async () => {
    const tdx = await configfsStandIn('tdx_guest\n');
    const got = await (
      await createTsmProvider({ tsmPath: tdx.base, entryName: 'entry' })
    ).attest(new Uint8Array(64));
    expect(got.platform).toBe('tdx');
    const odd = await configfsStandIn('sgx\n');
    await expect(
      (await createTsmProvider({ tsmPath: odd.base, entryName: 'entry' })).attest(
        new Uint8Array(64),
      ),
    ).rejects.toThrow(ConfigurationError);
  });

  it('fails with a configuration error when configfs-tsm is absent', async () => {
    const tsm = await createTsmProvider({ tsmPath: join(tmpdir(), 'sotto-no-such-tsm', 'report') });
    await expect(tsm.attest(new Uint8Array(64))).rejects.toThrow(ConfigurationError);
  });

  it('parses certificate tables strictly', () => {
    expect(() => parseSevCertTable(new Uint8Array(10))).toThrow(/no end entry/);
    const t = buildSevCertTable([{ guid: 'vcek', der: new Uint8Array([1, 2, 3]) }]);
    new DataView(t.buffer).setUint32(20, 1_000_000, true);
    expect(() => parseSevCertTable(t)).toThrow(/out of range/);
    expect(BusyError).toBeDefined();
  });
});

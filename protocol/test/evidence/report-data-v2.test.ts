/**
 * REPORT_DATA v2 against our own vectors (report-data-v2.vectors.json: inputs and the
 * expected preimage and digest, written once from the layout in
 * protocol/src/evidence/report-data-v2.ts) and against an independent reference
 * written here with node:crypto and Buffer, so the vectors and the code cannot drift
 * together unnoticed.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/bytes';
import { MalformedError } from '../../src/errors';
import {
  computeReportDataV2,
  NO_RELEASE,
  reportDataV2Preimage,
} from '../../src/evidence/report-data-v2';

interface Vector {
  comment: string;
  keyConfigs: string;
  modelName: string;
  modelSha256: string;
  contextSize: number;
  releaseStatementSha256: string;
  keyCreatedAt: string;
  preimage: string;
  reportData: string;
}

const vectors = JSON.parse(
  readFileSync(new URL('./report-data-v2.vectors.json', import.meta.url), 'utf8'),
) as Vector[];

function reference(v: Vector): Buffer {
  const kc = Buffer.from(v.keyConfigs, 'hex');
  const name = Buffer.from(v.modelName, 'utf8');
  const n32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const n16 = Buffer.alloc(2);
  n16.writeUInt16BE(name.length);
  const t = Buffer.alloc(8);
  t.writeBigUInt64BE(BigInt(Date.parse(v.keyCreatedAt)));
  return Buffer.concat([
    Buffer.from('sotto-evidence-v2', 'ascii'),
    n32(kc.length),
    kc,
    n16,
    name,
    Buffer.from(v.modelSha256, 'hex'),
    n32(v.contextSize),
    Buffer.from(v.releaseStatementSha256, 'hex'),
    t,
  ]);
}

const input = (v: Vector) => ({
  keyConfigs: fromHex(v.keyConfigs),
  model: { name: v.modelName, sha256: fromHex(v.modelSha256), contextSize: v.contextSize },
  releaseStatementSha256: fromHex(v.releaseStatementSha256),
  keyCreatedAt: new Date(v.keyCreatedAt),
});

describe('REPORT_DATA v2', () => {
  it.each(vectors.map((v) => [v.comment, v] as const))('%s', (_, v) => {
    expect(toHex(reportDataV2Preimage(input(v)))).toBe(v.preimage);
    expect(toHex(computeReportDataV2(input(v)))).toBe(v.reportData);
    expect(reference(v).toString('hex')).toBe(v.preimage);
    expect(createHash('sha512').update(reference(v)).digest('hex')).toBe(v.reportData);
  });
  it('changes with every bound field', () => {
    const v = vectors[0]!;
    const base = toHex(computeReportDataV2(input(v)));
    const flips = [
      { ...v, keyConfigs: v.keyConfigs.slice(0, -2) + '00' },
      { ...v, modelName: `${v.modelName}x` },
      { ...v, modelSha256: '00'.repeat(32) },
      { ...v, contextSize: v.contextSize + 1 },
      { ...v, releaseStatementSha256: toHex(NO_RELEASE) },
      { ...v, keyCreatedAt: new Date(Date.parse(v.keyCreatedAt) + 1).toISOString() },
    ];
    for (const f of flips) expect(toHex(computeReportDataV2(input(f)))).not.toBe(base);
  });
  it('refuses out-of-range fields', () => {
    const v = input(vectors[0]!);
    const bad = [
      { ...v, keyConfigs: new Uint8Array() },
      { ...v, model: { ...v.model, name: '' } },
      { ...v, model: { ...v.model, name: 'x'.repeat(513) } },
      { ...v, model: { ...v.model, sha256: new Uint8Array(31) } },
      { ...v, model: { ...v.model, contextSize: 0 } },
      { ...v, releaseStatementSha256: new Uint8Array(16) },
      { ...v, keyCreatedAt: new Date(Number.NaN) },
    ];
    for (const b of bad) expect(() => computeReportDataV2(b)).toThrow(MalformedError);
  });
});

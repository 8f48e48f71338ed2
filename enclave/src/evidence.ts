/**
 * Builds the evidence bundle for a new generation of gateway keys (DESIGN.md,
 * "Evidence bundle"): REPORT_DATA binds the key config list
 * (`application/ohttp-keys`), the model digest and the release id, and the
 * attestation provider turns it into a report.
 */
import { computeReportData, evidenceToJson, fromHex } from '@sotto/protocol';
import type { AttestationProvider } from './attestation';

export type EvidenceMaker = (keyConfigs: Uint8Array, createdAt: Date) => Promise<string>;

export function createEvidenceMaker(
  provider: AttestationProvider,
  model: { name: string; sha256: string },
  releaseId: string,
): EvidenceMaker {
  const modelSha = fromHex(model.sha256);
  return async (keyConfigs, createdAt) => {
    const att = await provider.attest(computeReportData(keyConfigs, modelSha, releaseId));
    return JSON.stringify(
      evidenceToJson({
        platform: att.platform,
        report: att.report,
        certificates: att.certificates,
        keyConfigs,
        model: { name: model.name, sha256: modelSha },
        release: { id: releaseId },
        keyCreatedAt: createdAt,
        ...(att.collateral ? { collateral: att.collateral } : {}),
      }),
    );
  };
}

/**
 * Builds the evidence bundle for a new gateway key (DESIGN.md, "Evidence bundle";
 * protocol evidence/bundle-v2.ts): REPORT_DATA v2 binds the key configuration list, the
 * model (name, SHA-256, context size), the release statement's digest and the key's
 * creation time, and the attestation provider turns it into a report. The release's
 * Sigstore bundle travels inside the evidence so a client can check it by itself, and so
 * does the platform collateral the provider fetched (TDX: Intel PCS / PCCS), which a
 * client requires to judge a TDX quote's TCB status and revocation.
 */
import { computeReportDataV2, evidenceV2ToJson, fromHex, NO_RELEASE } from '@sotto/protocol';
import type { AttestationProvider } from './attestation';
import type { EnclaveRelease } from './release';

export type EvidenceMaker = (keyConfigs: Uint8Array, createdAt: Date) => Promise<string>;

export function createEvidenceMaker(
  provider: AttestationProvider,
  model: { name: string; sha256: string; contextSize: number },
  release: EnclaveRelease | undefined,
): EvidenceMaker {
  const modelBound = {
    name: model.name,
    sha256: fromHex(model.sha256),
    contextSize: model.contextSize,
  };
  return async (keyConfigs, createdAt) => {
    const att = await provider.attest(
      computeReportDataV2({
        keyConfigs,
        model: modelBound,
        releaseStatementSha256: release?.statementSha256 ?? NO_RELEASE,
        keyCreatedAt: createdAt,
      }),
    );
    return JSON.stringify(
      evidenceV2ToJson({
        platform: att.platform,
        report: att.report,
        certificates: att.certificates,
        keyConfigs,
        model: modelBound,
        release: {
          ...(release && { bundle: release.bundle }),
          ...(release?.publicKey !== undefined && { publicKey: release.publicKey }),
        },
        keyCreatedAt: createdAt,
        ...(att.collateral ? { collateral: att.collateral } : {}),
      }),
    );
  };
}

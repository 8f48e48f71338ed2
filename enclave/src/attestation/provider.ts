/**
 * An attestation provider turns REPORT_DATA into platform evidence: the raw
 * report and the certificates a client needs to check it.
 */
import type { EvidenceBundle, EvidenceCollateral, Platform } from '@sotto/protocol';

export interface Attestation {
  platform: Platform;
  report: Uint8Array;
  certificates: EvidenceBundle['certificates'];
  /** TDX: the Intel PCS / PCCS collateral for this platform. */
  collateral?: EvidenceCollateral;
}

export interface AttestationProvider {
  readonly platform: Platform;
  /** The code measurement this provider reports (hex), for logs and `npm start`. */
  readonly measurement: string | undefined;
  attest(reportData: Uint8Array): Promise<Attestation>;
}

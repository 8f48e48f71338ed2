/** Chooses the attestation provider named by SOTTO_ATTESTATION. */
import type { EnclaveConfig } from '../config';
import { createDevProvider } from './dev';
import { measureCodeBundle } from './measurement';
import type { AttestationProvider } from './provider';
import { createTdxCollateralSource } from './tdx-collateral';
import { createTsmProvider } from './tsm';

export type { Attestation, AttestationProvider } from './provider';

export async function createAttestationProvider(
  config: EnclaveConfig,
  repoRoot: string,
): Promise<AttestationProvider> {
  if (config.attestation === 'tsm') {
    const tdxCollateral = createTdxCollateralSource(
      config.pccsUrl === undefined ? {} : { baseUrl: config.pccsUrl },
    );
    return createTsmProvider({ tsmPath: config.tsmPath, tdxCollateral });
  }
  return createDevProvider({
    dataDir: config.dataDir,
    measurement: await measureCodeBundle(repoRoot),
  });
}

/**
 * The `dev` attestation provider: for local runs without TEE hardware. A P-384
 * signing key is made at first start and kept in the data dir; each report has the
 * shape of a real one and is signed with it. Clients accept it only in development
 * mode, and say so on every answer.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ConfigurationError,
  type DevSigner,
  fromBase64,
  generateDevSigner,
  importDevSigner,
  signDevReport,
  toBase64,
  toHex,
} from '@sotto/protocol';
import type { Attestation, AttestationProvider } from './provider';

const KEY_FILE = 'dev-attestation-key.json';

async function loadOrCreateSigner(dataDir: string): Promise<DevSigner> {
  const path = join(dataDir, KEY_FILE);
  let stored: string | undefined;
  try {
    stored = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (stored !== undefined) {
    try {
      const { pkcs8, spki } = JSON.parse(stored) as { pkcs8: string; spki: string };
      return await importDevSigner(fromBase64(pkcs8), fromBase64(spki));
    } catch (cause) {
      throw new ConfigurationError(
        `${path} is not a valid dev attestation key; delete it to make a new one`,
        {
          cause,
        },
      );
    }
  }
  const { signer, pkcs8 } = await generateDevSigner();
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await writeFile(
    path,
    JSON.stringify({ pkcs8: toBase64(pkcs8), spki: toBase64(signer.publicKeySpki) }),
    {
      mode: 0o600,
      flag: 'wx',
    },
  );
  return signer;
}

export async function createDevProvider(options: {
  dataDir: string;
  measurement: Uint8Array;
  now?: () => Date;
}): Promise<AttestationProvider> {
  const signer = await loadOrCreateSigner(options.dataDir);
  const now = options.now ?? (() => new Date());
  return {
    platform: 'dev',
    measurement: toHex(options.measurement),
    async attest(reportData: Uint8Array): Promise<Attestation> {
      const report = await signDevReport(signer, {
        measurement: options.measurement,
        reportData,
        timestamp: now(),
      });
      return { platform: 'dev', report, certificates: { devKey: signer.publicKeySpki } };
    },
  };
}

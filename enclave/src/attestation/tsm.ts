/**
 * The `tsm` attestation provider: Linux configfs-tsm (Linux ≥ 6.7,
 * Documentation/ABI/testing/configfs-tsm), the same plain file I/O for SEV-SNP and TDX.
 *
 *   mkdir <tsm>/<entry>          the kernel creates the attribute files
 *   write inblob                 REPORT_DATA (64 bytes)
 *   read  outblob                the SEV-SNP ATTESTATION_REPORT or the TDX quote
 *   read  auxblob                SEV-SNP: the host's certificate table (VCEK, ASK, ARK)
 *   read  provider               "sev_guest" or "tdx_guest"
 *   read  generation             before and after: a change means another writer raced us
 *
 * TDX quotes carry their PCK chain; the Intel collateral (TCB Info, QE
 * Identity, CRLs) comes from the collateral source (PCS / PCCS, cached).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BusyError, ConfigurationError, type Platform } from '@sotto/protocol';
import type { Attestation, AttestationProvider } from './provider';
import { derToPem, parseSevCertTable } from './sev-cert-table';
import type { TdxCollateralSource } from './tdx-collateral';

const MAX_ATTEMPTS = 3;

async function readOptional(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function platformOf(provider: string): Platform {
  if (provider.startsWith('sev_guest')) return 'sev-snp';
  if (provider.startsWith('tdx_guest')) return 'tdx';
  throw new ConfigurationError(`configfs-tsm provider "${provider.slice(0, 32)}" is not supported`);
}

export async function createTsmProvider(options: {
  tsmPath: string;
  /** Fixed entry name; by default a fresh random one per report. */
  entryName?: string;
  /** Where TDX collateral comes from; without it TDX evidence carries none (clients refuse it). */
  tdxCollateral?: TdxCollateralSource;
}): Promise<AttestationProvider> {
  let platform: Platform | undefined;
  const provider: AttestationProvider = {
    get platform(): Platform {
      return platform ?? 'sev-snp';
    },
    measurement: undefined,
    async attest(reportData: Uint8Array): Promise<Attestation> {
      const entry = join(
        options.tsmPath,
        options.entryName ?? `sotto-${randomBytes(8).toString('hex')}`,
      );
      try {
        await mkdir(entry);
      } catch (cause) {
        // A fixed entry name may already exist; anything else means no configfs-tsm here.
        if ((cause as NodeJS.ErrnoException).code !== 'EEXIST')
          throw new ConfigurationError(
            `cannot create a configfs-tsm report at ${options.tsmPath}`,
            { cause },
          );
      }
      try {
        for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
          await writeFile(join(entry, 'inblob'), reportData);
          const before = (await readFile(join(entry, 'generation'), 'utf8')).trim();
          const report = new Uint8Array(await readFile(join(entry, 'outblob')));
          const aux = await readOptional(join(entry, 'auxblob'));
          const name = (await readFile(join(entry, 'provider'), 'utf8')).trim();
          const after = (await readFile(join(entry, 'generation'), 'utf8')).trim();
          if (before !== after) continue;
          platform = platformOf(name);
          const certificates: Attestation['certificates'] = {};
          if (platform === 'sev-snp' && aux && aux.length > 0) {
            const certs = parseSevCertTable(aux);
            const vcek = certs.vcek ?? certs.vlek;
            if (vcek) certificates.vcek = vcek;
            if (certs.ask && certs.ark)
              certificates.chain = derToPem(certs.ask) + derToPem(certs.ark);
          }
          if (platform === 'tdx' && options.tdxCollateral) {
            const collateral = await options.tdxCollateral.forQuote(report);
            return { platform, report, certificates, collateral };
          }
          return { platform, report, certificates };
        }
        // Another writer kept racing us for the same entry: retryable.
        throw new BusyError('configfs-tsm report changed while it was read', 1);
      } finally {
        // configfs removes the entry with its attributes; a plain directory stand-in may refuse.
        await rmdir(entry).catch(() => undefined);
      }
    },
  };
  return provider;
}

/**
 * `sotto verify snp`: verify an AMD SEV-SNP attestation report from files
 * (Node only). The report may be raw binary (1184 bytes) or hex text; the
 * VCEK DER or PEM; the chain PEM with the ASK and ARK (default: the pinned
 * chain of the product). Exit 0 only when the evidence is accepted, 1 when it
 * is refused (a malformed report included), 2 on a usage error.
 */

import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  parseSnpCertificate,
  parseSnpReport,
  productFromCpuid,
  productFromVcekName,
  readVcekExtensions,
  SNP_REPORT_SIZE_BYTES,
  type SnpAcceptancePolicy,
  type SnpProduct,
  type SnpReport,
  type SnpTcb,
  summarizeSnpReport,
  verifySnpEvidence,
} from '../attest/sev';
import { fromHex } from '../bytes';
import { isSottoError, VerificationError } from '../errors';

export const VERIFY_SNP_USAGE = `Usage: sotto verify snp --report FILE [options]

Verify an AMD SEV-SNP attestation report: VCEK -> ASK -> pinned AMD ARK,
the report signature, the VCEK's TCB and chip id, and the acceptance policy.

Options:
  --report FILE        attestation report, raw binary (1184 bytes) or hex text
  --vcek FILE          VCEK certificate, DER or PEM (required to verify)
  --chain FILE         ASK+ARK PEM (default: the pinned chain of the product)
  --crl FILE           the ARK-signed CRL from AMD KDS, DER or PEM (revocation unchecked without it)
  --allow-debug        accept a guest whose policy allows debugging
  --measurement HEX    an allowed MEASUREMENT (48 bytes); repeat for several.
                       Without it the measurement is not checked.
  --report-data HEX    the expected REPORT_DATA (64 bytes); unchecked without it
  --min-tcb bl=N,tee=N,snp=N,ucode=N[,fmc=N]
                       minimum REPORTED_TCB, replacing the built-in per-product
                       floor (from AMD's security bulletins; fmc applies to Turin)
  --now ISO8601        check certificate validity at this time (default: now)
  --json               print one JSON object instead of text
  -h, --help           show this help

Exit status: 0 accepted, 1 refused (malformed input included), 2 usage error.`;

/** Where the command writes; the dispatcher passes process streams. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

class UsageError extends Error {}

/** Raw (1184 bytes) or hex text; anything else goes to the verifier as is and is refused as malformed. */
async function readReport(path: string): Promise<Uint8Array> {
  const raw = new Uint8Array(await readFile(path));
  if (raw.length === SNP_REPORT_SIZE_BYTES) return raw;
  try {
    return fromHex(new TextDecoder().decode(raw));
  } catch {
    return raw;
  }
}

const MIN_TCB_KEYS = { bl: 'bootloader', tee: 'tee', snp: 'snp', ucode: 'microcode', fmc: 'fmc' };

/** `bl=N,tee=N,snp=N,ucode=N[,fmc=N]` → a TCB floor (each SPL 0..255). */
function minTcbArg(value: string): SnpTcb {
  const out: Record<string, number> = {};
  for (const part of value.split(',')) {
    const m = /^(bl|tee|snp|ucode|fmc)=(\d{1,3})$/.exec(part.trim());
    if (!m || Number(m[2]) > 255) {
      throw new UsageError('--min-tcb must be bl=N,tee=N,snp=N,ucode=N[,fmc=N] with N in 0-255');
    }
    const key = MIN_TCB_KEYS[m[1] as keyof typeof MIN_TCB_KEYS];
    if (key in out) throw new UsageError(`--min-tcb names ${m[1]} twice`);
    out[key] = Number(m[2]);
  }
  for (const k of ['bootloader', 'tee', 'snp', 'microcode']) {
    if (!(k in out)) throw new UsageError('--min-tcb needs bl, tee, snp and ucode');
  }
  return out as unknown as SnpTcb;
}

async function readCert(path: string): Promise<Uint8Array | string> {
  const raw = new Uint8Array(await readFile(path));
  const text = new TextDecoder().decode(raw.subarray(0, 64));
  return text.includes('-----BEGIN') ? new TextDecoder().decode(raw) : raw;
}

function hexArg(name: string, value: string, bytes: number): Uint8Array {
  let b: Uint8Array;
  try {
    b = fromHex(value);
  } catch {
    throw new UsageError(`--${name} is not hex`);
  }
  if (b.length !== bytes) throw new UsageError(`--${name} must be ${bytes} bytes`);
  return b;
}

/** The product named by the evidence itself (CPUID, else the VCEK), for refused evidence. */
function evidenceProduct(
  report: SnpReport | undefined,
  vcek: Uint8Array | string | undefined,
): SnpProduct | undefined {
  const fromCpuid = productFromCpuid(report?.cpuid);
  if (fromCpuid || vcek === undefined) return fromCpuid;
  try {
    return productFromVcekName(readVcekExtensions(parseSnpCertificate(vcek)).productName);
  } catch {
    return undefined;
  }
}

/** Runs `sotto verify snp` with the arguments after `snp`; resolves to the exit status. */
export async function runVerifySnp(argv: readonly string[], io: CliIo): Promise<number> {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (e) {
    io.err(`sotto verify snp: ${(e as Error).message}\n\n${VERIFY_SNP_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    io.out(`${VERIFY_SNP_USAGE}\n`);
    return 0;
  }
  try {
    return await verify(values, io);
  } catch (e) {
    if (e instanceof UsageError || (e as NodeJS.ErrnoException).code === 'ENOENT') {
      io.err(`sotto verify snp: ${(e as Error).message}\n`);
      return 2;
    }
    throw e;
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      report: { type: 'string' },
      vcek: { type: 'string' },
      chain: { type: 'string' },
      crl: { type: 'string' },
      'allow-debug': { type: 'boolean', default: false },
      measurement: { type: 'string', multiple: true },
      'report-data': { type: 'string' },
      'min-tcb': { type: 'string' },
      now: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}

async function verify(values: ReturnType<typeof parse>['values'], io: CliIo): Promise<number> {
  if (!values.report) throw new UsageError('--report FILE is required');
  const now = values.now === undefined ? new Date() : new Date(values.now);
  if (Number.isNaN(now.getTime())) throw new UsageError('--now is not an ISO 8601 time');
  const reportBytes = await readReport(values.report);
  const vcek = values.vcek === undefined ? undefined : await readCert(values.vcek);
  const chain = values.chain === undefined ? undefined : await readFile(values.chain, 'utf8');
  const crl = values.crl === undefined ? undefined : await readCert(values.crl);
  const measurements = (values.measurement ?? []).map((m) => hexArg('measurement', m, 48));
  let policy: SnpAcceptancePolicy = {
    measurements: measurements.length > 0 ? measurements : 'any',
    reportData:
      values['report-data'] === undefined
        ? 'any'
        : hexArg('report-data', values['report-data'], 64),
    allowDebug: values['allow-debug'],
  };
  if (values['min-tcb'] !== undefined) {
    const floor = minTcbArg(values['min-tcb']);
    policy = { ...policy, minimumTcb: { Milan: floor, Genoa: floor, Turin: floor } };
  }

  let errors: string[] = [];
  let product: SnpProduct | undefined;
  try {
    product = (await verifySnpEvidence({ report: reportBytes, vcek, chain, crl }, policy, { now }))
      .product;
  } catch (e) {
    if (!(e instanceof VerificationError) && !isSottoError(e)) throw e;
    errors = e instanceof VerificationError ? [...e.reasons] : [e.message];
  }
  let report: SnpReport | undefined;
  try {
    report = parseSnpReport(reportBytes);
  } catch {
    report = undefined;
  }
  product ??= evidenceProduct(report, vcek);
  const summary = report ? summarizeSnpReport(report, product) : undefined;
  const ok = errors.length === 0;
  const checked = {
    measurement: policy.measurements !== 'any',
    reportData: policy.reportData !== 'any',
    revocation: crl !== undefined,
  };
  if (values.json) {
    const obj = {
      ok,
      product: product ?? null,
      version: summary?.version ?? null,
      measurement: summary?.measurement ?? null,
      reportData: summary?.reportData ?? null,
      chipId: summary?.chipId ?? null,
      policy: summary ? { raw: summary.policyRaw, ...summary.policy } : null,
      tcb: summary?.tcb ?? null,
      tcbRaw: summary?.tcbRaw ?? null,
      platformInfo: summary?.platformInfo ?? null,
      firmware: summary?.firmware ?? null,
      mitigationVectors: summary?.mitigationVectors ?? null,
      vmpl: summary?.vmpl ?? null,
      checked,
      errors,
    };
    io.out(`${JSON.stringify(obj)}\n`);
  } else {
    const lines = [
      `SEV-SNP evidence: ${ok ? 'ACCEPTED' : 'REFUSED'}`,
      `product:     ${product ?? 'unknown'}`,
    ];
    if (summary) {
      const t = summary.tcb?.reported;
      lines.push(
        `version:     ${summary.version}`,
        `measurement: ${summary.measurement}`,
        `report data: ${summary.reportData}`,
        `chip id:     ${summary.chipId}`,
        `policy:      ${summary.policyRaw} debug=${summary.policy.debug} migrationAgent=${summary.policy.migrationAgent} smt=${summary.policy.smt} singleSocket=${summary.policy.singleSocket}`,
        `reported TCB: ${t ? `bootloader=${t.bootloader} tee=${t.tee} snp=${t.snp} microcode=${t.microcode}${t.fmc === undefined ? '' : ` fmc=${t.fmc}`}` : summary.tcbRaw.reported}`,
      );
    }
    for (const e of errors) lines.push(`error: ${e}`);
    io.out(`${lines.join('\n')}\n`);
  }
  if (ok && !checked.measurement)
    io.err('warning: MEASUREMENT was not checked (no --measurement)\n');
  if (ok && !checked.reportData)
    io.err('warning: REPORT_DATA was not checked (no --report-data)\n');
  if (ok && !checked.revocation) io.err('warning: revocation was not checked (no --crl)\n');
  return ok ? 0 : 1;
}

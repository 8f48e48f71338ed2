/**
 * `sotto verify tdx`: verify an Intel TDX DCAP quote from files (Node only),
 * with whatever Intel PCS collateral is given, as PCS serves it: TCB Info and
 * QE Identity JSON bodies, the TCB Signing issuer chain as PEM or URL-encoded
 * PEM (the `TCB-Info-Issuer-Chain` header), CRLs as DER or PEM. Without
 * collateral it checks the signatures and the PCK chain and says plainly that
 * the TCB was not checked. Exit 0 accepted, 1 refused (a malformed quote
 * included), 2 usage error.
 */

import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  evaluateTdxTcb,
  parseCertificateChain,
  parseTdxQeIdentity,
  parseTdxQuote,
  parseTdxTcbInfo,
  readPckExtensions,
  TDX_TCB_STATUSES,
  type TdxAcceptancePolicy,
  type TdxCollateral,
  type TdxExpectedMeasurements,
  type TdxQuote,
  tdxQuoteHex,
  type TdxTcbStatus,
  verifyTdxQuote,
} from '../attest/tdx';
import { fromHex, toHex } from '../bytes';
import { isSottoError, VerificationError } from '../errors';
import type { CliIo } from './verify-snp';

export const VERIFY_TDX_USAGE = `Usage: sotto verify tdx --quote FILE [options]

Verify an Intel TDX quote (v4 or v5): the quote and QE report signatures,
the PCK chain to the pinned Intel SGX Root CA, and with collateral the CRLs,
TCB Info and QE Identity (signed by Intel's TCB Signing key) and the TCB status.

Options:
  --quote FILE              the quote, raw binary (padding after it is ignored) or hex
  --tcb-info FILE           Intel PCS TCB Info body (JSON)
  --qe-identity FILE        Intel PCS QE Identity body (JSON)
  --tcb-signing-chain FILE  TCB Signing chain, PEM or URL-encoded PEM (PCS header)
  --pck-crl FILE            PCK CA CRL, DER or PEM
  --root-crl FILE           Intel SGX Root CA CRL, DER or PEM
  --report-data HEX         the expected REPORTDATA (64 bytes); unchecked without it
  --mrtd HEX                the expected MRTD (48 bytes); unchecked without it
  --rtmr N=HEX              the expected RTMR N (0-3); repeat for several (needs --mrtd)
  --allow-tcb STATUS,...    TCB statuses accepted besides UpToDate (never Revoked)
  --now ISO8601             check validity at this time (default: now)
  --json                    print one JSON object instead of text
  -h, --help                show this help

Exit status: 0 accepted, 1 refused (malformed input included), 2 usage error.`;

class UsageError extends Error {}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      quote: { type: 'string' },
      'tcb-info': { type: 'string' },
      'qe-identity': { type: 'string' },
      'tcb-signing-chain': { type: 'string' },
      'pck-crl': { type: 'string' },
      'root-crl': { type: 'string' },
      'report-data': { type: 'string' },
      mrtd: { type: 'string' },
      rtmr: { type: 'string', multiple: true },
      'allow-tcb': { type: 'string' },
      now: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}
type Values = ReturnType<typeof parse>['values'];

/** Runs `sotto verify tdx` with the arguments after `tdx`; resolves to the exit status. */
export async function runVerifyTdx(argv: readonly string[], io: CliIo): Promise<number> {
  let values: Values;
  try {
    values = parse(argv).values;
  } catch (e) {
    io.err(`sotto verify tdx: ${(e as Error).message}\n\n${VERIFY_TDX_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    io.out(`${VERIFY_TDX_USAGE}\n`);
    return 0;
  }
  try {
    return await verify(values, io);
  } catch (e) {
    if (e instanceof UsageError || (e as NodeJS.ErrnoException).code === 'ENOENT') {
      io.err(`sotto verify tdx: ${(e as Error).message}\n`);
      return 2;
    }
    throw e;
  }
}

async function readQuote(path: string): Promise<Uint8Array> {
  const raw = new Uint8Array(await readFile(path));
  // A v4/v5 quote starts 04 00 / 05 00; hex text starts with ASCII digits.
  if (raw[1] === 0x00) return raw;
  try {
    return fromHex(new TextDecoder().decode(raw));
  } catch {
    return raw;
  }
}

async function readCrl(path: string): Promise<Uint8Array | string> {
  const raw = new Uint8Array(await readFile(path));
  const head = new TextDecoder().decode(raw.subarray(0, 32));
  return head.includes('-----BEGIN') ? new TextDecoder().decode(raw) : raw;
}

function hexArg(name: string, value: string, bytes: number): string {
  let b: Uint8Array;
  try {
    b = fromHex(value);
  } catch {
    throw new UsageError(`--${name} is not hex`);
  }
  if (b.length !== bytes) throw new UsageError(`--${name} must be ${bytes} bytes`);
  return toHex(b);
}

function measurementsFrom(values: Values): TdxExpectedMeasurements[] | 'any' {
  const rtmrs = values.rtmr ?? [];
  if (values.mrtd === undefined) {
    if (rtmrs.length > 0) throw new UsageError('--rtmr needs --mrtd');
    return 'any';
  }
  const m: Record<string, string> = { mrTd: hexArg('mrtd', values.mrtd, 48) };
  for (const r of rtmrs) {
    const match = /^([0-3])=(.*)$/.exec(r);
    if (!match) throw new UsageError('--rtmr must be N=HEX with N in 0-3');
    m[`rtmr${match[1]}`] = hexArg('rtmr', match[2]!, 48);
  }
  return [m as unknown as TdxExpectedMeasurements];
}

function statusesFrom(arg: string | undefined): TdxTcbStatus[] {
  const list = (arg ?? '').split(',').filter(Boolean);
  for (const s of list) {
    if (!(TDX_TCB_STATUSES as readonly string[]).includes(s)) {
      throw new UsageError(`--allow-tcb: unknown status "${s.slice(0, 40)}"`);
    }
  }
  return ['UpToDate', ...(list as TdxTcbStatus[])];
}

/** The TCB status the collateral gives, for refused evidence (information, not a verdict). */
function informativeStatus(quote: TdxQuote, c: TdxCollateral): TdxTcbStatus | null {
  try {
    const pck = readPckExtensions(parseCertificateChain(quote.pckChainPem)[0]!);
    return (
      evaluateTdxTcb(
        quote,
        pck,
        parseTdxTcbInfo(c.tcbInfo!).value,
        parseTdxQeIdentity(c.qeIdentity!).value,
      ).status ?? null
    );
  } catch {
    return null;
  }
}

function fmspcOf(quote: TdxQuote | undefined): string | null {
  try {
    return quote
      ? toHex(readPckExtensions(parseCertificateChain(quote.pckChainPem)[0]!).fmspc)
      : null;
  } catch {
    return null;
  }
}

async function verify(values: Values, io: CliIo): Promise<number> {
  if (!values.quote) throw new UsageError('--quote FILE is required');
  const now = values.now === undefined ? new Date() : new Date(values.now);
  if (Number.isNaN(now.getTime())) throw new UsageError('--now is not an ISO 8601 time');
  const policy: TdxAcceptancePolicy = {
    measurements: measurementsFrom(values),
    reportData:
      values['report-data'] === undefined
        ? 'any'
        : fromHex(hexArg('report-data', values['report-data'], 64)),
    allowedTcbStatuses: statusesFrom(values['allow-tcb']),
  };
  const text = (p: string | undefined) => (p === undefined ? undefined : readFile(p, 'utf8'));
  const crl = (p: string | undefined) => (p === undefined ? undefined : readCrl(p));
  const quoteBytes = await readQuote(values.quote);
  const collateral: TdxCollateral = {
    tcbInfo: await text(values['tcb-info']),
    qeIdentity: await text(values['qe-identity']),
    tcbSigningChain: await text(values['tcb-signing-chain']),
    pckCrl: await crl(values['pck-crl']),
    rootCrl: await crl(values['root-crl']),
  };

  let errors: string[] = [];
  let tcbStatus: TdxTcbStatus | null = null;
  let checked = { revocation: false, tcb: false, measurements: false, reportData: false };
  let advisoryIds: readonly string[] = [];
  try {
    const v = await verifyTdxQuote(quoteBytes, collateral, policy, { now });
    tcbStatus = v.tcbStatus ?? null;
    checked = { ...v.checked };
    advisoryIds = v.advisoryIds;
  } catch (e) {
    if (!(e instanceof VerificationError) && !isSottoError(e)) throw e;
    errors = e instanceof VerificationError ? [...e.reasons] : [e.message];
  }
  let quote: TdxQuote | undefined;
  try {
    quote = parseTdxQuote(quoteBytes);
  } catch {
    quote = undefined;
  }
  const ok = errors.length === 0;
  if (!ok && quote && collateral.tcbInfo && collateral.qeIdentity) {
    tcbStatus = informativeStatus(quote, collateral);
  }
  const hex = quote ? tdxQuoteHex(quote) : undefined;
  if (values.json) {
    const obj = {
      ok,
      version: quote?.version ?? null,
      fmspc: fmspcOf(quote),
      tcbStatus,
      advisoryIds,
      mrTd: hex?.mrTd ?? null,
      rtmr: hex?.rtmr ?? null,
      mrConfigId: hex?.mrConfigId ?? null,
      mrOwner: hex?.mrOwner ?? null,
      reportData: hex?.reportData ?? null,
      tdAttributes: hex?.tdAttributes ?? null,
      teeTcbSvn: hex?.teeTcbSvn ?? null,
      checked,
      errors,
    };
    io.out(`${JSON.stringify(obj)}\n`);
  } else {
    const lines = [`TDX evidence: ${ok ? 'ACCEPTED' : 'REFUSED'}`];
    if (quote && hex) {
      lines.push(
        `version:       ${quote.version}`,
        `fmspc:         ${fmspcOf(quote) ?? 'unknown'}`,
        `tcb status:    ${tcbStatus ?? 'not checked'}`,
        `mrtd:          ${hex.mrTd}`,
        ...hex.rtmr.map((r, i) => `rtmr${i}:         ${r}`),
        `report data:   ${hex.reportData}`,
        `td attributes: ${hex.tdAttributes}`,
      );
    }
    for (const e of errors) lines.push(`error: ${e}`);
    io.out(`${lines.join('\n')}\n`);
  }
  if (ok && !checked.tcb) {
    io.err('warning: the TCB was NOT checked (no --tcb-info/--qe-identity collateral)\n');
  }
  if (ok && !checked.revocation) io.err('warning: revocation was NOT checked (no CRLs)\n');
  if (ok && !checked.measurements) io.err('warning: MRTD/RTMRs were not checked (no --mrtd)\n');
  if (ok && !checked.reportData) io.err('warning: REPORTDATA was not checked (no --report-data)\n');
  return ok ? 0 : 1;
}

/**
 * Intel TDX quote verification, the way Intel's QVL and google/go-tdx-guest
 * do it ("Intel TDX DCAP Quoting Library API" Appendix A; "Intel SGX PCK
 * Certificate and CRL Profile"; Intel PCS API v4 collateral):
 *
 * 1. parse the quote (v4/v5); header says TDX, ECDSA P-256, Intel's QE;
 * 2. PCK leaf → PCK CA → pinned Intel SGX Root CA, valid at `now`; with the
 *    CRLs, neither the leaf nor the CA revoked;
 * 3. the QE report signed by the PCK key, and its REPORTDATA[0..32] =
 *    SHA-256(attestation key ‖ QE auth data), REPORTDATA[32..64] zero;
 * 4. the quote (header ‖ body) signed by the attestation key;
 * 5. with collateral: TCB Info and QE Identity signed by the TCB Signing
 *    key (chained to the pinned root), inside their issue/next-update
 *    window, and the TCB status they give allowed by the policy;
 * 6. the TD: not debug, measurements and REPORTDATA as the policy says.
 *
 * Every failed check is collected; the result is a typed value or one
 * `VerificationError` naming all of them.
 */

import { concat, equalBytes, toHex } from '../../bytes';
import { isSottoError } from '../../errors';
import {
  type PckExtensions,
  parseCrl,
  rawP256Key,
  readPckExtensions,
  verifyP256,
  type X509Crl,
} from './certificate';
import { checkPckChain, checkTcbSigningChain, type TdxCrls } from './cert-chain';
import {
  parseTdxQeIdentity,
  parseTdxTcbInfo,
  type SignedCollateral,
  type TdxQeIdentity,
  type TdxTcbInfo,
} from './collateral';
import {
  ATTESTATION_KEY_ECDSA_P256,
  INTEL_QE_VENDOR_ID_HEX,
  TEE_TYPE_TDX,
  type TdxTcbStatus,
} from './constants';
import { evaluateTdxPolicy, type TdxAcceptancePolicy, tdxStatusAllowed } from './policy';
import { parseTdxQuote, type TdxQuote, tdxQuoteHex } from './quote';
import { failure, type TdxFailure, tdxVerificationError } from './reasons';
import { evaluateTdxTcb } from './tcb';

/** Collateral as Intel PCS serves it; every piece optional (what is absent is not checked). */
export interface TdxCollateral {
  /** TCB Info V3 body: `{"tcbInfo":{…},"signature":"…"}`. */
  readonly tcbInfo?: string | undefined;
  /** TD_QE Identity body: `{"enclaveIdentity":{…},"signature":"…"}`. */
  readonly qeIdentity?: string | undefined;
  /** TCB Signing certificate + root, PEM or URL-encoded PEM (the PCS issuer-chain header). */
  readonly tcbSigningChain?: string | undefined;
  /** The PCK CA's CRL, DER (or PEM). */
  readonly pckCrl?: Uint8Array | string | undefined;
  /** The Intel SGX Root CA CRL, DER (or PEM). */
  readonly rootCrl?: Uint8Array | string | undefined;
}

export interface TdxVerifyOptions {
  /** When certificates, CRLs and collateral must be valid. Default: the current time. */
  readonly now?: Date;
}

/** Verified TDX evidence. */
export interface TdxVerifiedEvidence extends ReturnType<typeof tdxQuoteHex> {
  readonly version: 4 | 5;
  readonly quote: TdxQuote;
  readonly fmspc: string;
  /** The converged TCB status; `undefined` when no collateral was given (not checked). */
  readonly tcbStatus: TdxTcbStatus | undefined;
  readonly advisoryIds: readonly string[];
  readonly checked: {
    readonly revocation: boolean;
    readonly tcb: boolean;
    readonly measurements: boolean;
    readonly reportData: boolean;
  };
}

function shapeFailures(q: TdxQuote): TdxFailure[] {
  const out: TdxFailure[] = [];
  if (q.teeType !== TEE_TYPE_TDX)
    out.push(failure('quote-not-tdx', `TEE_TYPE 0x${q.teeType.toString(16)}, expected 0x81`));
  if (q.attestationKeyType !== ATTESTATION_KEY_ECDSA_P256) {
    out.push(
      failure(
        'quote-key-type-unsupported',
        `attestation key type ${q.attestationKeyType}, expected 2`,
      ),
    );
  }
  if (toHex(q.qeVendorId) !== INTEL_QE_VENDOR_ID_HEX) {
    out.push(failure('quote-vendor-unknown', 'QE_VENDOR_ID is not the Intel QE'));
  }
  return out;
}

async function qeFailures(q: TdxQuote, pckKey: CryptoKey | undefined): Promise<TdxFailure[]> {
  const out: TdxFailure[] = [];
  if (pckKey && !(await verifyP256(pckKey, q.qeReportSignature, q.qeReport.raw))) {
    out.push(failure('qe-report-signature', 'the QE report is not signed by the PCK key'));
  }
  const digest = new Uint8Array(
    await globalThis.crypto.subtle.digest(
      'SHA-256',
      concat(q.attestationKey, q.qeAuthData) as Uint8Array<ArrayBuffer>,
    ),
  );
  const rd = q.qeReport.reportData;
  if (!equalBytes(rd.subarray(0, 32), digest) || !rd.subarray(32).every((b) => b === 0)) {
    out.push(
      failure('qe-report-data', 'QE REPORTDATA is not SHA-256(attestation key ‖ QE auth data)'),
    );
  }
  let akey: CryptoKey | undefined;
  try {
    akey = await rawP256Key(q.attestationKey);
  } catch {
    out.push(failure('quote-signature', 'the attestation key is not a P-256 point'));
  }
  if (akey && !(await verifyP256(akey, q.signature, q.signedBytes))) {
    out.push(failure('quote-signature', 'the quote is not signed by its attestation key'));
  }
  return out;
}

function windowFailure(what: string, issue: Date, next: Date, now: Date): TdxFailure[] {
  const t = now.getTime();
  if (t >= issue.getTime() && t <= next.getTime()) return [];
  return [
    failure(
      'collateral-validity',
      `${what} valid ${issue.toISOString()} to ${next.toISOString()}, not at ${now.toISOString()}`,
    ),
  ];
}

function parsed<T>(
  fn: () => T,
  code: TdxFailure['code'],
  what: string,
  out: TdxFailure[],
): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (!isSottoError(e)) throw e;
    out.push(failure(code, `${what}: ${e.message}`));
    return undefined;
  }
}

/**
 * Verifies a TDX quote, with whatever collateral is given, against a policy.
 * @returns the verified, decoded evidence; only when every check passed.
 * @throws VerificationError naming every failed check (codes in `reasons.ts`);
 *   a malformed or unsupported quote stops early with one reason and the
 *   parse error as `cause`.
 */
export async function verifyTdxQuote(
  quoteBytes: Uint8Array,
  collateral: TdxCollateral,
  policy: TdxAcceptancePolicy,
  opts: TdxVerifyOptions = {},
): Promise<TdxVerifiedEvidence> {
  const now = opts.now ?? new Date();
  let quote: TdxQuote;
  try {
    quote = parseTdxQuote(quoteBytes);
  } catch (cause) {
    const unsupported = isSottoError(cause) && cause.code === 'UNSUPPORTED';
    throw tdxVerificationError(
      [
        failure(
          unsupported ? 'quote-version-unsupported' : 'quote-malformed',
          (cause as Error).message,
        ),
      ],
      cause,
    );
  }
  const failures = shapeFailures(quote);

  // CRLs: both or neither.
  let crls: TdxCrls | undefined;
  const pckCrl =
    collateral.pckCrl === undefined
      ? undefined
      : parsed(() => parseCrl(collateral.pckCrl!), 'crl-malformed', 'PCK CRL', failures);
  const rootCrl: X509Crl | undefined =
    collateral.rootCrl === undefined
      ? undefined
      : parsed(() => parseCrl(collateral.rootCrl!), 'crl-malformed', 'root CRL', failures);
  if ((collateral.pckCrl === undefined) !== (collateral.rootCrl === undefined)) {
    failures.push(failure('crl-malformed', 'the PCK CRL and the root CRL go together'));
  } else if (pckCrl && rootCrl) {
    crls = { pckCrl, rootCrl };
  }

  const chain = await checkPckChain({ pem: quote.pckChainPem, crls, now });
  failures.push(...chain.failures);
  let pck: PckExtensions | undefined;
  if (chain.leaf)
    pck = parsed(
      () => readPckExtensions(chain.leaf!),
      'pck-extension',
      'PCK SGX extension',
      failures,
    );
  failures.push(...(await qeFailures(quote, chain.leafKey)));

  // Collateral.
  const hasTcb = collateral.tcbInfo !== undefined || collateral.qeIdentity !== undefined;
  let tcbStatus: TdxTcbStatus | undefined;
  let advisoryIds: readonly string[] = [];
  if (hasTcb) {
    let tcbInfo: SignedCollateral<TdxTcbInfo> | undefined;
    let qeIdentity: SignedCollateral<TdxQeIdentity> | undefined;
    if (collateral.tcbInfo === undefined || collateral.qeIdentity === undefined) {
      failures.push(failure('collateral-malformed', 'TCB Info and QE Identity go together'));
    } else {
      tcbInfo = parsed(
        () => parseTdxTcbInfo(collateral.tcbInfo!),
        'collateral-malformed',
        'TCB Info',
        failures,
      );
      qeIdentity = parsed(
        () => parseTdxQeIdentity(collateral.qeIdentity!),
        'collateral-malformed',
        'QE Identity',
        failures,
      );
    }
    let signer: CryptoKey | undefined;
    if (collateral.tcbSigningChain === undefined) {
      failures.push(
        failure('collateral-signing-chain', 'no TCB Signing chain was given for the collateral'),
      );
    } else {
      const s = await checkTcbSigningChain({ pem: collateral.tcbSigningChain, rootCrl, now });
      failures.push(...s.failures);
      signer = s.key;
    }
    for (const [what, c] of [
      ['TCB Info', tcbInfo],
      ['QE Identity', qeIdentity],
    ] as const) {
      if (!c) continue;
      if (signer && !(await verifyP256(signer, c.signature, c.signedBytes))) {
        failures.push(
          failure('collateral-signature', `${what} is not signed by the TCB Signing key`),
        );
      }
      failures.push(...windowFailure(what, c.value.issueDate, c.value.nextUpdate, now));
    }
    if (tcbInfo && qeIdentity && pck) {
      const e = evaluateTdxTcb(quote, pck, tcbInfo.value, qeIdentity.value);
      failures.push(...e.failures);
      tcbStatus = e.status;
      advisoryIds = e.advisoryIds;
      if (e.status !== undefined && !tdxStatusAllowed(e.status, policy)) {
        failures.push(failure('tcb-status-not-allowed', `TCB status ${e.status} is not allowed`));
      }
    }
  }
  if (policy.requireCollateral && (!hasTcb || !crls)) {
    failures.push(
      failure('collateral-malformed', 'collateral (TCB Info, QE Identity, CRLs) is required'),
    );
  }
  failures.push(...evaluateTdxPolicy(quote, policy));

  if (failures.length > 0) throw tdxVerificationError(failures);
  return {
    ...tdxQuoteHex(quote),
    version: quote.version,
    quote,
    fmspc: pck ? toHex(pck.fmspc) : '',
    tcbStatus,
    advisoryIds,
    checked: {
      revocation: crls !== undefined,
      tcb: tcbStatus !== undefined,
      measurements: policy.measurements !== 'any',
      reportData: policy.reportData !== 'any',
    },
  };
}

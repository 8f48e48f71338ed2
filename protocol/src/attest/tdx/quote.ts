/**
 * Intel TDX DCAP quote parsing, versions 4 and 5 ("Intel TDX DCAP Quoting
 * Library API", Appendix A: A.3 "Version 4 TD Quote", A.4 "Version 5 TD
 * Quote"). Layout:
 *
 *   v4: header (48) ‖ TD Quote Body 1.0 (584) ‖ sig_data_len (u32) ‖ sig_data
 *   v5: header (48) ‖ body type (u16) ‖ body size (u32) ‖ body (584 | 648)
 *       ‖ sig_data_len (u32) ‖ sig_data
 *
 * The quote signature covers everything before `sig_data_len`. Signature
 * data (A.3.8): ECDSA signature (64) ‖ attestation key (64) ‖ certification
 * data type 6 = QE report (384) ‖ QE report signature (64) ‖ QE auth data
 * (u16 size ‖ data) ‖ certification data type 5 = PCK chain (PEM).
 * All integers little-endian. Bytes after the signature data are tolerated
 * (configfs-tsm hands quotes back in padded buffers) and ignored: they are
 * outside every signature and never read.
 */

import { fromUtf8, toHex } from '../../bytes';
import { LimitExceededError, MalformedError, UnsupportedError } from '../../errors';
import {
  BODY,
  CERT_DATA_TYPE,
  HEADER,
  LENGTH,
  MAX_QUOTE_BYTES,
  QE_REPORT,
  SIG_DATA,
  V5_BODY_TYPE,
} from './constants';

/** The TD report body fields of a quote (A.3.2; TDX 1.5 adds the last two). */
export interface TdxTdReport {
  readonly teeTcbSvn: Uint8Array;
  readonly mrSeam: Uint8Array;
  readonly mrSignerSeam: Uint8Array;
  readonly seamAttributes: Uint8Array;
  readonly tdAttributes: Uint8Array;
  readonly xfam: Uint8Array;
  readonly mrTd: Uint8Array;
  readonly mrConfigId: Uint8Array;
  readonly mrOwner: Uint8Array;
  readonly mrOwnerConfig: Uint8Array;
  /** RTMR0..RTMR3, 48 bytes each. */
  readonly rtmr: readonly [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  readonly reportData: Uint8Array;
  /** TDX 1.5 (v5 body type 3) only. */
  readonly teeTcbSvn2: Uint8Array | undefined;
  readonly mrServiceTd: Uint8Array | undefined;
}

/** The Quoting Enclave's SGX REPORT body (SDM Vol. 3D Table 38-21). */
export interface TdxQeReport {
  readonly raw: Uint8Array<ArrayBuffer>;
  readonly cpuSvn: Uint8Array;
  readonly miscSelect: number;
  readonly attributes: Uint8Array;
  readonly mrEnclave: Uint8Array;
  readonly mrSigner: Uint8Array;
  readonly isvProdId: number;
  readonly isvSvn: number;
  readonly reportData: Uint8Array;
}

export interface TdxQuote {
  readonly version: 4 | 5;
  readonly attestationKeyType: number;
  readonly teeType: number;
  readonly qeVendorId: Uint8Array;
  /** v5 body type (2 = TDX 1.0, 3 = TDX 1.5); 2 for v4. */
  readonly bodyType: number;
  readonly td: TdxTdReport;
  /** Header ‖ (descriptor ‖) body: what the attestation key signed. */
  readonly signedBytes: Uint8Array<ArrayBuffer>;
  /** ECDSA P-256 signature, r ‖ s big-endian. */
  readonly signature: Uint8Array<ArrayBuffer>;
  /** The attestation key, raw x ‖ y (64 bytes). */
  readonly attestationKey: Uint8Array;
  readonly qeReport: TdxQeReport;
  readonly qeReportSignature: Uint8Array<ArrayBuffer>;
  readonly qeAuthData: Uint8Array;
  /** The PCK certificate chain, PEM text as the QE embedded it. */
  readonly pckChainPem: string;
  /** Bytes after the signature data (ignored; reported for diagnostics). */
  readonly trailingBytes: number;
}

class Reader {
  constructor(
    private readonly b: Uint8Array,
    public at = 0,
  ) {}
  take(n: number, what: string): Uint8Array {
    if (n < 0 || this.at + n > this.b.length) {
      throw new MalformedError(`quote truncated in ${what}`);
    }
    const out = this.b.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
  u16(what: string): number {
    const v = this.take(2, what);
    return v[0]! | (v[1]! << 8);
  }
  u32(what: string): number {
    const v = this.take(4, what);
    return (v[0]! | (v[1]! << 8) | (v[2]! << 16) | (v[3]! << 24)) >>> 0;
  }
}

const u16le = (b: Uint8Array, o: number) => b[o]! | (b[o + 1]! << 8);
const u32le = (b: Uint8Array, o: number) =>
  (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;

function parseTdReport(body: Uint8Array): TdxTdReport {
  const f = (o: number, n: number) => body.slice(o, o + n);
  const m = LENGTH.MEASUREMENT;
  const rtmr = (i: number) => f(BODY.RTMR0 + i * m, m);
  const is15 = body.length === BODY.SIZE_TDX15;
  return {
    teeTcbSvn: f(BODY.TEE_TCB_SVN, 16),
    mrSeam: f(BODY.MR_SEAM, m),
    mrSignerSeam: f(BODY.MR_SIGNER_SEAM, m),
    seamAttributes: f(BODY.SEAM_ATTRIBUTES, 8),
    tdAttributes: f(BODY.TD_ATTRIBUTES, 8),
    xfam: f(BODY.XFAM, 8),
    mrTd: f(BODY.MR_TD, m),
    mrConfigId: f(BODY.MR_CONFIG_ID, m),
    mrOwner: f(BODY.MR_OWNER, m),
    mrOwnerConfig: f(BODY.MR_OWNER_CONFIG, m),
    rtmr: [rtmr(0), rtmr(1), rtmr(2), rtmr(3)],
    reportData: f(BODY.REPORT_DATA, LENGTH.REPORT_DATA),
    teeTcbSvn2: is15 ? f(BODY.TEE_TCB_SVN_2, 16) : undefined,
    mrServiceTd: is15 ? f(BODY.MR_SERVICE_TD, m) : undefined,
  };
}

function parseQeReport(raw: Uint8Array): TdxQeReport {
  const f = (o: number, n: number) => raw.slice(o, o + n);
  return {
    raw: raw.slice(),
    cpuSvn: f(QE_REPORT.CPU_SVN, 16),
    miscSelect: u32le(raw, QE_REPORT.MISC_SELECT),
    attributes: f(QE_REPORT.ATTRIBUTES, 16),
    mrEnclave: f(QE_REPORT.MR_ENCLAVE, 32),
    mrSigner: f(QE_REPORT.MR_SIGNER, 32),
    isvProdId: u16le(raw, QE_REPORT.ISV_PROD_ID),
    isvSvn: u16le(raw, QE_REPORT.ISV_SVN),
    reportData: f(QE_REPORT.REPORT_DATA, 64),
  };
}

/**
 * Parses a TDX quote (v4 or v5). Only the layout is checked here; what the
 * header fields must say (TDX, ECDSA P-256, Intel's QE) is checked by the
 * verifier, so a refusal names the field.
 * @throws MalformedError when the bytes do not follow the layout (truncated,
 *   bad lengths, certification data of the wrong type, a chain that is not text);
 *   UnsupportedError for a quote version other than 4 or 5 or a v5 SGX body;
 *   LimitExceededError when the quote is over 64 KiB.
 */
export function parseTdxQuote(bytes: Uint8Array): TdxQuote {
  if (bytes.length > MAX_QUOTE_BYTES) throw new LimitExceededError('quote is over 64 KiB');
  const r = new Reader(bytes);
  const header = r.take(HEADER.SIZE, 'header');
  const version = u16le(header, HEADER.VERSION);
  if (version !== 4 && version !== 5) {
    throw new UnsupportedError(`quote version ${version}; only 4 and 5 are supported`);
  }
  let bodyType: number = V5_BODY_TYPE.TDX10;
  let bodySize: number = BODY.SIZE_TDX10;
  if (version === 5) {
    bodyType = r.u16('body descriptor');
    bodySize = r.u32('body descriptor');
    const expected =
      bodyType === V5_BODY_TYPE.TDX10
        ? BODY.SIZE_TDX10
        : bodyType === V5_BODY_TYPE.TDX15
          ? BODY.SIZE_TDX15
          : undefined;
    if (expected === undefined) throw new UnsupportedError(`v5 body type ${bodyType} is not TDX`);
    if (bodySize !== expected) {
      throw new MalformedError(`v5 body size ${bodySize}, expected ${expected}`);
    }
  }
  const body = r.take(bodySize, 'TD report body');
  const signedEnd = r.at;
  const sigLen = r.u32('signature data length');
  const sig = new Reader(r.take(sigLen, 'signature data'));
  const trailingBytes = bytes.length - r.at;

  const signature = sig.take(LENGTH.P256_SIGNATURE, 'quote signature').slice();
  const attestationKey = sig.take(LENGTH.P256_RAW_KEY, 'attestation key').slice();
  const outerType = sig.u16('certification data type');
  const outerSize = sig.u32('certification data size');
  if (outerType !== CERT_DATA_TYPE.QE_REPORT) {
    throw new MalformedError(`certification data type ${outerType}, expected 6 (QE report)`);
  }
  const qeBytes = sig.take(outerSize, 'QE report certification data');
  // Nothing may follow the certification data inside the signature data (A.3.8).
  if (sig.at !== sigLen || SIG_DATA.CERT_DATA + outerSize !== sigLen) {
    throw new MalformedError('bytes follow the certification data in the signature data');
  }
  const qe = new Reader(qeBytes);
  const qeReport = parseQeReport(qe.take(QE_REPORT.SIZE, 'QE report'));
  const qeReportSignature = qe.take(LENGTH.QE_REPORT_SIGNATURE, 'QE report signature').slice();
  const authSize = qe.u16('QE auth data size');
  const qeAuthData = qe.take(authSize, 'QE auth data').slice();
  const innerType = qe.u16('PCK certification data type');
  const innerSize = qe.u32('PCK certification data size');
  if (innerType !== CERT_DATA_TYPE.PCK_CHAIN) {
    throw new MalformedError(`inner certification data type ${innerType}, expected 5 (PCK chain)`);
  }
  const chainBytes = qe.take(innerSize, 'PCK certificate chain');
  if (qe.at !== outerSize) throw new MalformedError('bytes follow the PCK chain in the QE data');
  // The chain is C-string-ish in practice: drop trailing NULs, then it must be text.
  let end = chainBytes.length;
  while (end > 0 && chainBytes[end - 1] === 0) end--;
  const pckChainPem = fromUtf8(chainBytes.subarray(0, end));

  return {
    version,
    attestationKeyType: u16le(header, HEADER.ATTESTATION_KEY_TYPE),
    teeType: u32le(header, HEADER.TEE_TYPE),
    qeVendorId: header.slice(HEADER.QE_VENDOR_ID, HEADER.QE_VENDOR_ID + 16),
    bodyType,
    td: parseTdReport(body),
    signedBytes: bytes.slice(0, signedEnd),
    signature,
    attestationKey,
    qeReport,
    qeReportSignature,
    qeAuthData,
    pckChainPem,
    trailingBytes,
  };
}

/** Hex view of the identity fields, for summaries and error details. */
export function tdxQuoteHex(q: TdxQuote) {
  return {
    mrTd: toHex(q.td.mrTd),
    rtmr: q.td.rtmr.map((x) => toHex(x)),
    mrConfigId: toHex(q.td.mrConfigId),
    mrOwner: toHex(q.td.mrOwner),
    mrOwnerConfig: toHex(q.td.mrOwnerConfig),
    mrSeam: toHex(q.td.mrSeam),
    mrSignerSeam: toHex(q.td.mrSignerSeam),
    tdAttributes: toHex(q.td.tdAttributes),
    seamAttributes: toHex(q.td.seamAttributes),
    xfam: toHex(q.td.xfam),
    teeTcbSvn: toHex(q.td.teeTcbSvn),
    reportData: toHex(q.td.reportData),
  };
}

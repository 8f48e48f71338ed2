/**
 * Intel PCS collateral for TDX, as Intel PCS / a PCCS delivers it (Intel SGX
 * and TDX PCS API v4: "Get TDX TCB Information" → TCB Info V3, "Get TDX
 * Quoting Enclave Identity" → Enclave Identity V2): a JSON body
 * `{"tcbInfo":{…},"signature":"<hex r‖s>"}` (resp. `"enclaveIdentity"`),
 * where the ECDSA P-256 / SHA-256 signature by the Intel SGX TCB Signing key
 * covers the exact bytes of the inner object as they appear in the body.
 * The signed text is cut out of the body and parsed on its own, so the
 * fields the checks read are exactly the signed ones (a body with a second
 * `tcbInfo` key, or anything between the object and the signature, does not
 * parse and is refused). Every field the verifier reads is shape-checked.
 */

import { fromHex, utf8 } from '../../bytes';
import { MalformedError } from '../../errors';
import { TDX_TCB_STATUSES, type TdxTcbStatus } from './constants';

/** Bodies are a few KiB; bound hostile input. */
const MAX_COLLATERAL_CHARS = 256 * 1024;

export interface SignedCollateral<T> {
  readonly value: T;
  /** The exact UTF-8 bytes the signature covers. */
  readonly signedBytes: Uint8Array;
  /** r ‖ s, 64 bytes. */
  readonly signature: Uint8Array;
}

export interface TdxTcbLevel {
  readonly sgxTcbComponents: readonly number[];
  readonly pceSvn: number;
  readonly tdxTcbComponents: readonly number[];
  readonly tcbDate: string;
  readonly tcbStatus: TdxTcbStatus;
  readonly advisoryIds: readonly string[];
}

export interface TdxModuleIdentity {
  readonly id: string;
  readonly mrSigner: Uint8Array;
  readonly attributes: Uint8Array;
  readonly attributesMask: Uint8Array;
  readonly tcbLevels: readonly {
    isvSvn: number;
    tcbStatus: TdxTcbStatus;
    advisoryIds: readonly string[];
  }[];
}

/** TCB Info V3 for TDX (`id` "TDX", `version` 3). */
export interface TdxTcbInfo {
  readonly issueDate: Date;
  readonly nextUpdate: Date;
  readonly fmspc: Uint8Array;
  readonly pceId: Uint8Array;
  readonly tcbEvaluationDataNumber: number;
  readonly tdxModule: { mrSigner: Uint8Array; attributes: Uint8Array; attributesMask: Uint8Array };
  readonly tdxModuleIdentities: readonly TdxModuleIdentity[] | undefined;
  readonly tcbLevels: readonly TdxTcbLevel[];
}

/** Enclave Identity V2 of the TD Quoting Enclave (`id` "TD_QE"). */
export interface TdxQeIdentity {
  readonly issueDate: Date;
  readonly nextUpdate: Date;
  readonly tcbEvaluationDataNumber: number;
  readonly miscSelect: number;
  readonly miscSelectMask: number;
  readonly attributes: Uint8Array;
  readonly attributesMask: Uint8Array;
  readonly mrSigner: Uint8Array;
  readonly isvProdId: number;
  readonly tcbLevels: readonly {
    isvSvn: number;
    tcbStatus: TdxTcbStatus;
    advisoryIds: readonly string[];
  }[];
}

type Json = Record<string, unknown>;

function obj(v: unknown, what: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new MalformedError(`collateral ${what} is not an object`);
  }
  return v as Json;
}
function arr(v: unknown, what: string, max = 64): unknown[] {
  if (!Array.isArray(v) || v.length > max)
    throw new MalformedError(`collateral ${what} is not a list`);
  return v;
}
function int(v: unknown, what: string, max = 0xffff): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
    throw new MalformedError(`collateral ${what} is not an integer`);
  }
  return v;
}
function hex(v: unknown, what: string, bytes: number): Uint8Array {
  if (typeof v !== 'string' || v.length !== 2 * bytes) {
    throw new MalformedError(`collateral ${what} is not ${bytes} bytes of hex`);
  }
  return fromHex(v);
}
function date(v: unknown, what: string): Date {
  if (typeof v !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(v)) {
    throw new MalformedError(`collateral ${what} is not an ISO 8601 UTC time`);
  }
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new MalformedError(`collateral ${what} is not a time`);
  return d;
}
function status(v: unknown, what: string): TdxTcbStatus {
  if (typeof v !== 'string' || !(TDX_TCB_STATUSES as readonly string[]).includes(v)) {
    throw new MalformedError(`collateral ${what} is not a known TCB status`);
  }
  return v as TdxTcbStatus;
}
function advisories(v: unknown): string[] {
  if (v === undefined) return [];
  return arr(v, 'advisoryIDs', 256).map((a) => {
    if (typeof a !== 'string' || !/^INTEL-SA-\d{5}$/.test(a))
      throw new MalformedError('collateral advisory id');
    return a;
  });
}
function svns(v: unknown, what: string): number[] {
  const list = arr(v, what, 16);
  if (list.length !== 16) throw new MalformedError(`collateral ${what} must list 16 components`);
  return list.map((c) => int(obj(c, what).svn, `${what} svn`, 255));
}

/**
 * Cuts the signed object and the signature out of a PCS body.
 * @throws MalformedError when the body is not exactly `{"<key>":{…},"signature":"<128 hex>"}`.
 */
export function splitSignedBody(
  body: string,
  key: 'tcbInfo' | 'enclaveIdentity',
): SignedCollateral<Json> {
  if (body.length > MAX_COLLATERAL_CHARS) throw new MalformedError('collateral body is too large');
  const text = body.trim();
  const head = `{"${key}":`;
  const tail = /,"signature":"([0-9a-fA-F]{128})"\}$/.exec(text);
  if (!text.startsWith(head) || !tail) {
    throw new MalformedError(`collateral is not a PCS {"${key}":…,"signature":…} body`);
  }
  const signedText = text.slice(head.length, tail.index);
  let value: unknown;
  try {
    value = JSON.parse(signedText);
  } catch (cause) {
    throw new MalformedError(`collateral "${key}" is not one JSON object`, { cause });
  }
  return { value: obj(value, key), signedBytes: utf8(signedText), signature: fromHex(tail[1]!) };
}

function identityLevels(v: unknown, what: string) {
  return arr(v, what).map((l) => {
    const level = obj(l, what);
    return {
      isvSvn: int(obj(level.tcb, `${what} tcb`).isvsvn, `${what} isvsvn`),
      tcbStatus: status(level.tcbStatus, `${what} tcbStatus`),
      advisoryIds: advisories(level.advisoryIDs),
    };
  });
}

/**
 * Parses a TDX TCB Info V3 body.
 * @throws MalformedError on any shape error, an `id` other than "TDX" or a version other than 3.
 */
export function parseTdxTcbInfo(body: string): SignedCollateral<TdxTcbInfo> {
  const signed = splitSignedBody(body, 'tcbInfo');
  const t = signed.value;
  if (t.id !== 'TDX' || t.version !== 3) throw new MalformedError('TCB Info is not TDX version 3');
  const mod = obj(t.tdxModule, 'tdxModule');
  const identities =
    t.tdxModuleIdentities === undefined
      ? undefined
      : arr(t.tdxModuleIdentities, 'tdxModuleIdentities').map((m) => {
          const id = obj(m, 'tdxModuleIdentity');
          if (typeof id.id !== 'string' || !/^TDX_[0-9A-Fa-f]{2}$/.test(id.id)) {
            throw new MalformedError('collateral TDX module identity id');
          }
          return {
            id: id.id.toUpperCase(),
            mrSigner: hex(id.mrsigner, 'module mrsigner', 48),
            attributes: hex(id.attributes, 'module attributes', 8),
            attributesMask: hex(id.attributesMask, 'module attributesMask', 8),
            tcbLevels: identityLevels(id.tcbLevels, 'module tcbLevels'),
          };
        });
  const value: TdxTcbInfo = {
    issueDate: date(t.issueDate, 'issueDate'),
    nextUpdate: date(t.nextUpdate, 'nextUpdate'),
    fmspc: hex(t.fmspc, 'fmspc', 6),
    pceId: hex(t.pceId, 'pceId', 2),
    tcbEvaluationDataNumber: int(t.tcbEvaluationDataNumber, 'tcbEvaluationDataNumber', 2 ** 31),
    tdxModule: {
      mrSigner: hex(mod.mrsigner, 'tdxModule mrsigner', 48),
      attributes: hex(mod.attributes, 'tdxModule attributes', 8),
      attributesMask: hex(mod.attributesMask, 'tdxModule attributesMask', 8),
    },
    tdxModuleIdentities: identities,
    tcbLevels: arr(t.tcbLevels, 'tcbLevels').map((l) => {
      const level = obj(l, 'tcbLevel');
      const tcb = obj(level.tcb, 'tcbLevel tcb');
      return {
        sgxTcbComponents: svns(tcb.sgxtcbcomponents, 'sgxtcbcomponents'),
        pceSvn: int(tcb.pcesvn, 'pcesvn'),
        tdxTcbComponents: svns(tcb.tdxtcbcomponents, 'tdxtcbcomponents'),
        tcbDate: String(level.tcbDate),
        tcbStatus: status(level.tcbStatus, 'tcbStatus'),
        advisoryIds: advisories(level.advisoryIDs),
      };
    }),
  };
  return { ...signed, value };
}

/**
 * Parses a TD_QE Enclave Identity V2 body.
 * @throws MalformedError on any shape error, an `id` other than "TD_QE" or a version other than 2.
 */
export function parseTdxQeIdentity(body: string): SignedCollateral<TdxQeIdentity> {
  const signed = splitSignedBody(body, 'enclaveIdentity');
  const q = signed.value;
  if (q.id !== 'TD_QE' || q.version !== 2)
    throw new MalformedError('QE Identity is not TD_QE version 2');
  const u32 = (v: unknown, what: string) => {
    const b = hex(v, what, 4);
    return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  };
  const value: TdxQeIdentity = {
    issueDate: date(q.issueDate, 'issueDate'),
    nextUpdate: date(q.nextUpdate, 'nextUpdate'),
    tcbEvaluationDataNumber: int(q.tcbEvaluationDataNumber, 'tcbEvaluationDataNumber', 2 ** 31),
    miscSelect: u32(q.miscselect, 'miscselect'),
    miscSelectMask: u32(q.miscselectMask, 'miscselectMask'),
    attributes: hex(q.attributes, 'attributes', 16),
    attributesMask: hex(q.attributesMask, 'attributesMask', 16),
    mrSigner: hex(q.mrsigner, 'mrsigner', 32),
    isvProdId: int(q.isvprodid, 'isvprodid'),
    tcbLevels: identityLevels(q.tcbLevels, 'tcbLevels'),
  };
  return { ...signed, value };
}

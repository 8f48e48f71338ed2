/**
 * TCB status of a TDX platform from Intel's collateral, the way Intel's
 * Quote Verification Library decides it (SGXDataCenterAttestationPrimitives
 * `QuoteVerification/QVL`, "TDX TCB status" and "QE Identity" checks; Intel
 * PCS API v4 "TCB Info V3" field descriptions):
 *
 * 1. TCB Info: FMSPC and PCE-ID equal the PCK's; the TDX module's
 *    MRSIGNERSEAM and SEAMATTRIBUTES (under the mask) match `tdxModule`.
 * 2. TDX module identity: when TEE_TCB_SVN[1] (the module's major version)
 *    is non-zero, the TCB Info must list the identity `TDX_<major>` in
 *    `tdxModuleIdentities`; it must match MRSIGNERSEAM/SEAMATTRIBUTES, and its first
 *    level with ISVSVN ≤ TEE_TCB_SVN[0] gives the module's status; the
 *    level search below then skips TEE_TCB_SVN bytes 0 and 1.
 * 3. TCB level: the first level (Intel lists them best first) whose 16 SGX
 *    components and PCESVN are ≤ the PCK certificate's, and whose 16 TDX
 *    components are ≤ TEE_TCB_SVN, gives the platform's status.
 * 4. QE Identity: MISCSELECT and ATTRIBUTES under their masks, MRSIGNER and
 *    ISVPRODID equal; the first level with ISVSVN ≤ the QE's gives its status.
 * 5. The statuses converge: an out-of-date QE or module makes an up-to-date
 *    platform `OutOfDate` (a configuration-needed one
 *    `OutOfDateConfigurationNeeded`); a revoked one makes it `Revoked`.
 */

import { equalBytes, toHex } from '../../bytes';
import type { PckExtensions } from './certificate';
import type { TdxQeIdentity, TdxTcbInfo } from './collateral';
import type { TdxTcbStatus } from './constants';
import type { TdxQuote } from './quote';
import { failure, type TdxFailure } from './reasons';

export interface TdxTcbEvaluation {
  /** The converged status; `undefined` when a check failed before one was found. */
  readonly status: TdxTcbStatus | undefined;
  readonly platformStatus: TdxTcbStatus | undefined;
  readonly qeStatus: TdxTcbStatus | undefined;
  readonly moduleStatus: TdxTcbStatus | undefined;
  readonly advisoryIds: readonly string[];
  readonly failures: readonly TdxFailure[];
}

const masked = (a: Uint8Array, mask: Uint8Array) => a.map((x, i) => x & (mask[i] ?? 0));

function converge(platform: TdxTcbStatus, other: TdxTcbStatus | undefined): TdxTcbStatus {
  if (other === undefined || other === 'UpToDate') return platform;
  if (other === 'Revoked' || platform === 'Revoked') return 'Revoked';
  if (platform === 'UpToDate' || platform === 'SWHardeningNeeded') return 'OutOfDate';
  if (platform === 'ConfigurationNeeded' || platform === 'ConfigurationAndSWHardeningNeeded') {
    return 'OutOfDateConfigurationNeeded';
  }
  return platform;
}

/** Evaluates the platform TCB (TCB Info) and the QE (QE Identity) of a verified quote. */
export function evaluateTdxTcb(
  quote: TdxQuote,
  pck: PckExtensions,
  tcbInfo: TdxTcbInfo,
  qeIdentity: TdxQeIdentity,
): TdxTcbEvaluation {
  const out: TdxFailure[] = [];
  const svn = quote.td.teeTcbSvn;
  if (!equalBytes(tcbInfo.fmspc, pck.fmspc)) {
    out.push(
      failure(
        'tcb-info-mismatch',
        `TCB Info FMSPC ${toHex(tcbInfo.fmspc)}, PCK FMSPC ${toHex(pck.fmspc)}`,
      ),
    );
  }
  if (!equalBytes(tcbInfo.pceId, pck.pceId)) {
    out.push(
      failure(
        'tcb-info-mismatch',
        `TCB Info PCE-ID ${toHex(tcbInfo.pceId)}, PCK PCE-ID ${toHex(pck.pceId)}`,
      ),
    );
  }
  const mod = tcbInfo.tdxModule;
  if (
    !equalBytes(mod.mrSigner, quote.td.mrSignerSeam) ||
    !equalBytes(
      masked(quote.td.seamAttributes, mod.attributesMask),
      masked(mod.attributes, mod.attributesMask),
    )
  ) {
    out.push(
      failure(
        'tdx-module-identity',
        'MRSIGNERSEAM or SEAMATTRIBUTES is not the TCB Info TDX module',
      ),
    );
  }

  // Step 2: the TDX module identity of this major version, when Intel lists them.
  let moduleStatus: TdxTcbStatus | undefined;
  const advisoryIds: string[] = [];
  const major = svn[1]!;
  const useIdentities = major > 0;
  if (useIdentities) {
    const id = `TDX_${major.toString(16).padStart(2, '0').toUpperCase()}`;
    const identity = tcbInfo.tdxModuleIdentities?.find((m) => m.id === id);
    if (!identity) {
      out.push(failure('tdx-module-identity', `the TCB Info has no identity ${id}`));
    } else {
      if (
        !equalBytes(identity.mrSigner, quote.td.mrSignerSeam) ||
        !equalBytes(
          masked(quote.td.seamAttributes, identity.attributesMask),
          masked(identity.attributes, identity.attributesMask),
        )
      ) {
        out.push(failure('tdx-module-identity', `MRSIGNERSEAM or SEAMATTRIBUTES is not ${id}`));
      }
      const level = identity.tcbLevels.find((l) => l.isvSvn <= svn[0]!);
      if (!level)
        out.push(
          failure('tdx-module-identity', `TDX module SVN ${svn[0]} is below every ${id} level`),
        );
      moduleStatus = level?.tcbStatus;
      advisoryIds.push(...(level?.advisoryIds ?? []));
    }
  }

  // Step 3: the platform's TCB level.
  const tdxFrom = useIdentities ? 2 : 0;
  const level = tcbInfo.tcbLevels.find(
    (l) =>
      l.sgxTcbComponents.every((c, i) => (pck.sgxTcbComponents[i] ?? -1) >= c) &&
      pck.pceSvn >= l.pceSvn &&
      l.tdxTcbComponents.every((c, i) => i < tdxFrom || svn[i]! >= c),
  );
  if (!level) out.push(failure('tcb-level-none', 'the platform TCB is below every TCB Info level'));
  advisoryIds.push(...(level?.advisoryIds ?? []));

  // Step 4: the QE.
  const qe = quote.qeReport;
  const misc = (qe.miscSelect & qeIdentity.miscSelectMask) >>> 0;
  if (misc !== (qeIdentity.miscSelect & qeIdentity.miscSelectMask) >>> 0) {
    out.push(failure('qe-identity-mismatch', 'QE MISCSELECT does not match the QE Identity'));
  }
  if (
    !equalBytes(
      masked(qe.attributes, qeIdentity.attributesMask),
      masked(qeIdentity.attributes, qeIdentity.attributesMask),
    )
  ) {
    out.push(failure('qe-identity-mismatch', 'QE ATTRIBUTES do not match the QE Identity'));
  }
  if (!equalBytes(qe.mrSigner, qeIdentity.mrSigner)) {
    out.push(failure('qe-identity-mismatch', 'QE MRSIGNER is not the QE Identity MRSIGNER'));
  }
  if (qe.isvProdId !== qeIdentity.isvProdId) {
    out.push(
      failure(
        'qe-identity-mismatch',
        `QE ISVPRODID ${qe.isvProdId}, QE Identity ${qeIdentity.isvProdId}`,
      ),
    );
  }
  const qeLevel = qeIdentity.tcbLevels.find((l) => l.isvSvn <= qe.isvSvn);
  if (!qeLevel)
    out.push(
      failure('qe-identity-mismatch', `QE ISVSVN ${qe.isvSvn} is below every QE Identity level`),
    );
  advisoryIds.push(...(qeLevel?.advisoryIds ?? []));

  const platformStatus = level?.tcbStatus;
  const status =
    platformStatus === undefined
      ? undefined
      : converge(converge(platformStatus, qeLevel?.tcbStatus), moduleStatus);
  return {
    status,
    platformStatus,
    qeStatus: qeLevel?.tcbStatus,
    moduleStatus,
    advisoryIds: [...new Set(advisoryIds)],
    failures: out,
  };
}

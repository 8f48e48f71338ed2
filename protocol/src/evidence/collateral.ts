/**
 * Platform collateral inside the evidence bundle (DESIGN.md, "Evidence bundle"), the
 * same in `sotto-evidence/1` (`bundle.ts`) and `sotto-evidence/2` (`bundle-v2.ts`):
 *
 *   "collateral": {
 *     "tcbInfo"?: "<TCB Info V3 JSON body>",           // TDX, as Intel PCS serves it
 *     "qeIdentity"?: "<TD_QE Identity JSON body>",
 *     "tcbSigningChain"?: "<PEM or URL-encoded PEM>",  // the TCB-Info-Issuer-Chain header
 *     "pckCrl"?: "<base64 DER>",
 *     "rootCrl"?: "<base64 DER>",
 *     "arkCrl"?: "<base64 DER>"                        // SEV-SNP: the ARK-signed AMD KDS CRL
 *   }
 *
 * Every piece is optional here; the verifiers decide what they require. Each is bounded
 * (a few KiB in practice), and the bundle as a whole stays under MAX_EVIDENCE_BYTES.
 */
import { fromBase64, toBase64 } from '../bytes';
import { field, object } from './json-fields';

/**
 * Platform collateral. TDX, as Intel PCS serves it: the TCB Info and QE
 * Identity JSON bodies, the TCB Signing issuer chain (PEM or URL-encoded PEM,
 * as in the `TCB-Info-Issuer-Chain` header), and the PCK CA and root CRLs
 * (DER). SEV-SNP: the ARK-signed CRL from AMD KDS (DER).
 */
export interface EvidenceCollateral {
  tcbInfo?: string;
  qeIdentity?: string;
  tcbSigningChain?: string;
  pckCrl?: Uint8Array;
  rootCrl?: Uint8Array;
  arkCrl?: Uint8Array;
}

/** The collateral as it travels: text as is, bytes in base64. */
export type EvidenceCollateralJson = Partial<Record<keyof EvidenceCollateral, string>>;

const COLLATERAL_TEXT = ['tcbInfo', 'qeIdentity', 'tcbSigningChain'] as const;
const COLLATERAL_BYTES = ['pckCrl', 'rootCrl', 'arkCrl'] as const;
/** Each piece is a few KiB; the bundle as a whole stays under MAX_EVIDENCE_BYTES. */
export const MAX_COLLATERAL_FIELD_CHARS = 32 * 1024;

export function collateralToJson(c: EvidenceCollateral): EvidenceCollateralJson {
  const out: EvidenceCollateralJson = {};
  for (const k of COLLATERAL_TEXT) if (c[k] !== undefined) out[k] = c[k];
  for (const k of COLLATERAL_BYTES) if (c[k] !== undefined) out[k] = toBase64(c[k]);
  return out;
}

/** @throws MalformedError, LimitExceededError (a field over MAX_COLLATERAL_FIELD_CHARS). */
export function parseCollateral(v: unknown): EvidenceCollateral {
  const o = object(v, 'collateral');
  const out: EvidenceCollateral = {};
  for (const k of COLLATERAL_TEXT) {
    if (o[k] !== undefined) out[k] = field(o, k, MAX_COLLATERAL_FIELD_CHARS);
  }
  for (const k of COLLATERAL_BYTES) {
    if (o[k] !== undefined) out[k] = fromBase64(field(o, k, MAX_COLLATERAL_FIELD_CHARS));
  }
  return out;
}

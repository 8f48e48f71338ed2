/**
 * Intel PCS / PCCS collateral for TDX quotes (Intel SGX and TDX PCS API v4;
 * the same paths on a PCCS): fetched for the FMSPC and PCK CA of the quote's
 * own PCK certificate, cached, and refreshed before it expires, so every
 * evidence bundle carries collateral a client can check offline.
 *
 *   GET {base}/tdx/certification/v4/tcb?fmspc=…      TCB Info    (TCB-Info-Issuer-Chain)
 *   GET {base}/tdx/certification/v4/qe/identity      QE Identity (SGX-Enclave-Identity-Issuer-Chain)
 *   GET {base}/sgx/certification/v4/pckcrl?ca=…&encoding=der                  PCK CA CRL
 *   GET {rootCrlUrl}   Intel SGX Root CA CRL (PCS: certificates.trustedservices.intel.com;
 *                      a PCCS serves it at {base}/sgx/certification/v4/rootcacrl, hex or DER)
 *
 * The enclave does not need to trust any of it (the client verifies every
 * signature); it only bounds sizes and checks shapes, so a hostile PCCS cannot
 * make it cache garbage or grow without bound. Nothing from a prompt goes
 * near this code; log lines carry the FMSPC and status codes only.
 */
import {
  type EvidenceCollateral,
  fromHex,
  parseCertificateChain,
  parseCrl,
  parseTdxQeIdentity,
  parseTdxQuote,
  parseTdxTcbInfo,
  readPckExtensions,
  ServiceError,
  toHex,
  UnreachableError,
} from '@sotto/protocol';

export const INTEL_PCS_URL = 'https://api.trustedservices.intel.com';
export const INTEL_ROOT_CRL_URL =
  'https://certificates.trustedservices.intel.com/IntelSGXRootCA.der';

/** Collateral documents are a few KiB; refuse anything far larger. */
const MAX_COLLATERAL_BYTES = 256 * 1024;
/** Refresh this long before the earliest nextUpdate. */
const DEFAULT_REFRESH_BEFORE_MS = 60 * 60 * 1000;
const FETCH_TIMEOUT_MS = 10_000;

export interface TdxCollateralSource {
  /** Collateral for this quote's platform: cached while fresh, else fetched. */
  forQuote(quote: Uint8Array): Promise<EvidenceCollateral>;
}

interface Entry {
  readonly collateral: EvidenceCollateral;
  /** The earliest nextUpdate of the four documents. */
  readonly expiresAt: number;
}

type Fetch = typeof globalThis.fetch;

async function get(
  fetchFn: Fetch,
  url: string,
  issuerHeader?: string,
): Promise<{ body: Uint8Array; chain: string | undefined }> {
  let res: Response;
  try {
    res = await fetchFn(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  } catch (cause) {
    throw new UnreachableError('collateral service unreachable', { cause });
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new ServiceError(`collateral service answered ${res.status}`, {
      status: res.status,
      inner: false,
    });
  }
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > MAX_COLLATERAL_BYTES) {
    await res.body?.cancel();
    throw new ServiceError('collateral document is too large', { status: 502, inner: false });
  }
  const body = new Uint8Array(await res.arrayBuffer());
  if (body.length > MAX_COLLATERAL_BYTES) {
    throw new ServiceError('collateral document is too large', { status: 502, inner: false });
  }
  const chain = issuerHeader ? (res.headers.get(issuerHeader) ?? undefined) : undefined;
  if (issuerHeader && !chain) {
    throw new ServiceError(`collateral response has no ${issuerHeader}`, {
      status: 502,
      inner: false,
    });
  }
  return { body, chain };
}

/** A PCCS may send the root CRL hex-encoded; PCS sends DER. */
function crlBytes(body: Uint8Array): Uint8Array {
  const text = new TextDecoder().decode(body.subarray(0, 16));
  return /^[0-9a-fA-F]+$/.test(text.trim()) ? fromHex(new TextDecoder().decode(body).trim()) : body;
}

/** FMSPC and PCK CA ("platform" | "processor") from the quote's own PCK leaf. */
export function platformOfQuote(quote: Uint8Array): {
  fmspc: string;
  ca: 'platform' | 'processor';
} {
  const q = parseTdxQuote(quote);
  const [leaf, ca] = parseCertificateChain(q.pckChainPem);
  if (!leaf || !ca)
    throw new ServiceError('the quote has no PCK chain', { status: 500, inner: false });
  return {
    fmspc: toHex(readPckExtensions(leaf).fmspc),
    ca: ca.commonName.includes('Processor') ? 'processor' : 'platform',
  };
}

export function createTdxCollateralSource(options: {
  /** PCS or PCCS base URL (no trailing slash needed). Default: Intel PCS. */
  baseUrl?: string;
  /** Default: Intel's CRL distribution point for PCS, `{base}/sgx/certification/v4/rootcacrl` otherwise. */
  rootCrlUrl?: string;
  refreshBeforeMs?: number;
  fetch?: Fetch;
  now?: () => number;
}): TdxCollateralSource {
  const base = (options.baseUrl ?? INTEL_PCS_URL).replace(/\/+$/, '');
  const rootCrlUrl =
    options.rootCrlUrl ??
    (base === INTEL_PCS_URL ? INTEL_ROOT_CRL_URL : `${base}/sgx/certification/v4/rootcacrl`);
  const fetchFn = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  const refreshBefore = options.refreshBeforeMs ?? DEFAULT_REFRESH_BEFORE_MS;
  const cache = new Map<string, Entry>();
  const inflight = new Map<string, Promise<Entry>>();

  async function fetchAll(fmspc: string, ca: string): Promise<Entry> {
    const [tcb, qe, pck, root] = await Promise.all([
      get(fetchFn, `${base}/tdx/certification/v4/tcb?fmspc=${fmspc}`, 'TCB-Info-Issuer-Chain'),
      get(fetchFn, `${base}/tdx/certification/v4/qe/identity`, 'SGX-Enclave-Identity-Issuer-Chain'),
      get(fetchFn, `${base}/sgx/certification/v4/pckcrl?ca=${ca}&encoding=der`),
      get(fetchFn, rootCrlUrl),
    ]);
    const dec = new TextDecoder();
    const collateral: EvidenceCollateral = {
      tcbInfo: dec.decode(tcb.body),
      qeIdentity: dec.decode(qe.body),
      tcbSigningChain: tcb.chain!,
      pckCrl: crlBytes(pck.body),
      rootCrl: crlBytes(root.body),
    };
    // Shape checks only (the client verifies signatures); they also give the expiry.
    let expiresAt: number;
    try {
      const info = parseTdxTcbInfo(collateral.tcbInfo!).value;
      const ident = parseTdxQeIdentity(collateral.qeIdentity!).value;
      if (toHex(info.fmspc) !== fmspc) throw new Error('TCB Info is for another FMSPC');
      expiresAt = Math.min(
        info.nextUpdate.getTime(),
        ident.nextUpdate.getTime(),
        parseCrl(collateral.pckCrl!).nextUpdate.getTime(),
        parseCrl(collateral.rootCrl!).nextUpdate.getTime(),
      );
      parseCertificateChain(collateral.tcbSigningChain!);
    } catch (cause) {
      throw new ServiceError(
        'collateral service sent malformed collateral',
        {
          status: 502,
          inner: false,
        },
        { cause },
      );
    }
    return { collateral, expiresAt };
  }

  return {
    async forQuote(quote) {
      const { fmspc, ca } = platformOfQuote(quote);
      const key = `${fmspc}/${ca}`;
      const hit = cache.get(key);
      const t = now();
      if (hit && t < hit.expiresAt - refreshBefore) return hit.collateral;
      let p = inflight.get(key);
      if (!p) {
        p = fetchAll(fmspc, ca).finally(() => inflight.delete(key));
        inflight.set(key, p);
      }
      try {
        const entry = await p;
        cache.set(key, entry);
        return entry.collateral;
      } catch (e) {
        // A refresh that fails while the cached collateral is still valid keeps serving it.
        if (hit && t < hit.expiresAt) return hit.collateral;
        throw e;
      }
    },
  };
}

/**
 * Talking to the relay over `fetch` (browser, service worker and Node alike):
 * fetch and verify evidence, post a sealed request, stream the sealed answer.
 * Only ciphertext and public evidence cross this boundary.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '../bytes';
import { MalformedError, ServiceError, UnreachableError, UnsupportedError } from '../errors';
import {
  EVIDENCE_FORMAT_V2,
  type EvidencePolicyV2,
  parseEvidence,
  parseEvidenceV2,
  readEvidenceJson,
  type VerifiedEvidence,
  type VerifiedEvidenceV2,
  verifyEvidence,
  verifyEvidenceV2,
} from '../evidence';
import {
  decodeKeyConfigList,
  type KeyConfig,
  OHTTP_CHUNKED_REQUEST_MEDIA_TYPE,
  selectKeyConfig,
} from '../ohttp';
import type { SealedChatRequest } from './chat';

export type FetchLike = typeof fetch;

export interface AttestedKey {
  /** v2 evidence (release-bound) carries `release`, `override` and `keyConfigs`. */
  evidence: VerifiedEvidence | VerifiedEvidenceV2;
  /**
   * The config this client seals to, chosen from the bound list: X-Wing
   * whenever it is offered, X25519 only when it is not (see `selectKeyConfig`).
   */
  keyConfig: KeyConfig;
  /** Every usable config of the bound list, in its order. */
  keyConfigs: KeyConfig[];
  /**
   * `dev` evidence only: hex SHA-256 of the signing key's SPKI, the key the report's
   * signature was just checked against. A dev key proves nothing by itself, so clients
   * pin it per relay on first use and refuse a change (trust on first use).
   */
  devKeySha256?: string;
}

function trimUrl(relayUrl: string): string {
  return relayUrl.replace(/\/+$/, '');
}

async function call(fetchFn: FetchLike, url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetchFn(url, init);
  } catch (cause) {
    if ((cause as Error)?.name === 'AbortError') throw cause;
    throw new UnreachableError(`cannot reach the relay at ${new URL(url).origin}`, { cause });
  }
}

async function outerError(res: Response): Promise<ServiceError> {
  const retry = res.headers.get('retry-after');
  const text = await res.text().catch(() => '');
  let detail = '';
  try {
    const body = JSON.parse(text) as { error?: unknown; type?: unknown; title?: unknown };
    // `{"error": code}` from the relay, or RFC 9457 problem details (the type URI's
    // last segment names the problem; the title says it in words).
    const type = typeof body.type === 'string' ? body.type.replace(/^.*[/#:]/, '') : undefined;
    detail = [body.error, type, body.title]
      .filter((d): d is string => typeof d === 'string' && d !== '')
      .join(': ')
      // Hostile text: no control characters (terminal escapes) beyond this point.
      // eslint-disable-next-line no-control-regex -- matching them is the point
      .replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
  } catch {
    // status only
  }
  return new ServiceError(
    `the relay answered ${res.status}${detail ? ` (${detail.slice(0, 120)})` : ''}`,
    {
      status: res.status,
      inner: false,
      ...(retry !== null && Number.isFinite(Number(retry))
        ? { retryAfterSeconds: Number(retry) }
        : {}),
    },
  );
}

/** A rate-limited evidence fetch (429) is retried this often, as its Retry-After says. */
const EVIDENCE_RETRIES = 3;
/** Longest Retry-After honoured for evidence; a longer one surfaces as the 429. */
const MAX_EVIDENCE_RETRY_AFTER_SECONDS = 10;

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Fetches the evidence the relay passes on, verifies it, and picks the key to
 * seal to from the key config list the report binds: the KEM choice follows
 * from those bytes alone, so a relay cannot steer it (dropping or reordering a
 * config breaks REPORT_DATA; nothing a request carries is consulted). A `429`
 * with a `Retry-After` of at most 10 s is waited out (plus up to half again, at
 * random) and retried, up to 3 times.
 * @throws UnreachableError, ServiceError, VerificationError (refused), MalformedError
 *   (the bound list is unreadable or offers no key this client can use).
 */
export async function fetchAttestedKey(
  relayUrl: string,
  policy: EvidencePolicyV2,
  options: { fetch?: FetchLike; fresh?: boolean; sleep?: (ms: number) => Promise<void> } = {},
): Promise<AttestedKey> {
  const fetchFn = options.fetch ?? fetch;
  let res: Response;
  for (let retries = 0; ; retries++) {
    res = await call(fetchFn, `${trimUrl(relayUrl)}/v1/evidence`, {
      headers: options.fresh ? { 'cache-control': 'no-cache' } : {},
    });
    const after = Number(res.headers.get('retry-after') ?? Number.NaN);
    if (
      res.status !== 429 ||
      retries >= EVIDENCE_RETRIES ||
      !(after >= 0 && after <= MAX_EVIDENCE_RETRY_AFTER_SECONDS)
    ) {
      break;
    }
    await res.body?.cancel().catch(() => undefined);
    await (options.sleep ?? pause)(after * 1000 * (1 + Math.random() / 2));
  }
  if (!res.ok) throw await outerError(res);
  const { evidence, devKey } = await openEvidence(await res.text(), policy);
  let keyConfigs: KeyConfig[];
  let keyConfig: KeyConfig;
  try {
    keyConfigs = decodeKeyConfigList(evidence.keyConfigs);
    keyConfig = selectKeyConfig(keyConfigs);
  } catch (cause) {
    const what = cause instanceof UnsupportedError ? 'offers no usable key' : 'is unreadable';
    throw new MalformedError(`the attested key config list ${what}`, { cause });
  }
  return {
    evidence,
    keyConfig,
    keyConfigs,
    ...(devKey ? { devKeySha256: toHex(sha256(devKey)) } : {}),
  };
}

/**
 * Parses and verifies evidence of either format: v2 (`sotto-evidence/2`, release-bound,
 * verify-v2.ts) or v1 (the dev-era format, verify.ts).
 * @throws MalformedError, LimitExceededError, UnsupportedError, VerificationError.
 */
export async function verifyAnyEvidence(
  text: string,
  policy: EvidencePolicyV2,
): Promise<VerifiedEvidence | VerifiedEvidenceV2> {
  return (await openEvidence(text, policy)).evidence;
}

/** {@link verifyAnyEvidence}, and the dev signing key (SPKI) a `dev` report was checked against. */
async function openEvidence(
  text: string,
  policy: EvidencePolicyV2,
): Promise<{ evidence: VerifiedEvidence | VerifiedEvidenceV2; devKey?: Uint8Array }> {
  const value = readEvidenceJson(text);
  const bundle =
    (value as { format?: unknown } | null)?.format === EVIDENCE_FORMAT_V2
      ? parseEvidenceV2(value)
      : parseEvidence(value);
  const evidence =
    'version' in bundle
      ? await verifyEvidenceV2(bundle, policy)
      : await verifyEvidence(bundle, policy);
  const devKey = bundle.platform === 'dev' ? bundle.certificates.devKey : undefined;
  return { evidence, ...(devKey ? { devKey } : {}) };
}

/**
 * Posts a sealed request; resolves with the sealed response stream once headers arrive.
 * @throws UnreachableError, ServiceError (an outer status: 413, 415, 429, 503, 504, unknown key …).
 */
export async function postSealed(
  relayUrl: string,
  sealed: Pick<SealedChatRequest, 'body' | 'contentType'>,
  options: { fetch?: FetchLike; signal?: AbortSignal } = {},
): Promise<ReadableStream<Uint8Array>> {
  const fetchFn = options.fetch ?? fetch;
  const res = await call(fetchFn, `${trimUrl(relayUrl)}/v1/ohttp`, {
    method: 'POST',
    headers: {
      'content-type': sealed.contentType,
      // draft-ietf-ohai-chunked-ohttp §3: ask every hop to pass chunks on as they come.
      ...(sealed.contentType === OHTTP_CHUNKED_REQUEST_MEDIA_TYPE ? { incremental: '?1' } : {}),
    },
    body: sealed.body as BodyInit,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (!res.ok || !res.body) throw await outerError(res);
  return res.body;
}

/** True when an outer error says the key rotated away: refetch evidence and re-seal. */
export function isStaleKey(e: unknown): boolean {
  return (
    e instanceof ServiceError &&
    !e.inner &&
    e.status === 400 &&
    /key identifier unknown/.test(e.message)
  );
}

/**
 * True when the enclave refused the sealed request as undecryptable (`400 bad_request`).
 * A restarted enclave draws its key ids at random and may draw the one its predecessor had:
 * a request sealed to the old key under that id then fails to open. Only fresh evidence
 * with another key tells that apart from a request that is really malformed.
 */
export function isRejectedRequest(e: unknown): boolean {
  return e instanceof ServiceError && !e.inner && e.status === 400 && /bad_request/.test(e.message);
}

/**
 * True when the relay says no enclave holding this key is up (`503 enclave_unavailable`):
 * the enclave died or restarted. Fetch fresh evidence (another enclave, or the new key)
 * and re-seal; waiting will not bring the old key back.
 */
export function isEnclaveUnavailable(e: unknown): boolean {
  return (
    e instanceof ServiceError &&
    !e.inner &&
    e.status === 503 &&
    /enclave_unavailable/.test(e.message)
  );
}

/** True for overload (429, or 503 other than {@link isEnclaveUnavailable}): wait `retryAfterSeconds`, then retry. */
export function isOverloaded(e: unknown): boolean {
  return (
    e instanceof ServiceError && (e.status === 429 || e.status === 503) && !isEnclaveUnavailable(e)
  );
}

/**
 * Talking to the relay over `fetch` (browser, service worker and Node alike):
 * fetch and verify evidence, post a sealed request, stream the sealed answer.
 * Only ciphertext and public evidence cross this boundary.
 */
import { MalformedError, ServiceError, UnreachableError } from '../errors';
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
import { decodeKeyConfig, type KeyConfig } from '../ohttp';
import type { SealedChatRequest } from './chat';

export type FetchLike = typeof fetch;

export interface AttestedKey {
  /** v2 evidence (release-bound) carries `release`, `override` and `keyConfigs`. */
  evidence: VerifiedEvidence | VerifiedEvidenceV2;
  keyConfig: KeyConfig;
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
    const body = JSON.parse(text) as { error?: unknown; title?: unknown };
    if (typeof body.error === 'string') detail = body.error;
    else if (typeof body.title === 'string') detail = body.title;
  } catch {
    // status only
  }
  return new ServiceError(
    `the relay answered ${res.status}${detail ? ` (${detail.slice(0, 80)})` : ''}`,
    {
      status: res.status,
      inner: false,
      ...(retry !== null && Number.isFinite(Number(retry))
        ? { retryAfterSeconds: Number(retry) }
        : {}),
    },
  );
}

/**
 * Fetches the evidence the relay passes on and verifies it.
 * @throws UnreachableError, ServiceError, VerificationError (refused), MalformedError.
 */
export async function fetchAttestedKey(
  relayUrl: string,
  policy: EvidencePolicyV2,
  options: { fetch?: FetchLike; fresh?: boolean } = {},
): Promise<AttestedKey> {
  const fetchFn = options.fetch ?? fetch;
  const res = await call(fetchFn, `${trimUrl(relayUrl)}/v1/evidence`, {
    headers: options.fresh ? { 'cache-control': 'no-cache' } : {},
  });
  if (!res.ok) throw await outerError(res);
  const evidence = await verifyAnyEvidence(await res.text(), policy);
  let keyConfig: KeyConfig;
  try {
    keyConfig = decodeKeyConfig(evidence.keyConfig);
  } catch (cause) {
    throw new MalformedError('the attested key config is unreadable', { cause });
  }
  return { evidence, keyConfig };
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
  const value = readEvidenceJson(text);
  if ((value as { format?: unknown } | null)?.format === EVIDENCE_FORMAT_V2) {
    return verifyEvidenceV2(parseEvidenceV2(value), policy);
  }
  return verifyEvidence(parseEvidence(value), policy);
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
    headers: { 'content-type': sealed.contentType },
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

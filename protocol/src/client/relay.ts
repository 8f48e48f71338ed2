/**
 * Talking to the relay over `fetch` (browser, service worker and Node alike):
 * fetch and verify evidence, post a sealed request, stream the sealed answer.
 * Only ciphertext and public evidence cross this boundary.
 */
import { MalformedError, ServiceError, UnreachableError } from '../errors';
import {
  type EvidencePolicy,
  parseEvidence,
  type VerifiedEvidence,
  verifyEvidence,
} from '../evidence';
import { decodeKeyConfig, type KeyConfig } from '../ohttp';
import type { SealedChatRequest } from './chat';

export type FetchLike = typeof fetch;

export interface AttestedKey {
  evidence: VerifiedEvidence;
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

/** A rate-limited evidence fetch (429) is retried this often, as its Retry-After says. */
const EVIDENCE_RETRIES = 3;
/** Longest Retry-After honoured for evidence; a longer one surfaces as the 429. */
const MAX_EVIDENCE_RETRY_AFTER_SECONDS = 10;

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Fetches the evidence the relay passes on and verifies it. A `429` with a
 * `Retry-After` of at most 10 s is waited out (plus up to half again, at random)
 * and retried, up to 3 times.
 * @throws UnreachableError, ServiceError, VerificationError (refused), MalformedError.
 */
export async function fetchAttestedKey(
  relayUrl: string,
  policy: EvidencePolicy,
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
  const bundle = parseEvidence(await res.text());
  const evidence = await verifyEvidence(bundle, policy);
  let keyConfig: KeyConfig;
  try {
    keyConfig = decodeKeyConfig(evidence.keyConfig);
  } catch (cause) {
    throw new MalformedError('the attested key config is unreadable', { cause });
  }
  return { evidence, keyConfig };
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

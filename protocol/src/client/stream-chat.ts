/**
 * One chat completion through the relay with the retries a user would expect:
 * a rotated key (refetch evidence, re-seal), a busy enclave (wait as told, with
 * jitter, for up to two minutes in all; refetch evidence so the relay may pick
 * another enclave), a dead enclave (the relay's `503 enclave_unavailable`, or the
 * request's connection failing: refetch evidence once, so the key of an enclave
 * that is up is used), and a cut-off answer (once, with fresh evidence too).
 * Every retry re-seals with a fresh ephemeral key: nothing is ever resent as-is.
 * The CLI and the extension's worker share this loop.
 */
import { type ServiceError, TruncatedStreamError, UnreachableError } from '../errors';
import type { EvidencePolicy } from '../evidence';
import type { KeyConfig } from '../ohttp/key-config';
import { type ChatEvent, type ChatRequest, sealChatRequest } from './chat';
import {
  type AttestedKey,
  type FetchLike,
  fetchAttestedKey,
  isEnclaveUnavailable,
  isOverloaded,
  isRejectedRequest,
  isStaleKey,
  postSealed,
} from './relay';

export type RetryReason = 'stale-key' | 'busy' | 'enclave-down' | 'truncated';

export type StreamChatEvent<K extends AttestedKey = AttestedKey> =
  | ChatEvent
  | { type: 'attested'; key: K }
  | { type: 'retry'; reason: RetryReason; afterSeconds: number };

export interface StreamChatOptions<K extends AttestedKey = AttestedKey> {
  policy: EvidencePolicy;
  /** A key verified earlier; fetched (and verified) when absent. */
  key?: K;
  /**
   * Fetches and verifies evidence in the caller's own way (a cache, a pinned dev key);
   * `fresh` asks past the relay's cache. Default: {@link fetchAttestedKey} with `policy`.
   */
  attest?: (fresh: boolean) => Promise<K>;
  fetch?: FetchLike;
  signal?: AbortSignal;
  /** Busy retries before giving up. Default: as many as {@link maxBusyWaitSeconds} allows. */
  maxBusyRetries?: number;
  /** Longest wait honoured from Retry-After. Default 10 s. */
  maxRetryAfterSeconds?: number;
  /**
   * Total time spent waiting on busy answers (503 / 429 with Retry-After) before the
   * error surfaces. Default 120 s: an overloaded enclave is waited for, politely.
   * Without Retry-After (e.g. a dead enclave's 503) there are 3 retries.
   */
  maxBusyWaitSeconds?: number;
  /** Injected for tests: a number in [0, 1) that spreads retries (jitter). Default Math.random. */
  random?: () => number;
  /** Injected for tests: waits `ms` (or until `signal` aborts). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

/** Retries of a 503 / 429 that carries no Retry-After. */
const UNADVISED_BUSY_RETRIES = 3;

/**
 * Streams one answer. Yields `attested` whenever a (new) verified key is in use,
 * `retry` before each retry (a UI shows it; text yielded before a truncation retry
 * is superseded by the retried answer), then deltas and one `done`.
 * @throws as {@link fetchAttestedKey}, {@link postSealed} and the response stream,
 *   after the retries are spent (TruncatedStreamError on the second cut-off).
 */
export async function* streamChat<K extends AttestedKey = AttestedKey>(
  relayUrl: string,
  request: ChatRequest,
  options: StreamChatOptions<K>,
): AsyncGenerator<StreamChatEvent<K>, void, undefined> {
  const fetchOpts = options.fetch ? { fetch: options.fetch } : {};
  const sleep = options.sleep ?? defaultSleep;
  const attest =
    options.attest ??
    ((fresh: boolean) =>
      fetchAttestedKey(relayUrl, options.policy, { ...fetchOpts, fresh }) as Promise<K>);
  let key = options.key ?? (await attest(false));
  yield { type: 'attested', key };
  let stale = 0;
  let busy = 0;
  let down = 0;
  let busyWaitedSeconds = 0;
  let truncated = 0;
  /** Evidence already fetched for the next try. */
  let next: K | undefined;
  const random = options.random ?? Math.random;
  for (;;) {
    const sealed = await sealChatRequest(key.keyConfig, request);
    let reason: RetryReason;
    let afterSeconds = 0;
    try {
      const body = await postSealed(relayUrl, sealed, {
        ...fetchOpts,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      yield* sealed.openResponse(body);
      return;
    } catch (e) {
      if (options.signal?.aborted) throw e;
      if (isStaleKey(e) && stale++ === 0) reason = 'stale-key';
      else if (isRejectedRequest(e) && stale++ === 0) {
        // Retried only if fresh evidence names another key (see isRejectedRequest).
        const fresh = await attest(true);
        if (sameKeyConfig(fresh.keyConfig, key.keyConfig)) throw e;
        next = fresh;
        reason = 'stale-key';
      } else if ((isEnclaveUnavailable(e) || e instanceof UnreachableError) && down++ === 0) {
        reason = 'enclave-down';
      } else if (
        isOverloaded(e) &&
        busy++ < (options.maxBusyRetries ?? Number.POSITIVE_INFINITY) &&
        // Overload says when to come back (Retry-After): waited for, up to the
        // budget. A 503 without it gets three tries, as before.
        ((e as ServiceError).retryAfterSeconds !== undefined
          ? busyWaitedSeconds < (options.maxBusyWaitSeconds ?? 120)
          : busy <= UNADVISED_BUSY_RETRIES)
      ) {
        reason = 'busy';
        const told = (e as ServiceError).retryAfterSeconds;
        afterSeconds = Math.min(told ?? 1, options.maxRetryAfterSeconds ?? 10);
      } else if (e instanceof TruncatedStreamError && truncated++ === 0) reason = 'truncated';
      else throw e;
    }
    yield { type: 'retry', reason, afterSeconds };
    if (afterSeconds > 0) {
      // Up to half as long again, at random: clients refused together do not all
      // come back in the same instant (RFC 9110 §10.2.3 gives the minimum wait).
      const waitSeconds = afterSeconds * (1 + random() / 2);
      if (reason === 'busy') busyWaitedSeconds += waitSeconds;
      await sleep(waitSeconds * 1000, options.signal);
    }
    key = next ?? (await attest(true));
    next = undefined;
    yield { type: 'attested', key };
  }
}

function sameKeyConfig(a: KeyConfig, b: KeyConfig): boolean {
  return (
    a.keyId === b.keyId &&
    a.kemId === b.kemId &&
    a.publicKey.length === b.publicKey.length &&
    a.publicKey.every((v, i) => v === b.publicKey[i])
  );
}

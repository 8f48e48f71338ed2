/**
 * One chat completion through the relay with the retries a user would expect:
 * a rotated key (refetch evidence, re-seal), a busy enclave (wait as told, with
 * jitter, for up to two minutes in all; refetch evidence so the relay may pick
 * another enclave), and a cut-off answer (once).
 * Every retry re-seals with a fresh ephemeral key: nothing is ever resent as-is.
 */
import { ServiceError, TruncatedStreamError } from '../errors';
import type { EvidencePolicy } from '../evidence';
import { type ChatEvent, type ChatRequest, sealChatRequest } from './chat';
import {
  type AttestedKey,
  type FetchLike,
  fetchAttestedKey,
  isStaleKey,
  postSealed,
} from './relay';

export type StreamChatEvent =
  | ChatEvent
  | { type: 'attested'; key: AttestedKey }
  | { type: 'retry'; reason: 'stale-key' | 'busy' | 'truncated'; afterSeconds: number };

export interface StreamChatOptions {
  policy: EvidencePolicy;
  /** A key verified earlier; fetched (and verified) when absent. */
  key?: AttestedKey;
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

function isBusy(e: unknown): e is ServiceError {
  return e instanceof ServiceError && (e.status === 503 || e.status === 429);
}

/**
 * Streams one answer. Yields `attested` whenever a (new) verified key is in use,
 * `retry` before each retry (a UI shows it; text yielded before a truncation retry
 * is superseded by the retried answer), then deltas and one `done`.
 * @throws as {@link fetchAttestedKey}, {@link postSealed} and the response stream,
 *   after the retries are spent (TruncatedStreamError on the second cut-off).
 */
export async function* streamChat(
  relayUrl: string,
  request: ChatRequest,
  options: StreamChatOptions,
): AsyncGenerator<StreamChatEvent, void, undefined> {
  const fetchOpts = options.fetch ? { fetch: options.fetch } : {};
  const sleep = options.sleep ?? defaultSleep;
  let key = options.key ?? (await fetchAttestedKey(relayUrl, options.policy, fetchOpts));
  yield { type: 'attested', key };
  let stale = 0;
  let busy = 0;
  let busyWaitedSeconds = 0;
  let truncated = 0;
  const random = options.random ?? Math.random;
  for (;;) {
    const sealed = await sealChatRequest(key.keyConfig, request);
    let reason: 'stale-key' | 'busy' | 'truncated';
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
      else if (
        isBusy(e) &&
        busy++ < (options.maxBusyRetries ?? Number.POSITIVE_INFINITY) &&
        // Overload says when to come back (Retry-After): waited for, up to the
        // budget. A 503 without it (a dead enclave) gets three tries, as before.
        (e.retryAfterSeconds !== undefined
          ? busyWaitedSeconds < (options.maxBusyWaitSeconds ?? 120)
          : busy <= UNADVISED_BUSY_RETRIES)
      ) {
        reason = 'busy';
        afterSeconds = Math.min(e.retryAfterSeconds ?? 1, options.maxRetryAfterSeconds ?? 10);
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
    key = await fetchAttestedKey(relayUrl, options.policy, { ...fetchOpts, fresh: true });
    yield { type: 'attested', key };
  }
}

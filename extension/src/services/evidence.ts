/**
 * The enclave's evidence, fetched from the relay and verified on this device
 * (protocol client/relay.ts `fetchAttestedKey`, evidence/verify.ts) before the
 * first request, again when the relay says the key rotated (`isStaleKey`), when
 * the relay URL or development mode changes, and at least hourly. Nothing is
 * sealed to a key this service did not verify. `dev` evidence is refused unless
 * the user switched development mode on, or chose "Use this development enclave"
 * for this relay (dev-trust.ts); either way the relay's dev signing key is pinned
 * on first use and a changed key is refused. The verified key is cached in memory only.
 */
import {
  type AttestedKey,
  DEFAULT_MAX_KEY_AGE_MS,
  type FetchLike,
  fetchAttestedKey,
  kemName,
  parseTrustedRootJson,
  type ReleasePolicy,
  VerificationError,
} from '@sotto/protocol';
import type { EvidenceSummary, ReleaseView, Settings } from '../messaging';
import type { DevTrustStore } from './dev-trust';
import { devKeyChanged, devRefused, isDevRefusal } from './failure';

/** Re-verify at least this often even when the key has not changed. */
export const EVIDENCE_MAX_AGE_MS = 60 * 60 * 1000;

export interface EvidenceOptions {
  settings: () => Promise<Settings>;
  /** Per-relay development choices and pinned dev keys; without it dev keys are not pinned. */
  devTrust?: DevTrustStore;
  fetch?: FetchLike;
  now?: () => number;
}

/** A verified key and what the lock badge shows about it. */
export interface Attested extends AttestedKey {
  summary: EvidenceSummary;
  relayUrl: string;
}

interface Cached {
  relayUrl: string;
  developmentMode: boolean;
  allowedMeasurements: string;
  release: string;
  verifiedAtMs: number;
  attested: Attested;
}

export class EvidenceService {
  readonly #opts: EvidenceOptions;
  #cached: Cached | undefined;
  #inflight: Promise<Attested> | undefined;

  constructor(options: EvidenceOptions) {
    this.#opts = options;
  }

  #now(): number {
    return (this.#opts.now ?? Date.now)();
  }

  /**
   * The verified key for the current settings; fetched and verified when not cached.
   * `fresh` forces a refetch past the relay's cache (after a stale-key answer).
   * @throws ServiceFailure `dev-refused` (dev evidence, not accepted for this relay) or
   *   `dev-key-changed` (not the dev key pinned for this relay); VerificationError (refused),
   *   UnreachableError, ServiceError, MalformedError — see protocol client/relay.ts.
   */
  async current(options: { fresh?: boolean } = {}): Promise<Attested> {
    const settings = await this.#opts.settings();
    const c = this.#cached;
    if (
      !options.fresh &&
      c &&
      c.relayUrl === settings.relayUrl &&
      c.developmentMode === settings.developmentMode &&
      c.allowedMeasurements === settings.allowedMeasurements.join() &&
      c.release === JSON.stringify(settings.release) &&
      this.#now() - c.verifiedAtMs < EVIDENCE_MAX_AGE_MS &&
      // A cached key is no older than a fresh verification would accept (verify-v2.ts).
      this.#now() - c.attested.evidence.keyCreatedAt.getTime() <= DEFAULT_MAX_KEY_AGE_MS
    ) {
      return this.#withAge(c.attested);
    }
    if (this.#inflight && !options.fresh) return this.#inflight;
    const run = this.#verify(settings, options.fresh ?? false);
    this.#inflight = run;
    try {
      return await run;
    } finally {
      if (this.#inflight === run) this.#inflight = undefined;
    }
  }

  /** Forgets the verified key (settings changed, or the key was refused). */
  invalidate(): void {
    this.#cached = undefined;
  }

  async #verify(settings: Settings, fresh: boolean): Promise<Attested> {
    this.#cached = undefined;
    const { relayUrl } = settings;
    const trust = (await this.#opts.devTrust?.get(relayUrl)) ?? { accepted: false };
    let key: AttestedKey;
    try {
      key = await fetchAttestedKey(
        relayUrl,
        {
          allowDevelopment: settings.developmentMode || trust.accepted,
          now: new Date(this.#now()),
          ...(settings.allowedMeasurements.length > 0
            ? { allowedMeasurements: settings.allowedMeasurements }
            : {}),
          release: releasePolicy(settings),
        },
        { ...(this.#opts.fetch ? { fetch: this.#opts.fetch } : {}), fresh },
      );
    } catch (e) {
      if (e instanceof VerificationError && isDevRefusal(e)) throw devRefused(relayUrl, e);
      throw e;
    }
    if (key.evidence.platform === 'dev' && this.#opts.devTrust) {
      const seen = key.devKeySha256;
      if (!seen) throw new VerificationError(['dev evidence carries no signing key']);
      if (!trust.keySha256) await this.#opts.devTrust.pin(relayUrl, seen);
      else if (trust.keySha256 !== seen) throw devKeyChanged(relayUrl, seen);
    }
    const verifiedAtMs = this.#now();
    const attested: Attested = {
      ...key,
      relayUrl: settings.relayUrl,
      summary: {
        platform: key.evidence.platform,
        development: key.evidence.development,
        measurement: key.evidence.measurement,
        model: { name: key.evidence.model.name, sha256: key.evidence.model.sha256 },
        ...('contextSize' in key.evidence.model
          ? { contextTokens: key.evidence.model.contextSize }
          : {}),
        keyId: key.keyConfig.keyId,
        kem: kemName(key.keyConfig.kemId),
        keyAgeSeconds: 0,
        releaseId: key.evidence.releaseId,
        override: 'override' in key.evidence && key.evidence.override,
        ...('release' in key.evidence && key.evidence.release
          ? { release: releaseView(key.evidence.release) }
          : {}),
        keyCreatedAt: key.evidence.keyCreatedAt.toISOString(),
        verifiedAt: new Date(verifiedAtMs).toISOString(),
      },
    };
    this.#cached = {
      relayUrl: settings.relayUrl,
      developmentMode: settings.developmentMode,
      allowedMeasurements: settings.allowedMeasurements.join(),
      release: JSON.stringify(settings.release),
      verifiedAtMs,
      attested,
    };
    return this.#withAge(attested);
  }

  #withAge(a: Attested): Attested {
    const age = Math.max(0, Math.floor((this.#now() - a.evidence.keyCreatedAt.getTime()) / 1000));
    return { ...a, summary: { ...a.summary, keyAgeSeconds: age } };
  }
}

/** The release policy the settings name (settings.ts checked every field when it was set). */
function releasePolicy(settings: Settings): ReleasePolicy {
  const r = settings.release;
  return {
    identity: {
      issuer: r.issuer,
      repository: r.repository,
      workflow: r.workflow,
      tagPrefix: r.tagPrefix,
    },
    ...(r.trustedRoot !== '' && { trustedRoot: parseTrustedRootJson(r.trustedRoot) }),
    ...(r.managedKeys.length > 0 && { managedKeys: r.managedKeys }),
  };
}

function releaseView(r: ReleaseView & { statementSha256?: string }): ReleaseView {
  const { statementSha256: _, ...view } = r;
  return view;
}

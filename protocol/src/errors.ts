/**
 * Sotto's error hierarchy. Every failure that crosses a package boundary is a
 * `SottoError` with a literal `code`; the subclass says what the caller should do.
 * Messages never carry plaintext, key bytes or attacker-supplied bytes beyond
 * small lengths and offsets.
 */

export type SottoErrorCode =
  | 'MALFORMED'
  | 'LIMIT_EXCEEDED'
  | 'UNSUPPORTED'
  | 'UNKNOWN_KEY'
  | 'DECRYPT_FAILED'
  | 'TRUNCATED_STREAM'
  | 'VERIFICATION_FAILED'
  | 'CONFIGURATION'
  | 'LOCKED'
  | 'BUSY'
  | 'SERVICE'
  | 'UNREACHABLE'
  | 'INTEGRITY'
  | 'REMOVED';

export abstract class SottoError extends Error {
  abstract readonly code: SottoErrorCode;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Input bytes do not follow the wire format. Drop the message; do not retry it unchanged. */
export class MalformedError extends SottoError {
  readonly code = 'MALFORMED' as const;
}

/** A length, count or size is over a configured bound. Drop the message. */
export class LimitExceededError extends SottoError {
  readonly code = 'LIMIT_EXCEEDED' as const;
}

/** Well-formed, but names an algorithm, version or mode this build does not speak. */
export class UnsupportedError extends SottoError {
  readonly code = 'UNSUPPORTED' as const;
}

/** The message names a key id this party does not hold (rotated out, or never existed). Refresh the key config. */
export class UnknownKeyError extends SottoError {
  readonly code = 'UNKNOWN_KEY' as const;
}

/** Authentication failed: tampered, wrong key, wrong AAD or wrong order. Treat the message as hostile. */
export class DecryptError extends SottoError {
  readonly code = 'DECRYPT_FAILED' as const;
}

/** A stream ended before its final, authenticated chunk: the content is incomplete. Retry the request. */
export class TruncatedStreamError extends SottoError {
  readonly code = 'TRUNCATED_STREAM' as const;
}

/** Attestation evidence was refused. `reasons` names every check that failed; do not send anything. */
export class VerificationError extends SottoError {
  readonly code = 'VERIFICATION_FAILED' as const;
  readonly reasons: readonly string[];
  constructor(reasons: readonly string[], options?: { cause?: unknown }) {
    super(`evidence refused: ${reasons.join('; ')}`, options);
    this.reasons = reasons;
  }
}

/** A setting is missing or invalid. Fix the configuration; retrying will not help. */
export class ConfigurationError extends SottoError {
  readonly code = 'CONFIGURATION' as const;
}

/** The vault is locked or the unlocking secret is wrong. Ask the user to unlock. */
export class LockedError extends SottoError {
  readonly code = 'LOCKED' as const;
}

/**
 * The server is at capacity (all workers busy and the wait queue full). Retry after
 * `retryAfterSeconds`; an HTTP layer maps it to 503 with `Retry-After`.
 */
export class BusyError extends SottoError {
  readonly code = 'BUSY' as const;
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number, options?: { cause?: unknown }) {
    super(message, options);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * A peer answered with an error status: the relay (outer) or the enclave (inner, sealed).
 * `status` says whether to retry (429, 503: after `retryAfterSeconds`), re-verify
 * (an unknown key), or tell the user.
 */
export class ServiceError extends SottoError {
  readonly code = 'SERVICE' as const;
  readonly status: number;
  readonly retryAfterSeconds: number | undefined;
  readonly inner: boolean;
  constructor(
    message: string,
    details: { status: number; inner: boolean; retryAfterSeconds?: number },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.status = details.status;
    this.inner = details.inner;
    this.retryAfterSeconds = details.retryAfterSeconds;
  }
}

/** The relay could not be reached at all (down, wrong URL, offline). Check the address; retry later. */
export class UnreachableError extends SottoError {
  readonly code = 'UNREACHABLE' as const;
}

/**
 * Synced or stored history does not match what this device last authenticated: a
 * record was dropped, reordered, duplicated, rolled back or replayed. `kind` says
 * which; tell the user and keep the local copy. Never retried silently.
 */
export class IntegrityError extends SottoError {
  readonly code = 'INTEGRITY' as const;
  readonly kind: IntegrityFailure;
  constructor(kind: IntegrityFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
  }
}

/**
 * This device was removed from its sync account: another device rotated the vault
 * key and left the old account empty. Stop syncing; pair again to rejoin.
 */
export class DeviceRemovedError extends SottoError {
  readonly code = 'REMOVED' as const;
}

/** What an {@link IntegrityError} found. */
export type IntegrityFailure =
  'dropped' | 'duplicated' | 'reordered' | 'rolled-back' | 'forked' | 'tampered' | 'unexpected';

/** True for any Sotto error; lets callers tell typed failures from bugs. */
export function isSottoError(e: unknown): e is SottoError {
  return e instanceof SottoError;
}

/**
 * Turning any failure into the {@link ErrorInfo} the pages see. Protocol errors
 * (`@sotto/protocol` errors.ts) map to the user-facing codes of messaging.ts; the
 * message is plain text for a person and never carries plaintext or key bytes.
 */
import {
  DecryptError,
  isEnclaveUnavailable,
  isOverloaded,
  LockedError,
  ServiceError,
  TruncatedStreamError,
  UnreachableError,
  VerificationError,
} from '@sotto/protocol';
import { type ErrorInfo, MessageError } from '../messaging';

/** A failure the worker reports as-is (already user-facing). */
export class ServiceFailure extends Error {
  readonly info: ErrorInfo;
  constructor(info: ErrorInfo, options?: { cause?: unknown }) {
    super(info.message, options);
    this.name = 'ServiceFailure';
    this.info = info;
  }
}

/** The reason `verifyEvidence` gives when dev evidence meets development mode off (protocol/src/evidence/verify.ts). */
const DEV_REFUSED = /^development evidence refused/;

/** True when the only reason for refusing is that development evidence was not accepted. */
export function isDevRefusal(e: VerificationError): boolean {
  return e.reasons.length > 0 && e.reasons.every((r) => DEV_REFUSED.test(r));
}

/**
 * `dev` evidence the user has not accepted for this relay. One sentence says what it
 * means; the panel offers "Use this development enclave" (dev-trust.ts), then retries.
 */
export function devRefused(relayUrl?: string, cause?: unknown): ServiceFailure {
  return new ServiceFailure(
    {
      code: 'dev-refused',
      message:
        'This enclave runs in development mode: it proves no hardware, so whoever runs it can read this conversation.',
      messageKey: 'errors.devRefused',
      retryable: false,
      ...(relayUrl ? { relayUrl } : {}),
    },
    { cause },
  );
}

/** The relay's dev enclave signs with another key than the one pinned for it. */
export function devKeyChanged(relayUrl: string, devKeySha256: string): ServiceFailure {
  return new ServiceFailure({
    code: 'dev-key-changed',
    message:
      'The development enclave behind this relay now signs with a different key than the one you accepted, so nothing was sent. Accept the new key only if you restarted or replaced that enclave yourself.',
    messageKey: 'errors.devKeyChanged',
    retryable: false,
    relayUrl,
    devKeySha256,
  });
}

/** Maps any thrown value to an {@link ErrorInfo}. Unknown errors become `internal` without their text. */
export function toErrorInfo(e: unknown): ErrorInfo {
  if (e instanceof ServiceFailure || e instanceof MessageError) return e.info;
  if (e instanceof VerificationError) {
    const reasons = [...e.reasons];
    if (isDevRefusal(e)) return devRefused().info;
    return {
      code: 'evidence-refused',
      message: 'The enclave’s evidence was refused, so nothing was sent.',
      messageKey: 'errors.evidenceRefused',
      retryable: false,
      reasons,
    };
  }
  if (e instanceof UnreachableError) {
    return {
      code: 'relay-unreachable',
      message: 'Cannot reach the relay. Check the relay URL in the options, then retry.',
      messageKey: 'errors.relayUnreachable',
      retryable: true,
    };
  }
  if (e instanceof TruncatedStreamError) {
    return {
      code: 'truncated',
      message: 'The answer was cut off before it finished. Nothing partial was saved.',
      messageKey: 'errors.truncated',
      retryable: true,
    };
  }
  if (e instanceof ServiceError) {
    if (isEnclaveUnavailable(e)) {
      return {
        code: 'enclave-unavailable',
        message:
          'The enclave is down: the relay has no running enclave to send this to. Try again once it is back.',
        messageKey: 'errors.enclaveDown',
        retryable: true,
        status: e.status,
      };
    }
    if (isOverloaded(e)) {
      return {
        code: 'busy',
        message: 'The enclave is busy with other requests. Try again in a moment.',
        messageKey: 'errors.busy',
        retryable: true,
        status: e.status,
        ...(e.retryAfterSeconds !== undefined ? { retryAfterSeconds: e.retryAfterSeconds } : {}),
      };
    }
    return {
      code: 'service',
      message: `The ${e.inner ? 'enclave' : 'relay'} answered with an error (${e.status}).`,
      messageKey: e.inner ? 'errors.enclaveError' : 'errors.relayError',
      messageArgs: { status: String(e.status) },
      retryable: e.status >= 500,
      status: e.status,
    };
  }
  if (e instanceof LockedError) {
    return {
      code: 'locked',
      message: 'Sotto is locked. Unlock it with your passkey.',
      messageKey: 'errors.locked',
      retryable: false,
    };
  }
  if (e instanceof DecryptError) {
    return {
      code: 'internal',
      message: 'A sealed message failed to open; it was treated as hostile and dropped.',
      messageKey: 'errors.decrypt',
      retryable: true,
    };
  }
  return {
    code: 'internal',
    message: 'Something went wrong inside the extension.',
    messageKey: 'errors.internal',
    retryable: true,
  };
}

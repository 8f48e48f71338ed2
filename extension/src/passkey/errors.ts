/** Passkey failures, each with a plain message for the person at the keyboard. */
import type { Said } from '../i18n';

export type PasskeyErrorCode =
  | 'no-prf'
  | 'cancelled'
  | 'unsupported'
  | 'vault-exists'
  | 'no-vault'
  | 'wrong-passkey'
  | 'backup-invalid'
  | 'failed';

/**
 * What went wrong with a passkey ceremony. `message` is English; `said` names the
 * same text in the locale files, which pages show (the ceremonies also run in Node tests,
 * where there is no `browser.i18n`).
 */
export class PasskeyError extends Error {
  readonly code: PasskeyErrorCode;
  readonly said: Said | undefined;
  constructor(code: PasskeyErrorCode, message: string, options?: { cause?: unknown; said?: Said }) {
    super(message, options);
    this.name = 'PasskeyError';
    this.code = code;
    this.said = options?.said;
  }
}

export const NO_PRF_MESSAGE =
  'This passkey provider does not support the PRF extension, which Sotto needs to encrypt your history. ' +
  'Nothing was stored. Use a provider that supports PRF: Chrome’s built-in passkey manager (Google Password Manager), ' +
  'iCloud Keychain on macOS/iOS 18+, Windows Hello on Windows 11 (recent builds), 1Password or Bitwarden, ' +
  'or a FIDO2 security key with the hmac-secret extension (e.g. a YubiKey 5).';

export const NO_PRF: Said = { messageKey: 'passkey.noPrf' };

/** Firefox (and any browser whose extension pages have no stable passkey RP ID). */
export const BROWSER_CANNOT_MAKE_VAULT =
  'This browser cannot create Sotto’s vault. Its extension pages live at a random address ' +
  'that changes with every install, and a passkey bound to it would be lost with the next ' +
  'reinstall, taking your history with it. Nothing was stored. Use Sotto in Chrome, Edge ' +
  'or another Chromium browser.';
export const BROWSER_CANNOT: Said = { messageKey: 'passkey.browserCannot' };

/**
 * Onboarding without PRF: the registration already made a passkey ("Sotto vault") that
 * unlocks nothing. Say so, and how to remove it; `signalled` when the browser was asked
 * to forget it (WebAuthn Signal API, `PublicKeyCredential.signalUnknownCredential`).
 */
export function noPrfLeftBehindMessage(signalled: boolean): string {
  return (
    `${NO_PRF_MESSAGE} ` +
    'Your passkey provider did keep a passkey named “Sotto vault” that unlocks nothing. ' +
    (signalled
      ? 'Sotto asked the browser to remove it; if it is still listed, delete it by hand: '
      : 'Delete it by hand: ') +
    'in Chrome, Settings → Autofill and passwords → Google Password Manager → Passkeys; ' +
    'elsewhere, the passkey list of your password manager, your system settings or your security key’s app.'
  );
}

/** {@link noPrfLeftBehindMessage} in the locale files. */
export function noPrfLeftBehind(signalled: boolean): Said {
  return { messageKey: signalled ? 'passkey.noPrfLeftSignalled' : 'passkey.noPrfLeft' };
}

/** Maps a WebAuthn/SimpleWebAuthn failure to a {@link PasskeyError}. */
export function ceremonyError(e: unknown): PasskeyError {
  if (e instanceof PasskeyError) return e;
  const name = (e as { name?: string })?.name ?? '';
  const code = (e as { code?: string })?.code ?? '';
  const cause = (e as { cause?: { name?: string } })?.cause;
  if (
    name === 'NotAllowedError' ||
    name === 'AbortError' ||
    cause?.name === 'NotAllowedError' ||
    code === 'ERROR_CEREMONY_ABORTED'
  ) {
    return new PasskeyError(
      'cancelled',
      // WebAuthn reports a cancel, a time-out and "no such passkey here" alike, on purpose.
      'No passkey for this vault was used: the request was cancelled or timed out, or this device holds a different passkey. Nothing was changed.',
      { cause: e, said: { messageKey: 'passkey.cancelled' } },
    );
  }
  if (/not supported/i.test(String((e as Error)?.message)) || name === 'NotSupportedError') {
    return new PasskeyError(
      'unsupported',
      'This browser cannot use passkeys here. Sotto needs WebAuthn with the PRF extension.',
      { cause: e, said: { messageKey: 'passkey.unsupported' } },
    );
  }
  return new PasskeyError('failed', 'The passkey request failed. Nothing was changed; try again.', {
    cause: e,
    said: { messageKey: 'passkey.requestFailed' },
  });
}

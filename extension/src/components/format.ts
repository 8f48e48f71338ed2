/** Small display helpers for the side panel: platform names, short hashes, ages, error text. */

import type { ErrorInfo, EvidenceSummary } from '../messaging';

export function platformLabel(platform: EvidenceSummary['platform']): string {
  return platform === 'sev-snp' ? 'AMD SEV-SNP' : platform === 'tdx' ? 'Intel TDX' : 'Development';
}

/** First and last few hex digits: `a1b2c3d4…9f8e`. */
export function shortHash(hex: string, head = 8, tail = 4): string {
  return hex.length <= head + tail + 1
    ? hex
    : `${hex.slice(0, head)}…${tail > 0 ? hex.slice(-tail) : ''}`;
}

/** "40 s", "12 min", "3 h". */
export function formatAge(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return 'unknown';
  if (seconds < 60) return `${Math.floor(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  return `${Math.floor(seconds / 3600)} h`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * A request too large for the model (413) in a conversation with no page text: the chat
 * itself outgrew the model's context. Say so, and offer a new chat (not "a shorter page").
 */
export function chatOutgrewModel(e: ErrorInfo, hasPage: boolean): boolean {
  return e.code === 'service' && e.status === 413 && !hasPage;
}

export const CHAT_TOO_LONG = {
  title: 'This conversation is too long for the model',
  message:
    'Everything said so far is sent with each new message, and it no longer fits in what this model can read at once. Start a new chat to go on; this one stays in your history.',
} as const;

/** "Imported: 8 already present, 0 new." (with the messages added, when any). */
export function importSummary(r: { conversations: number; messages: number; present: number }) {
  const added = r.messages > 0 ? ` (${formatCount(r.messages)} messages)` : '';
  return `Imported: ${formatCount(r.present)} already present, ${formatCount(r.conversations)} new${added}.`;
}

/** A heading for an error, by code; the worker's `message` gives the detail. */
export function errorTitle(e: ErrorInfo): string {
  switch (e.code) {
    case 'relay-unreachable':
      return 'The relay cannot be reached';
    case 'evidence-refused':
      return 'The enclave could not be verified, so nothing was sent';
    case 'dev-refused':
      return 'This is a development enclave';
    case 'dev-key-changed':
      return 'The development enclave’s key changed';
    case 'enclave-unavailable':
      return 'The enclave is down';
    case 'locked':
      return 'Your history is locked';
    case 'truncated':
      return 'The answer was cut off';
    case 'busy':
      return 'The enclave is busy';
    case 'service':
      return e.status === 413
        ? 'Too long for this model: try a shorter text or page'
        : 'The service answered with an error';
    case 'wrong-passkey':
      return 'That passkey does not unlock this history';
    case 'no-vault':
      return 'No history vault yet';
    case 'stopped':
      return 'Stopped';
    default:
      return 'Something went wrong';
  }
}

/** Failures a setting in the options can fix (relay URL, development mode, trusted releases). */
export function fixableInSettings(e: ErrorInfo): boolean {
  return (
    e.code === 'dev-refused' || e.code === 'relay-unreachable' || e.code === 'evidence-refused'
  );
}

/**
 * Whether to offer Retry: when trying again may work, and after a fix in the settings
 * (the prompt is resent as it was; the one-click fixes in the notice retry by themselves).
 */
export function canRetry(e: ErrorInfo): boolean {
  return e.retryable || fixableInSettings(e);
}

/** Evidence failures the lock badge shows instead of the last good evidence. */
export function isEvidenceState(code: ErrorInfo['code']): boolean {
  return (
    code === 'relay-unreachable' ||
    code === 'evidence-refused' ||
    code === 'dev-refused' ||
    code === 'dev-key-changed' ||
    code === 'enclave-unavailable'
  );
}

/** Small display helpers for the side panel: platform names, short hashes, ages, error text. */

import { formatNumber, i18n, type MessageKey, type PlainMessageKey, type Said } from '../i18n';
import type { ErrorInfo, EvidenceSummary } from '../messaging';
import type { PasskeyError } from '../passkey/errors';

export function platformLabel(platform: EvidenceSummary['platform']): string {
  return platform === 'sev-snp'
    ? 'AMD SEV-SNP'
    : platform === 'tdx'
      ? 'Intel TDX'
      : i18n.t('format.development');
}

/** First and last few hex digits: `a1b2c3d4…9f8e`. */
export function shortHash(hex: string, head = 8, tail = 4): string {
  return hex.length <= head + tail + 1
    ? hex
    : `${hex.slice(0, head)}…${tail > 0 ? hex.slice(-tail) : ''}`;
}

/** "40 s", "12 min", "3 h". */
export function formatAge(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return i18n.t('format.unknown');
  if (seconds < 60) return i18n.t('format.seconds', { n: formatCount(Math.floor(seconds)) });
  if (seconds < 3600) return i18n.t('format.minutes', { n: formatCount(Math.floor(seconds / 60)) });
  return i18n.t('format.hours', { n: formatCount(Math.floor(seconds / 3600)) });
}

/** A count the way the UI language writes it (`48,000`, `48.000`). */
export function formatCount(n: number): string {
  return formatNumber(n);
}

/**
 * A request too large for the model (413) in a conversation with no page text: the chat
 * itself outgrew the model's context. Say so, and offer a new chat (not "a shorter page").
 */
export function chatOutgrewModel(e: ErrorInfo, hasPage: boolean): boolean {
  return e.code === 'service' && e.status === 413 && !hasPage;
}

export const CHAT_TOO_LONG = {
  get title() {
    return i18n.t('errors.chatTooLongTitle');
  },
  get message() {
    return i18n.t('errors.chatTooLong');
  },
};

/** "Imported: 8 already present, 0 new." (with the messages added, when any). */
export function importSummary(r: {
  conversations: number;
  messages: number;
  present: number;
  prompts?: number;
}) {
  const counts = { present: formatCount(r.present), added: formatCount(r.conversations) };
  const history =
    r.messages > 0
      ? i18n.t('format.importedMessages', {
          ...counts,
          messages: i18n.t('format.messages', r.messages, [formatCount(r.messages)]),
        })
      : i18n.t('format.imported', counts);
  // Saved prompts travel in the same backup (issue 19): say so when some were added.
  return r.prompts
    ? `${history} ${i18n.t('format.importedPrompts', r.prompts, [formatCount(r.prompts)])}`
    : history;
}

/** A message named by key where it was made (worker, passkey ceremony), or its English text. */
function said(
  english: string,
  key: MessageKey | undefined,
  args: Record<string, string> | undefined,
): string {
  if (!key) return english;
  // The key is typed where it is named; its values are whatever that message takes.
  const t = i18n.t as unknown as (key: string, named: Record<string, string>) => string;
  return t(key, args ?? {}) || english;
}

/** The worker's message in the UI's language (its `messageKey`), else as the worker wrote it. */
export function errorMessage(e: ErrorInfo): string {
  return said(e.message, e.messageKey, e.messageArgs);
}

/** A message named by key where it was made (a PDF refusal), or its English text. */
export function saidMessage(english: string, s: Said | undefined): string {
  return said(english, s?.messageKey, s?.messageArgs);
}

/** A passkey ceremony's message in the UI's language. */
export function passkeyMessage(e: PasskeyError): string {
  return said(e.message, e.said?.messageKey, e.said?.messageArgs);
}

const ERROR_TITLES: Partial<Record<ErrorInfo['code'], PlainMessageKey>> = {
  'relay-unreachable': 'errors.titleRelayUnreachable',
  'evidence-refused': 'errors.titleEvidenceRefused',
  'dev-refused': 'errors.titleDevRefused',
  'dev-key-changed': 'errors.titleDevKeyChanged',
  'enclave-unavailable': 'errors.titleEnclaveUnavailable',
  locked: 'errors.titleLocked',
  truncated: 'errors.titleTruncated',
  busy: 'errors.titleBusy',
  'wrong-passkey': 'errors.titleWrongPasskey',
  'no-vault': 'errors.titleNoVault',
  stopped: 'errors.titleStopped',
};

/** A heading for an error, by code; the worker's `message` gives the detail. */
export function errorTitle(e: ErrorInfo): string {
  if (e.code === 'service') {
    return e.status === 413 ? i18n.t('errors.titleTooLarge') : i18n.t('errors.titleService');
  }
  const key = ERROR_TITLES[e.code];
  return key ? i18n.t(key) : i18n.t('errors.titleOther');
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

/**
 * The UI's words, dates and numbers, in the browser's UI language. Messages live in
 * `extension/locales/<lang>.yml`; `@wxt-dev/i18n` builds them into `_locales/` and
 * types the keys, and `browser.i18n` picks the language (English when it has none).
 * Dates and numbers go through `Intl` in that same language, so a German UI never
 * shows an English date. Text for the model (`page/prompts.ts`) is not UI and stays English.
 */
import { createI18n } from '@wxt-dev/i18n';
import type { GeneratedI18nStructure } from '#i18n';
import { browser } from 'wxt/browser';

export const i18n = createI18n<GeneratedI18nStructure>();

/** Any key of the locale files, for tables that name a message before it is shown. */
export type MessageKey = keyof GeneratedI18nStructure;

/**
 * A message named where it is made, for a page to say later: code that also runs in
 * Node (the worker's services, the passkey ceremonies) names the key and keeps English
 * beside it, and never calls `browser.i18n` itself.
 */
export interface Said {
  messageKey: MessageKey;
  messageArgs?: Record<string, string>;
}

/** A message key without substitutions: what a table of labels may hold. */
export type PlainMessageKey = {
  [K in MessageKey]: GeneratedI18nStructure[K] extends { substitutions: 0; plural: false }
    ? GeneratedI18nStructure[K] extends { namedSubstitutions: readonly string[] }
      ? never
      : K
    : never;
}[MessageKey];

/** The message for a plain key held in a table (labels, titles). */
export function label(key: PlainMessageKey): string {
  return i18n.t(key as never);
}

/**
 * The language the UI is shown in (a BCP 47 tag, e.g. `de` or `en-GB`): the browser's
 * UI language when the messages are in it (keeping its region), else the language of
 * the messages in use (`ext.locale`): Chromium may pick German messages from the
 * preferred languages while reporting an `en-US` UI, and a German sentence must not
 * carry an American date.
 */
export function uiLanguage(): string {
  const shown = i18n.t('ext.locale');
  const browserLanguage = browser.i18n.getUILanguage();
  if (!shown || browserLanguage.toLowerCase().split(/[-_]/)[0] === shown) return browserLanguage;
  return shown;
}

/** A date and time the way the UI language writes it. */
export function formatDateTime(
  when: number | Date,
  options: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'short' },
): string {
  return new Intl.DateTimeFormat(uiLanguage(), options).format(when);
}

/** A number the way the UI language writes it (digit grouping, decimal mark). */
export function formatNumber(n: number, options?: Intl.NumberFormatOptions): string {
  return new Intl.NumberFormat(uiLanguage(), options).format(n);
}

/** Marks a page with the UI language, so screen readers and hyphenation use it. */
export function markPageLanguage(doc: Document): void {
  doc.documentElement.lang = uiLanguage();
}

/**
 * The locale files as the build sees them, for tests: parsed by `@wxt-dev/i18n/build`
 * (the same code the WXT module runs) and, for unit tests that run UI code outside a
 * browser, a `chrome.i18n` that answers from the generated `messages.json` with
 * Chrome's rules for it (`$1`…`$9`, `$$`). The real `browser.i18n` is exercised by the
 * browser tests (e2e/browser/i18n-a11y.test.ts).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generateChromeMessages, parseMessagesText } from '@wxt-dev/i18n/build';

export const LOCALES = ['en', 'de'] as const;
export type Locale = (typeof LOCALES)[number];

export function localeFile(locale: Locale): string {
  return fileURLToPath(new URL(`../../locales/${locale}.yml`, import.meta.url));
}

/** The parsed messages of one locale file (predefined `@@` messages included, as the build has them). */
export function parseLocale(locale: Locale): ReturnType<typeof parseMessagesText> {
  return parseMessagesText(readFileSync(localeFile(locale), 'utf8'), 'YAML');
}

/** What `_locales/<locale>/messages.json` holds after a build. */
export function chromeMessages(locale: Locale): Record<string, { message: string }> {
  return generateChromeMessages(parseLocale(locale)) as Record<string, { message: string }>;
}

/** Sets `globalThis.chrome.i18n` over `messages`; self-contained, so a page can run its source too. */
function install(messages: Record<string, { message: string }>, locale: string): void {
  const getMessage = (name: string, subs?: string | string[]): string => {
    const m = messages[name];
    if (!m) return '';
    const list = subs === undefined ? [] : Array.isArray(subs) ? subs : [subs];
    return m.message.replace(/\$(\$|[1-9])/g, (_, d: string) =>
      d === '$' ? '$' : (list[Number(d) - 1] ?? ''),
    );
  };
  const g = globalThis as { chrome?: Record<string, unknown> };
  g.chrome = { ...g.chrome, i18n: { getMessage, getUILanguage: () => locale } };
}

/**
 * Sets `globalThis.chrome.i18n` to answer from `locale`'s messages. Call before the
 * first import of code that reads `wxt/browser` (it binds the global once, at import).
 */
export function installChromeI18n(locale: Locale): void {
  install(chromeMessages(locale), locale);
}

/** The same, as a script for a plain web page that renders components (before their bundle). */
export function chromeI18nScript(locale: Locale): string {
  return `(${install.toString()})(${JSON.stringify(chromeMessages(locale))}, ${JSON.stringify(locale)});`;
}

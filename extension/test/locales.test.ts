/**
 * The locale files: every key in English exists in German with the same substitutions
 * and plural forms (and no key only in German), German is translated, and `i18n.t`
 * (the project helper over `@wxt-dev/i18n`) reads them through `chrome.i18n`.
 */
import { describe, expect, it, vi } from 'vitest';
import { type Locale, parseLocale } from './support/locale-messages';

// `wxt/browser` binds `globalThis.chrome` at import, so German is installed before any import.
await vi.hoisted(async () => {
  const { installChromeI18n } = await import('./support/locale-messages');
  installChromeI18n('de');
});

type Shape = Record<string, string>;

function shapes(locale: Locale): Shape {
  const out: Shape = {};
  for (const m of parseLocale(locale)) {
    const key = m.key.join('.');
    const plural = m.type === 'plural' ? `plural:${Object.keys(m.plurals).sort().join(',')}` : '';
    out[key] = `$${m.substitutions} {${[...m.namedSubstitutions].sort().join(',')}} ${plural}`;
  }
  return out;
}

function texts(locale: Locale): Map<string, string> {
  return new Map(
    parseLocale(locale)
      .filter((m) => !m.key[0]?.startsWith('@@'))
      .map((m) => [
        m.key.join('.'),
        m.type === 'plural' ? Object.values(m.plurals).join(' | ') : m.message,
      ]),
  );
}

/** Words that are the same in German (names, loanwords); anything else equal to English is untranslated. */
const SAME_IN_GERMAN = new Set([
  'ext.name',
  'answer.sotto',
  'format.seconds',
  'passkey.errorWithTitle',
  // Only the user's own words around punctuation.
  'prompts.runLabel',
  // Words German software keeps in English.
  'options.relay',
  'evidence.release',
  'evidence.commit',
  'evidence.repository',
  'evidence.tag',
]);

describe('locale files', () => {
  it('German has exactly the English keys, with the same substitutions and plural forms', () => {
    const en = shapes('en');
    const de = shapes('de');
    expect(Object.keys(en).length).toBeGreaterThan(20);
    expect(Object.keys(de).sort()).toEqual(Object.keys(en).sort());
    for (const key of Object.keys(en)) expect([key, de[key]]).toEqual([key, en[key]]);
  });

  it('German is translated: no message is empty, none is left in English', () => {
    const en = texts('en');
    const de = texts('de');
    for (const [key, text] of de) {
      expect([key, text.trim().length > 0]).toEqual([key, true]);
      if (!SAME_IN_GERMAN.has(key)) expect([key, text]).not.toEqual([key, en.get(key)]);
    }
  });
});

describe('i18n.t over chrome.i18n', () => {
  it('reads German messages, plurals and named substitutions from the built messages', async () => {
    const { i18n, label, formatNumber, uiLanguage } = await import('../src/i18n');
    expect(uiLanguage()).toBe('de');
    expect(label('rewrite.shorter')).toBe('Kürzer');
    expect(i18n.t('menus.summarize')).toBe('Diese Seite vertraulich zusammenfassen');
    expect(formatNumber(48000)).toBe('48.000');
    expect(i18n.t('unlock.waitingOn', { what: 'A {where} $1', where: 'B' })).toBe(
      '„A {where} $1“ (B) wartet. Entsperre, um es auszuführen; noch wurde nichts gesendet.',
    );
  });

  it("shows a worker failure in the UI's language by its messageKey, and as written without one", async () => {
    const { errorMessage, errorTitle } = await import('../src/components/format');
    const { toErrorInfo } = await import('../src/services/failure');
    const { ServiceError } = await import('@sotto/protocol');
    const info = toErrorInfo(new ServiceError('bad gateway', { status: 502, inner: false }));
    expect(info.message).toBe('The relay answered with an error (502).');
    expect([errorTitle(info), errorMessage(info)]).toEqual([
      'Der Dienst hat mit einem Fehler geantwortet',
      'Das Relay hat mit einem Fehler geantwortet (502).',
    ]);
    expect(errorMessage({ code: 'invalid', message: 'Unknown request.', retryable: false })).toBe(
      'Unknown request.',
    );
  });
});

/** Translate a selection: shows it and asks for the language (the browser's own first). */

import { useState } from 'preact/hooks';
import { i18n } from '../i18n';
import { displayLanguage, languageName, TRANSLATE_LANGUAGES } from '../page/prompts';
import type { PendingTranslate } from './use-page-actions';

export function TranslatePanel({
  pending,
  onSubmit,
  onCancel,
}: {
  pending: PendingTranslate;
  onSubmit(language: string): void;
  onCancel(): void;
}) {
  const [language, setLanguage] = useState(pending.language);
  const ui = languageName(pending.language);
  const others = TRANSLATE_LANGUAGES.filter((tag) => languageName(tag) !== ui);
  // Names in the UI's language (Französisch in a German UI); the model is told in English.
  const locale = i18n.t('ext.locale');
  return (
    <form
      class="rewrite"
      data-testid="translate-panel"
      aria-label={i18n.t('translate.panelLabel')}
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit(language);
      }}
    >
      <blockquote class="quote" data-testid="translate-selection">
        {pending.text}
      </blockquote>
      <label>
        {i18n.t('translate.into')}{' '}
        <select
          class="input"
          data-testid="translate-language"
          value={language}
          onChange={(e) => setLanguage((e.target as HTMLSelectElement).value)}
        >
          <option value={pending.language}>{displayLanguage(pending.language, locale)}</option>
          {others.map((tag) => (
            <option key={tag} value={tag}>
              {displayLanguage(tag, locale)}
            </option>
          ))}
        </select>
      </label>
      <div class="composer-row">
        <button type="button" class="btn" data-testid="translate-cancel" onClick={onCancel}>
          {i18n.t('common.cancel')}
        </button>
        <button type="submit" class="btn btn-primary" data-testid="translate-go">
          {i18n.t('translate.go')}
        </button>
      </div>
    </form>
  );
}

/** Translate a selection: shows it and asks for the language (the browser's own first). */

import { useState } from 'preact/hooks';
import { languageName, TRANSLATE_LANGUAGES } from '../page/prompts';
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
  return (
    <form
      class="rewrite"
      data-testid="translate-panel"
      aria-label="Translate selection"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit(language);
      }}
    >
      <blockquote class="quote" data-testid="translate-selection">
        {pending.text}
      </blockquote>
      <label>
        Into{' '}
        <select
          class="input"
          data-testid="translate-language"
          value={language}
          onChange={(e) => setLanguage((e.target as HTMLSelectElement).value)}
        >
          <option value={pending.language}>{ui}</option>
          {others.map((tag) => (
            <option key={tag} value={tag}>
              {languageName(tag)}
            </option>
          ))}
        </select>
      </label>
      <div class="composer-row">
        <button type="button" class="btn" data-testid="translate-cancel" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" class="btn btn-primary" data-testid="translate-go">
          Translate
        </button>
      </div>
    </form>
  );
}

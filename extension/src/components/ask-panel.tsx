/**
 * "Ask about this page": the page is read (its title and size shown), the user
 * types the question. The page goes to the model as fenced data, the question
 * after it (page/prompts.ts `askTurn`).
 */

import { useEffect, useRef, useState } from 'preact/hooks';
import { formatNumber, i18n } from '../i18n';
import type { PendingAsk } from './use-page-actions';

export function AskPanel({
  pending,
  onSubmit,
  onCancel,
}: {
  pending: PendingAsk;
  onSubmit(question: string): void;
  onCancel(): void;
}) {
  const [question, setQuestion] = useState('');
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => ref.current?.focus(), []);
  const { page } = pending;
  return (
    <form
      class="rewrite"
      data-testid="ask-panel"
      aria-label={i18n.t('ask.panelLabel')}
      onSubmit={(e) => {
        e.preventDefault();
        if (question.trim()) onSubmit(question);
      }}
    >
      <p class="muted" data-testid="ask-page-info">
        <strong>{page.title || page.url}</strong> ·{' '}
        {i18n.t(page.source === 'pdf' ? 'answer.pdfChars' : 'answer.pageChars', page.text.length, [
          formatNumber(page.text.length),
        ])}
      </p>
      <input
        ref={ref}
        class="input"
        data-testid="ask-question"
        aria-label={i18n.t('ask.question')}
        placeholder={i18n.t('ask.placeholder')}
        value={question}
        onInput={(e) => setQuestion((e.target as HTMLInputElement).value)}
      />
      <div class="composer-row">
        <button type="button" class="btn" data-testid="ask-cancel" onClick={onCancel}>
          {i18n.t('common.cancel')}
        </button>
        <button
          type="submit"
          class="btn btn-primary"
          data-testid="ask-go"
          disabled={!question.trim()}
        >
          {i18n.t('ask.go')}
        </button>
      </div>
    </form>
  );
}

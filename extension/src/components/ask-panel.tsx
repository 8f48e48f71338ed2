/**
 * "Ask about this page": the page is read (its title and size shown), the user
 * types the question. The page goes to the model as fenced data, the question
 * after it (page/prompts.ts `askTurn`).
 */

import { useEffect, useRef, useState } from 'preact/hooks';
import { formatCount } from './format';
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
      aria-label="Ask about this page"
      onSubmit={(e) => {
        e.preventDefault();
        if (question.trim()) onSubmit(question);
      }}
    >
      <p class="muted" data-testid="ask-page-info">
        <strong>{page.title || page.url}</strong> · {formatCount(page.text.length)} characters
        {page.source === 'pdf' ? ' of PDF text' : ' of page text'}
      </p>
      <input
        ref={ref}
        class="input"
        data-testid="ask-question"
        aria-label="Your question about this page"
        placeholder="What would you like to know about this page?"
        value={question}
        onInput={(e) => setQuestion((e.target as HTMLInputElement).value)}
      />
      <div class="composer-row">
        <button type="button" class="btn" data-testid="ask-cancel" onClick={onCancel}>
          Cancel
        </button>
        <button
          type="submit"
          class="btn btn-primary"
          data-testid="ask-go"
          disabled={!question.trim()}
        >
          Ask
        </button>
      </div>
    </form>
  );
}

/**
 * The prompt box: Enter sends, Shift+Enter adds a line (Esc, handled by the
 * chat view, stops a running answer). Focused when the panel opens. "Summarize this page" sits beside it.
 */

import { useEffect, useRef, useState } from 'preact/hooks';
import { i18n } from '../i18n';

export interface ComposerProps {
  busy: boolean;
  disabled?: boolean;
  pageBusy: boolean;
  onSend(text: string): void;
  onStop(): void;
  onSummarize(): void;
  onRewrite(): void;
}

export function Composer({
  busy,
  disabled,
  pageBusy,
  onSend,
  onStop,
  onSummarize,
  onRewrite,
}: ComposerProps) {
  const [text, setText] = useState('');
  const ref = useRef<HTMLTextAreaElement>(null);
  useEffect(() => ref.current?.focus(), []);

  const submit = () => {
    const t = text.trim();
    if (!t || busy || disabled) return;
    onSend(t);
    setText('');
  };

  return (
    <form
      class="composer"
      aria-label={i18n.t('composer.label')}
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <textarea
        ref={ref}
        data-testid="composer-input"
        aria-label={i18n.t('composer.message')}
        placeholder={i18n.t('composer.placeholder')}
        rows={2}
        value={text}
        disabled={disabled}
        onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            submit();
          }
        }}
      />
      <div class="composer-row">
        <button
          type="button"
          class="btn"
          data-testid="summarize"
          disabled={busy || pageBusy || disabled}
          aria-busy={pageBusy ? 'true' : 'false'}
          onClick={onSummarize}
        >
          {pageBusy ? i18n.t('composer.readingPage') : i18n.t('composer.summarize')}
        </button>
        <button
          type="button"
          class="btn"
          data-testid="rewrite-selection"
          disabled={busy || pageBusy || disabled}
          onClick={onRewrite}
        >
          {i18n.t('composer.rewrite')}
        </button>
        <span class="spacer" />
        {busy ? (
          <button type="button" class="btn btn-stop" data-testid="stop" onClick={onStop}>
            {i18n.t('composer.stop')}
          </button>
        ) : (
          <button
            type="submit"
            class="btn btn-primary"
            data-testid="send"
            disabled={!text.trim() || disabled}
          >
            {i18n.t('composer.send')}
          </button>
        )}
      </div>
    </form>
  );
}

/**
 * The prompt box: Enter sends, Shift+Enter adds a line (Esc, handled by the
 * chat view, stops a running answer). Focused when the panel opens. The page actions sit
 * beside it: Summarize and Ask about the page; Rewrite, Explain and Translate a selection.
 */

import { useEffect, useRef, useState } from 'preact/hooks';

export interface ComposerProps {
  busy: boolean;
  disabled?: boolean;
  pageBusy: boolean;
  onSend(text: string): void;
  onStop(): void;
  onSummarize(): void;
  onRewrite(): void;
  onAsk(): void;
  onExplain(): void;
  onTranslate(): void;
}

export function Composer({
  busy,
  disabled,
  pageBusy,
  onSend,
  onStop,
  onSummarize,
  onRewrite,
  onAsk,
  onExplain,
  onTranslate,
}: ComposerProps) {
  const pageOff = busy || pageBusy || !!disabled;
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
      aria-label="Ask Sotto"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <textarea
        ref={ref}
        data-testid="composer-input"
        aria-label="Message"
        placeholder="Ask privately… (Enter to send, Shift+Enter for a new line)"
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
          {pageBusy ? 'Reading page…' : 'Summarize page'}
        </button>
        <button
          type="button"
          class="btn"
          data-testid="rewrite-selection"
          disabled={busy || pageBusy || disabled}
          onClick={onRewrite}
        >
          Rewrite selection
        </button>
        <button type="button" class="btn" data-testid="ask-page" disabled={pageOff} onClick={onAsk}>
          Ask about page
        </button>
        <button
          type="button"
          class="btn"
          data-testid="explain-selection"
          disabled={pageOff}
          onClick={onExplain}
        >
          Explain
        </button>
        <button
          type="button"
          class="btn"
          data-testid="translate-selection"
          disabled={pageOff}
          onClick={onTranslate}
        >
          Translate
        </button>
        <span class="spacer" />
        {busy ? (
          <button type="button" class="btn btn-stop" data-testid="stop" onClick={onStop}>
            Stop
          </button>
        ) : (
          <button
            type="submit"
            class="btn btn-primary"
            data-testid="send"
            disabled={!text.trim() || disabled}
          >
            Send
          </button>
        )}
      </div>
    </form>
  );
}

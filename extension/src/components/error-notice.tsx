/**
 * An error as the user sees it: a title by code, the worker's message, refused-evidence
 * reasons, Retry when trying again may work, and the settings when they are the fix.
 */

import { browser } from 'wxt/browser';
import type { ErrorInfo } from '../messaging';
import { CHAT_TOO_LONG, chatOutgrewModel, errorTitle } from './format';

export interface ErrorNoticeProps {
  error: ErrorInfo;
  onRetry?: () => void;
  /** The conversation carries page text (a 413 is then the page's fault, not the chat's). */
  hasPage?: boolean;
  /** Offered when the chat outgrew the model. */
  onNewChat?: () => void;
}

export function ErrorNotice({ error, onRetry, hasPage = true, onNewChat }: ErrorNoticeProps) {
  const outgrew = chatOutgrewModel(error, hasPage);
  return (
    <div
      class="notice notice-error"
      role="alert"
      data-testid="error"
      data-code={outgrew ? 'chat-too-long' : error.code}
    >
      <strong>{outgrew ? CHAT_TOO_LONG.title : errorTitle(error)}</strong>
      <p>{outgrew ? CHAT_TOO_LONG.message : error.message}</p>
      {outgrew && onNewChat && (
        <button type="button" class="btn" data-testid="start-new-chat" onClick={onNewChat}>
          Start a new chat
        </button>
      )}
      {error.reasons && error.reasons.length > 0 && (
        <ul class="reasons" data-testid="error-reasons">
          {error.reasons.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      )}
      {error.retryAfterSeconds !== undefined && <p>Try again in {error.retryAfterSeconds} s.</p>}
      {(error.code === 'dev-refused' || error.code === 'relay-unreachable') && (
        <button
          type="button"
          class="btn"
          data-testid="open-options"
          onClick={() => void browser.runtime.openOptionsPage()}
        >
          Open settings
        </button>
      )}
      {error.retryable && onRetry && !outgrew && (
        <button type="button" class="btn" data-testid="retry" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

/**
 * An error as the user sees it: a title by code, the worker's message, refused-evidence
 * reasons, Retry when trying again may work, and the settings when they are the fix.
 */

import { browser } from 'wxt/browser';
import type { ErrorInfo } from '../messaging';
import { errorTitle } from './format';

export function ErrorNotice({ error, onRetry }: { error: ErrorInfo; onRetry?: () => void }) {
  return (
    <div class="notice notice-error" role="alert" data-testid="error" data-code={error.code}>
      <strong>{errorTitle(error)}</strong>
      <p>{error.message}</p>
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
      {error.retryable && onRetry && (
        <button type="button" class="btn" data-testid="retry" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

/**
 * An error as the user sees it: a title by code, the worker's message, refused-evidence
 * reasons, the fix where there is one (use a development enclave, accept its new key,
 * the settings), and Retry — after the fix too, so nobody retypes a prompt.
 */

import { useState } from 'preact/hooks';
import { browser } from 'wxt/browser';
import { i18n } from '../i18n';
import { type ErrorInfo, MessageError, sendMessage } from '../messaging';
import {
  CHAT_TOO_LONG,
  canRetry,
  chatOutgrewModel,
  errorMessage,
  errorTitle,
  fixableInSettings,
  shortHash,
} from './format';
import { interleave, SLOT } from './interleave';

/** The one-click fixes: each asks the worker, then sends the waiting prompt again. */
function DevFix({ error, onRetry }: { error: ErrorInfo; onRetry?: (() => void) | undefined }) {
  const [problem, setProblem] = useState<string>();
  const { relayUrl } = error;
  if (!relayUrl) return null;
  const run = async () => {
    try {
      if (error.code === 'dev-refused') await sendMessage('evidence/use-dev', { relayUrl });
      else
        await sendMessage('evidence/trust-dev-key', {
          relayUrl,
          devKeySha256: error.devKeySha256!,
        });
      setProblem(undefined);
      onRetry?.();
    } catch (e) {
      if (!(e instanceof MessageError)) throw e;
      setProblem(errorMessage(e.info));
    }
  };
  if (error.code === 'dev-refused') {
    return (
      <>
        <button
          type="button"
          class="btn btn-primary"
          data-testid="use-dev-enclave"
          onClick={() => void run()}
        >
          {i18n.t('errors.useDev')}
        </button>
        {problem && <p role="status">{problem}</p>}
      </>
    );
  }
  if (error.code === 'dev-key-changed' && error.devKeySha256) {
    return (
      <>
        <p class="muted">
          {interleave(
            i18n.t('errors.newKey', { key: SLOT, relay: relayUrl }),
            <span class="mono" data-testid="dev-key">
              {shortHash(error.devKeySha256, 16, 8)}
            </span>,
          )}
        </p>
        <button type="button" class="btn" data-testid="trust-dev-key" onClick={() => void run()}>
          {i18n.t('errors.trustKey')}
        </button>
        {problem && <p role="status">{problem}</p>}
      </>
    );
  }
  return null;
}

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
      <p>{outgrew ? CHAT_TOO_LONG.message : errorMessage(error)}</p>
      {outgrew && onNewChat && (
        <button type="button" class="btn" data-testid="start-new-chat" onClick={onNewChat}>
          {i18n.t('errors.newChat')}
        </button>
      )}
      {error.reasons && error.reasons.length > 0 && (
        <ul class="reasons" data-testid="error-reasons">
          {error.reasons.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      )}
      {error.retryAfterSeconds !== undefined && (
        <p>{i18n.t('errors.retryIn', { seconds: String(error.retryAfterSeconds) })}</p>
      )}
      <div class="actions">
        <DevFix error={error} onRetry={onRetry} />
        {fixableInSettings(error) && (
          <button
            type="button"
            class="btn"
            data-testid="open-options"
            onClick={() => void browser.runtime.openOptionsPage()}
          >
            {i18n.t('errors.openSettings')}
          </button>
        )}
        {canRetry(error) && onRetry && !outgrew && (
          <button type="button" class="btn" data-testid="retry" onClick={onRetry}>
            {i18n.t('errors.retry')}
          </button>
        )}
      </div>
    </div>
  );
}

/**
 * Onboarding (create the passkey that locks the history) and unlock (one
 * passkey assertion). The passkey work itself is core's (`src/passkey/`),
 * passed in as functions; these screens only show progress and plain errors.
 */

import { useState } from 'preact/hooks';
import { i18n, label, type PlainMessageKey } from '../i18n';
import { MessageError, type PageAction } from '../messaging';
import { PasskeyError } from '../passkey/errors';
import { errorMessage, errorTitle, passkeyMessage } from './format';

export interface PasskeyActions {
  create(): Promise<unknown>;
  unlock(): Promise<unknown>;
}

function messageOf(e: unknown): string {
  if (e instanceof MessageError) {
    return i18n.t('passkey.errorWithTitle', {
      title: errorTitle(e.info),
      message: errorMessage(e.info),
    });
  }
  if (e instanceof DOMException && e.name === 'NotAllowedError') {
    return i18n.t('passkey.notAllowed');
  }
  if (e instanceof PasskeyError) return passkeyMessage(e);
  return e instanceof Error ? e.message : i18n.t('passkey.failed');
}

const WAITING: Record<Exclude<PageAction['type'], 'action/prompt'>, PlainMessageKey> = {
  'action/summarize': 'unlock.waitingSummarize',
  'action/ask': 'unlock.waitingAsk',
  'action/rewrite': 'unlock.waitingRewrite',
  'action/explain': 'unlock.waitingExplain',
  'action/translate': 'unlock.waitingTranslate',
};

/** What a page action waiting for the unlock will do, in a few words. */
export function waitingActionText(action: PageAction): string {
  const where = action.pageTitle || action.pageUrl;
  // A saved prompt's name is sealed: while locked it is not known, so it is not shown.
  const what =
    action.type === 'action/prompt'
      ? i18n.t(
          action.target === 'page' ? 'unlock.waitingPromptPage' : 'unlock.waitingPromptSelection',
        )
      : label(WAITING[action.type]);
  return where ? i18n.t('unlock.waitingOn', { what, where }) : i18n.t('unlock.waiting', { what });
}

function useRun(fn: () => Promise<unknown>, onDone: () => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await fn();
      onDone();
    } catch (e) {
      // The vault was erased meanwhile (another page): re-read the state, which leads to onboarding.
      if (e instanceof PasskeyError && e.code === 'no-vault') onDone();
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}

export function Onboarding({ passkey, onDone }: { passkey: PasskeyActions; onDone(): void }) {
  const { busy, error, run } = useRun(passkey.create, onDone);
  return (
    <section class="screen" data-testid="onboarding" aria-labelledby="onboarding-title">
      <h1 id="onboarding-title">{i18n.t('onboarding.title')}</h1>
      <p>{i18n.t('onboarding.sealed')}</p>
      <p data-testid="onboarding-passkey">{i18n.t('onboarding.passkey')}</p>
      <p data-testid="onboarding-lock">{i18n.t('onboarding.lock')}</p>
      <button
        type="button"
        class="btn btn-primary btn-large"
        data-testid="create-passkey"
        disabled={busy}
        aria-busy={busy ? 'true' : 'false'}
        onClick={() => void run()}
      >
        {busy ? i18n.t('passkey.waiting') : i18n.t('onboarding.create')}
      </button>
      {error && (
        <p class="notice notice-error" role="alert" data-testid="onboarding-error">
          {error}
        </p>
      )}
    </section>
  );
}

export interface UnlockProps {
  passkey: PasskeyActions;
  onDone(): void;
  /** A context-menu or shortcut action that runs once the vault is open. */
  waiting?: PageAction | undefined;
}

export function Unlock({ passkey, onDone, waiting }: UnlockProps) {
  const { busy, error, run } = useRun(passkey.unlock, onDone);
  return (
    <section class="screen" data-testid="unlock" aria-labelledby="unlock-title">
      <h1 id="unlock-title">{i18n.t('unlock.title')}</h1>
      <p>{i18n.t('unlock.text')}</p>
      {waiting && (
        <p
          class="notice notice-info"
          role="status"
          data-testid="waiting-action"
          data-action={waiting.type}
        >
          {waitingActionText(waiting)}
        </p>
      )}
      <button
        type="button"
        class="btn btn-primary btn-large"
        data-testid="unlock-button"
        disabled={busy}
        aria-busy={busy ? 'true' : 'false'}
        ref={(el) => el?.focus()}
        onClick={() => void run()}
      >
        {busy ? i18n.t('passkey.waiting') : i18n.t('unlock.button')}
      </button>
      {error && (
        <p class="notice notice-error" role="alert" data-testid="unlock-error">
          {error}
        </p>
      )}
    </section>
  );
}

/**
 * Onboarding (create the passkey that locks the history) and unlock (one
 * passkey assertion). The passkey work itself is core's (`src/passkey/`),
 * passed in as functions; these screens only show progress and plain errors.
 */

import { useState } from 'preact/hooks';
import { MessageError, type PageAction } from '../messaging';
import { PasskeyError } from '../passkey/errors';
import { errorTitle } from './format';

export interface PasskeyActions {
  create(): Promise<unknown>;
  unlock(): Promise<unknown>;
}

function messageOf(e: unknown): string {
  if (e instanceof MessageError) return `${errorTitle(e.info)}. ${e.message}`;
  if (e instanceof DOMException && e.name === 'NotAllowedError') {
    return 'No passkey for this vault was used: the request was cancelled or timed out, or this device holds a different passkey.';
  }
  return e instanceof Error ? e.message : 'The passkey did not work. Try again.';
}

/** What a page action waiting for the unlock will do, in a few words. */
export function waitingActionText(action: PageAction): string {
  const where = action.pageTitle || action.pageUrl;
  // A saved prompt's name is sealed: while locked it is not known, so it is not shown.
  const what =
    action.type === 'action/summarize'
      ? 'Summarize this page'
      : action.type === 'action/rewrite'
        ? 'Rewrite the selected text'
        : action.target === 'page'
          ? 'A saved prompt on this page'
          : 'A saved prompt on the selected text';
  return `${what}${where ? ` (${where})` : ''} is waiting. Unlock to run it; nothing was sent yet.`;
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
      <h1 id="onboarding-title">Private AI for any page</h1>
      <p>
        Sotto seals your questions and the pages you share on this device, to a language model whose
        hardware and code it has verified; the relay in between sees only ciphertext.
      </p>
      <p>Your history stays here, encrypted under a key that only your passkey can unlock.</p>
      <button
        type="button"
        class="btn btn-primary btn-large"
        data-testid="create-passkey"
        disabled={busy}
        aria-busy={busy ? 'true' : 'false'}
        onClick={() => void run()}
      >
        {busy ? 'Waiting for your passkey…' : 'Create passkey'}
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
      <h1 id="unlock-title">Sotto is locked</h1>
      <p>Unlock your encrypted history with your passkey.</p>
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
        {busy ? 'Waiting for your passkey…' : 'Unlock with passkey'}
      </button>
      {error && (
        <p class="notice notice-error" role="alert" data-testid="unlock-error">
          {error}
        </p>
      )}
    </section>
  );
}

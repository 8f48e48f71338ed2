/**
 * The side panel app: routes between onboarding, unlock and chat by the
 * vault's state; owns the panel port, the evidence shown in the lock badge,
 * and hands the worker's page actions (`action/summarize`, `action/ask`,
 * `action/rewrite`, `action/explain`, `action/translate`, `action/prompt`)
 * to the page flows once the vault is unlocked.
 */

import { useCallback, useEffect, useState } from 'preact/hooks';
import { i18n } from '../i18n';
import { MessageError, type PageAction, sendMessage, type VaultState } from '../messaging';
import { ChatView } from './chat-view';
import { isEvidenceState } from './format';
import type { EvidenceView } from './lock-badge';
import { connectPanel, type PanelConnection } from './panel-port';
import { useChat } from './use-chat';
import { usePageActions } from './use-page-actions';
import { Onboarding, type PasskeyActions, Unlock } from './vault-screens';

export interface AppProps {
  passkey: PasskeyActions;
  /** This window's id (routes page actions and the toggle shortcut to this panel). */
  windowId: number | undefined;
}

/** The tab's address and title as the menu saw them (a PDF is recognised by its address). */
function tabInfo(action: PageAction): { url?: string; title?: string } {
  return {
    ...(action.pageUrl ? { url: action.pageUrl } : {}),
    ...(action.pageTitle ? { title: action.pageTitle } : {}),
  };
}

export function App({ passkey, windowId }: AppProps) {
  const [vault, setVault] = useState<VaultState | 'loading'>('loading');
  const [conn, setConn] = useState<PanelConnection>();
  const [evidence, setEvidence] = useState<EvidenceView>();
  const [action, setAction] = useState<PageAction>();
  const chat = useChat(conn);
  const page = usePageActions(chat);

  const refreshVault = useCallback(async () => {
    try {
      setVault((await sendMessage('vault/status')).state);
    } catch (e) {
      if (!(e instanceof MessageError)) throw e;
      setVault('locked');
    }
  }, []);

  const refreshEvidence = useCallback(async (fresh = false) => {
    const r = await sendMessage('evidence/get', { fresh }).catch((e: unknown) =>
      e instanceof MessageError ? { error: e.info } : undefined,
    );
    if (!r) return;
    setEvidence('error' in r ? { error: r.error } : { summary: r });
  }, []);

  useEffect(() => {
    void refreshVault();
    const c = connectPanel(windowId);
    const off = c.subscribe((m) => {
      if (m.type === 'vault/changed') setVault(m.state);
      else if (m.type === 'panel/close') window.close();
      else if (m.type.startsWith('action/')) setAction(m as PageAction);
      else if (m.type === 'chat/started') setEvidence({ summary: m.evidence });
      // The badge shows what holds now (unreachable, refused, down), not the last good evidence.
      else if (m.type === 'chat/error' && isEvidenceState(m.code)) setEvidence({ error: m });
      else if (m.type === 'chat/error' && m.code === 'locked') void refreshVault();
    });
    setConn(c);
    return off;
  }, [refreshVault, windowId]);

  useEffect(() => {
    if (vault === 'unlocked') void refreshEvidence();
  }, [vault, refreshEvidence]);

  // Locking also clears the decrypted conversation from this page's memory (a temporary one too).
  const { wipe } = chat;
  useEffect(() => {
    if (vault === 'locked' || vault === 'no-vault') wipe();
  }, [vault, wipe]);

  // A page action waits until the vault is open, then runs once.
  useEffect(() => {
    if (vault !== 'unlocked' || !action) return;
    setAction(undefined);
    if (action.type === 'action/summarize')
      void page.summarize({ tabId: action.tabId, frameId: 0, ...tabInfo(action) });
    else if (action.type === 'action/ask')
      void page.ask({ tabId: action.tabId, frameId: 0, ...tabInfo(action) });
    else if (action.type === 'action/explain') void page.explain(action);
    else if (action.type === 'action/translate') void page.translate(action);
    else if (action.type === 'action/rewrite') void page.rewrite(action);
    else if (action.type === 'action/prompt') {
      // A saved prompt from the context menu: its text is read now, from the open vault.
      const from = action;
      void sendMessage('prompts/list')
        .then((list) => {
          const prompt = list.find((p) => p.id === from.promptId);
          if (prompt) void page.runPrompt(prompt, from.target, from);
        })
        .catch(() => undefined);
    }
  }, [vault, action, page]);

  return (
    <main class="app" data-testid="app" data-vault={vault}>
      {vault === 'loading' && (
        <p class="muted" aria-busy="true">
          {i18n.t('app.loading')}
        </p>
      )}
      {vault === 'no-vault' && <Onboarding passkey={passkey} onDone={() => void refreshVault()} />}
      {vault === 'locked' && (
        <Unlock passkey={passkey} onDone={() => void refreshVault()} waiting={action} />
      )}
      {vault === 'unlocked' && (
        <ChatView
          chat={chat}
          page={page}
          evidence={evidence}
          onLock={() => void sendMessage('vault/lock').then((s) => setVault(s.state))}
        />
      )}
    </main>
  );
}

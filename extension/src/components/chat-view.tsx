/**
 * The unlocked panel: header (lock and sync badges, history), the transcript
 * (`role="log"`, polite live region), page-action notices and progress, the
 * custom rewrite, ask and translate forms, and the composer.
 */

import { useEffect, useRef, useState } from 'preact/hooks';
import { i18n } from '../i18n';
import { sendMessage } from '../messaging';
import { CONTINUE_PROMPT } from '../page/prompts';
import { AskPanel } from './ask-panel';
import { canRegenerate, hasPageText } from './chat-state';
import { Composer } from './composer';
import { HistoryDrawer } from './history-drawer';
import { Icon } from './icons';
import { type EvidenceView, LockBadge } from './lock-badge';
import { MessageItem } from './message-item';
import { PromptsPanel } from './prompts-panel';
import { RewritePanel } from './rewrite-panel';
import { Shortcuts, TEMPORARY_KEY_CODE, TEMPORARY_SHORTCUT } from './shortcuts';
import { SyncBadge } from './sync-badge';
import { TranslatePanel } from './translate-panel';
import type { Chat } from './use-chat';
import type { PageActions } from './use-page-actions';

export interface ChatViewProps {
  chat: Chat;
  page: PageActions;
  evidence: EvidenceView;
  onLock(): void;
}

export { CONTINUE_PROMPT };

function Transcript({ chat, page }: { chat: Chat; page: PageActions }) {
  const ref = useRef<HTMLDivElement>(null);
  const { messages } = chat.state;
  const last = messages[messages.length - 1];
  // Keep the newest text in view while streaming.
  useEffect(() => {
    const el = ref.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [messages.length, last?.content, last?.state]);
  const regenerable = canRegenerate(chat.state);
  // The log takes focus (tabIndex 0) so the keyboard can scroll it: Tab goes header → transcript → composer.
  const hasPage = hasPageText(chat.state);
  return (
    <div
      ref={ref}
      class="transcript"
      role="log"
      aria-live="polite"
      aria-label={i18n.t('chat.transcript')}
      aria-busy={chat.state.active ? 'true' : 'false'}
      tabIndex={0}
      data-testid="transcript"
    >
      {messages.length === 0 && (
        <div class="empty" data-testid="empty-state">
          <p>{i18n.t('chat.emptyAsk')}</p>
          <p class="muted">{i18n.t('chat.emptyRewrite')}</p>
        </div>
      )}
      {messages.map((m, i) => (
        <MessageItem
          key={m.key}
          m={m}
          actions={{
            onCopy: (t) => navigator.clipboard.writeText(t),
            onRetry: chat.retry,
            hasPage,
            onNewChat: chat.newChat,
            ...(m.role === 'assistant' && {
              onShowVersion: (index: number) => chat.showVersion(m.key, index),
            }),
            ...(regenerable && i === messages.length - 1 ? { onRegenerate: chat.regenerate } : {}),
            ...(!chat.state.active && i === messages.length - 1
              ? { onContinue: () => chat.send({ role: 'user', content: CONTINUE_PROMPT }) }
              : {}),
            ...(m.insert ? { onInsert: (t: string) => page.insert(m.insert!, t) } : {}),
          }}
        />
      ))}
    </div>
  );
}

export function ChatView({ chat, page, evidence, onLock }: ChatViewProps) {
  const [showHistory, setShowHistory] = useState(false);
  const [showPrompts, setShowPrompts] = useState(false);
  const [revision, setRevision] = useState(0);
  const idle = !chat.state.active;
  const temporary = chat.state.temporary === true;
  // Esc stops a running answer wherever the focus is (unless a dialog is closing);
  // Alt+T switches temporary mode (a new, empty conversation either way).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && chat.state.active && !document.querySelector('dialog[open]')) {
        e.preventDefault();
        chat.stop();
      } else if (e.altKey && !e.ctrlKey && !e.metaKey && e.code === TEMPORARY_KEY_CODE) {
        e.preventDefault();
        chat.setTemporary(chat.state.temporary !== true);
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [chat]);
  // Unlocking returns to the conversation that was open (remembered sealed by the worker);
  // until that is settled, nothing is remembered, so the empty start does not erase it.
  const restored = useRef(false);
  const { restore } = chat;
  useEffect(() => {
    void sendMessage('history/get-open')
      .then((r) => (r.conversationId ? restore(r.conversationId) : undefined))
      .catch(() => undefined)
      .finally(() => {
        restored.current = true;
        setRevision((n) => n + 1);
      });
  }, [restore]);
  // Remember the open conversation; a temporary one is never named (an empty chat instead).
  const openId = temporary ? null : (chat.state.conversationId ?? null);
  useEffect(() => {
    if (!restored.current) return;
    void sendMessage('history/set-open', { conversationId: openId }).catch(() => undefined);
  }, [openId, revision]);

  // Refresh the list when an answer ends (a conversation was stored or updated).
  const { conversationId, title } = chat.state;
  useEffect(() => {
    if (!idle) return;
    setRevision((r) => r + 1);
    // A new conversation gets its title from the worker once the first answer is stored.
    if (conversationId && title === undefined && !temporary) {
      void sendMessage('history/list')
        .then((list) => {
          const t = list.find((c) => c.id === conversationId)?.title;
          if (t) chat.renamed(t);
        })
        .catch(() => undefined);
    }
  }, [idle, conversationId, title, temporary, chat.renamed]);

  return (
    <div class="chat" data-testid="chat" data-temporary={temporary ? 'true' : 'false'}>
      <header class="bar">
        <button
          type="button"
          class="btn-icon"
          data-testid="history-toggle"
          aria-label={i18n.t('chat.conversations')}
          aria-expanded={showHistory ? 'true' : 'false'}
          onClick={() => setShowHistory((v) => !v)}
        >
          <Icon name="menu" />
        </button>
        <span class="title" data-testid="conversation-title">
          {temporary
            ? i18n.t('temporary.title')
            : (chat.state.title ?? i18n.t('chat.newConversation'))}
        </span>
        <button
          type="button"
          class={`btn-icon${temporary ? ' btn-on' : ''}`}
          data-testid="temporary-toggle"
          aria-pressed={temporary ? 'true' : 'false'}
          aria-keyshortcuts={TEMPORARY_SHORTCUT}
          aria-label={i18n.t('temporary.toggle')}
          title={i18n.t('temporary.toggleHint', { shortcut: TEMPORARY_SHORTCUT })}
          onClick={() => chat.setTemporary(!temporary)}
        >
          <Icon name="ghost" />
        </button>
        <button
          type="button"
          class={`btn-icon${showPrompts ? ' btn-on' : ''}`}
          data-testid="prompts-toggle"
          aria-label={i18n.t('prompts.title')}
          aria-expanded={showPrompts ? 'true' : 'false'}
          onClick={() => setShowPrompts((v) => !v)}
        >
          <Icon name="star" />
        </button>
        <button
          type="button"
          class="btn-icon"
          data-testid="new-chat"
          aria-label={i18n.t('chat.newConversation')}
          onClick={chat.newChat}
        >
          <Icon name="plus" />
        </button>
        <button
          type="button"
          class="btn-icon"
          data-testid="lock"
          aria-label={i18n.t('chat.lock')}
          // The open conversation is noted first, so a lock right after opening one still returns to it.
          onClick={() =>
            void sendMessage('history/set-open', { conversationId: openId })
              .catch(() => undefined)
              .finally(onLock)
          }
        >
          <Icon name="lock" />
        </button>
      </header>
      <div class="badge-row">
        <LockBadge view={evidence} />
        <SyncBadge />
      </div>
      {temporary && (
        <p class="notice notice-info temporary-note" data-testid="temporary-note" role="note">
          {i18n.t('temporary.note')}
        </p>
      )}
      {showHistory && (
        <HistoryDrawer
          currentId={chat.state.conversationId}
          revision={revision}
          onOpen={(id) => {
            setShowHistory(false);
            void chat.open(id);
          }}
          onNew={() => {
            setShowHistory(false);
            chat.newChat();
          }}
          onRenamed={(id, t) => {
            if (id === chat.state.conversationId) chat.renamed(t);
          }}
          onDeleted={(id) => {
            if (id === chat.state.conversationId) chat.newChat();
          }}
        />
      )}
      {showHistory && (
        <div class="drawer drawer-foot">
          <Shortcuts />
        </div>
      )}
      <Transcript chat={chat} page={page} />
      {page.problem && (
        <div class="notice notice-error" role="alert" data-testid="page-problem">
          <p>{page.problem.message}</p>
          <div class="actions">
            {page.problem.needsAccess && (
              <button
                type="button"
                class="btn-small btn-primary"
                data-testid="allow-site"
                data-origin={page.problem.origin ?? '*'}
                onClick={() => void page.allowSite()}
              >
                {page.problem.origin
                  ? i18n.t('chat.allowOrigin', { origin: page.problem.origin })
                  : i18n.t('chat.allowAll')}
              </button>
            )}
            <button
              type="button"
              class="btn-small"
              data-testid="page-problem-dismiss"
              onClick={page.dismiss}
            >
              {i18n.t('common.dismiss')}
            </button>
          </div>
        </div>
      )}
      {page.progress && (
        <p class="notice notice-info" role="status" data-testid="page-progress">
          {page.progress}
        </p>
      )}
      {page.pendingAsk && (
        <AskPanel pending={page.pendingAsk} onSubmit={page.submitAsk} onCancel={page.cancelAsk} />
      )}
      {page.pendingTranslate && (
        <TranslatePanel
          pending={page.pendingTranslate}
          onSubmit={page.submitTranslate}
          onCancel={page.cancelTranslate}
        />
      )}
      {page.pendingRewrite && (
        <RewritePanel
          pending={page.pendingRewrite}
          onSubmit={page.submitRewrite}
          onCancel={page.cancelRewrite}
        />
      )}
      {showPrompts && (
        <PromptsPanel
          busy={!idle || page.busy}
          systemPrompt={chat.state.systemPrompt}
          onSystemPrompt={chat.setSystemPrompt}
          onClose={() => setShowPrompts(false)}
          onRun={(p, target) => {
            setShowPrompts(false);
            if (target === 'chat') chat.send({ role: 'user', content: p.text });
            else void page.runPrompt(p, target);
          }}
        />
      )}
      <Composer
        busy={!idle}
        pageBusy={page.busy}
        onSend={(text) => chat.send({ role: 'user', content: text })}
        onStop={chat.stop}
        onSummarize={() => void page.summarize()}
        onRewrite={() => void page.rewriteSelection()}
        onAsk={() => void page.ask()}
        onExplain={() => void page.explain()}
        onTranslate={() => void page.translate()}
      />
    </div>
  );
}

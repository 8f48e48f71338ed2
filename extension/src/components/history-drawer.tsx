/**
 * The conversation list: new, open, rename, delete, search. Titles arrive
 * decrypted from the worker; search runs in the worker over decrypted text.
 */

import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { formatDateTime, i18n } from '../i18n';
import { type ConversationSummary, MessageError, sendMessage } from '../messaging';
import { errorMessage } from './format';
import { Icon } from './icons';

export interface HistoryDrawerProps {
  currentId: string | undefined;
  /** Changes whenever the list may have changed (an answer finished). */
  revision: number;
  onOpen(id: string): void;
  onNew(): void;
  onRenamed(id: string, title: string): void;
  onDeleted(id: string): void;
}

function Item({
  c,
  current,
  onOpen,
  onRenamed,
  onDeleted,
}: {
  c: ConversationSummary;
  current: boolean;
  onOpen(): void;
  onRenamed(title: string): void;
  onDeleted(): void;
}) {
  const [editing, setEditing] = useState(false);
  const [title, setTitle] = useState(c.title);
  const [confirming, setConfirming] = useState(false);
  const save = async () => {
    const t = title.trim();
    setEditing(false);
    if (!t || t === c.title) return;
    const r = await sendMessage('history/rename', { conversationId: c.id, title: t });
    onRenamed(r.title);
  };
  return (
    <li
      class={`conv${current ? ' conv-current' : ''}`}
      data-testid="conversation-item"
      data-id={c.id}
    >
      {editing ? (
        <input
          class="input"
          data-testid="rename-input"
          aria-label={i18n.t('history.newTitle')}
          value={title}
          ref={(el) => el?.focus()}
          onInput={(e) => setTitle((e.target as HTMLInputElement).value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') void save();
            if (e.key === 'Escape') setEditing(false);
          }}
          onBlur={() => void save()}
        />
      ) : (
        <button
          type="button"
          class="conv-open"
          aria-current={current ? 'true' : undefined}
          onClick={onOpen}
        >
          <span class="conv-title">{c.title || i18n.t('history.untitled')}</span>
          <span class="muted">{formatDateTime(c.updatedAt)}</span>
        </button>
      )}
      <button
        type="button"
        class="btn-icon"
        data-testid="rename"
        aria-label={i18n.t('history.rename', { title: c.title })}
        onClick={() => setEditing(true)}
      >
        <Icon name="pencil" />
      </button>
      {confirming ? (
        <span class="confirm">
          <button
            type="button"
            class="btn-small btn-danger"
            data-testid="delete-confirm"
            ref={(el) => el?.focus()}
            onClick={() =>
              void sendMessage('history/delete', { conversationId: c.id }).then(onDeleted)
            }
          >
            {i18n.t('history.deleteConfirm')}
          </button>
          <button
            type="button"
            class="btn-small"
            data-testid="delete-cancel"
            onClick={() => setConfirming(false)}
          >
            {i18n.t('history.keep')}
          </button>
        </span>
      ) : (
        <button
          type="button"
          class="btn-icon"
          data-testid="delete"
          aria-label={i18n.t('history.delete', { title: c.title })}
          onClick={() => setConfirming(true)}
        >
          <Icon name="trash" />
        </button>
      )}
    </li>
  );
}

export function HistoryDrawer(props: HistoryDrawerProps) {
  const [items, setItems] = useState<ConversationSummary[]>([]);
  const [query, setQuery] = useState('');
  const [error, setError] = useState<string>();
  const seq = useRef(0);

  const load = useCallback(async (q: string) => {
    const mine = ++seq.current;
    try {
      const list = q.trim()
        ? await sendMessage('history/search', { query: q.trim() })
        : await sendMessage('history/list');
      if (mine === seq.current) {
        setItems(list);
        setError(undefined);
      }
    } catch (e) {
      if (mine === seq.current)
        setError(e instanceof MessageError ? errorMessage(e.info) : i18n.t('history.unreadable'));
    }
  }, []);

  useEffect(() => void load(query), [load, query, props.revision]);

  return (
    <nav class="drawer" aria-label={i18n.t('chat.conversations')} data-testid="conversation-list">
      <div class="drawer-head">
        <input
          type="search"
          class="input"
          data-testid="search-input"
          aria-label={i18n.t('history.search')}
          placeholder={i18n.t('history.searchPlaceholder')}
          value={query}
          onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
        />
        <button type="button" class="btn" data-testid="new-conversation" onClick={props.onNew}>
          {i18n.t('history.new')}
        </button>
      </div>
      {error && <p class="notice notice-error">{error}</p>}
      <ul class="conv-list" data-testid="conversation-results" data-count={items.length}>
        {items.map((c) => (
          <Item
            key={c.id}
            c={c}
            current={c.id === props.currentId}
            onOpen={() => props.onOpen(c.id)}
            onRenamed={(t) => {
              props.onRenamed(c.id, t);
              void load(query);
            }}
            onDeleted={() => {
              props.onDeleted(c.id);
              void load(query);
            }}
          />
        ))}
        {items.length === 0 && !error && (
          <li class="muted">{query ? i18n.t('history.noMatches') : i18n.t('history.empty')}</li>
        )}
      </ul>
    </nav>
  );
}

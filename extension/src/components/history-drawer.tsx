/**
 * The conversation list: new, open, rename, pin, delete (one or several), search with
 * the match highlighted in a snippet, grouped by date (Pinned, Today, Yesterday, Last
 * 7 days, months) in the browser's locale. Titles arrive decrypted from the worker;
 * search runs in the worker over decrypted text.
 */

import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { formatDateTime, formatNumber, i18n, uiLanguage } from '../i18n';
import { type ConversationSummary, MessageError, sendMessage } from '../messaging';
import { groupConversations } from './date-groups';
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

function Snippet({ s }: { s: NonNullable<ConversationSummary['snippet']> }) {
  // Text nodes only: the snippet is decrypted user or model text.
  return (
    <span class="snippet muted" data-testid="snippet">
      {s.before}
      <mark data-testid="snippet-match">{s.match}</mark>
      {s.after}
    </span>
  );
}

function Item({
  c,
  current,
  selected,
  onSelect,
  onOpen,
  onRenamed,
  onPinned,
  onDeleted,
}: {
  c: ConversationSummary;
  current: boolean;
  selected: boolean;
  onSelect(on: boolean): void;
  onOpen(): void;
  onRenamed(title: string): void;
  onPinned(): void;
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
      data-pinned={c.pinned ? 'true' : 'false'}
    >
      <input
        type="checkbox"
        class="conv-select"
        data-testid="select"
        aria-label={i18n.t('history.select', { title: c.title })}
        checked={selected}
        onChange={(e) => onSelect((e.target as HTMLInputElement).checked)}
      />
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
          {c.snippet && <Snippet s={c.snippet} />}
          <span class="muted">{formatDateTime(c.updatedAt)}</span>
        </button>
      )}
      <button
        type="button"
        class={`btn-icon${c.pinned ? ' btn-on' : ''}`}
        data-testid="pin"
        aria-pressed={c.pinned ? 'true' : 'false'}
        aria-label={i18n.t(c.pinned ? 'history.unpin' : 'history.pin', { title: c.title })}
        onClick={() =>
          void sendMessage('history/pin', { conversationId: c.id, pinned: !c.pinned }).then(
            onPinned,
          )
        }
      >
        <Icon name="pin" />
      </button>
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
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [confirmBulk, setConfirmBulk] = useState(false);
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
        // A selection only holds conversations still listed.
        setSelected((was) => new Set(list.filter((c) => was.has(c.id)).map((c) => c.id)));
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
      {selected.size > 0 && (
        <div
          class="bulk-bar"
          data-testid="bulk-bar"
          role="group"
          aria-label={i18n.t('history.selectedGroup')}
        >
          <span data-testid="bulk-count">
            {i18n.t('history.selected', selected.size, [formatNumber(selected.size)])}
          </span>
          {confirmBulk ? (
            <>
              <button
                type="button"
                class="btn-small btn-danger"
                data-testid="bulk-delete-confirm"
                ref={(el) => el?.focus()}
                onClick={() => {
                  const ids = [...selected];
                  setConfirmBulk(false);
                  void sendMessage('history/delete-many', { conversationIds: ids })
                    .then(() => {
                      for (const id of ids) props.onDeleted(id);
                      setSelected(new Set());
                    })
                    .catch((e: unknown) =>
                      setError(
                        e instanceof MessageError
                          ? errorMessage(e.info)
                          : i18n.t('history.nothingDeleted'),
                      ),
                    )
                    .finally(() => void load(query));
                }}
              >
                {i18n.t('history.deleteMany', selected.size, [formatNumber(selected.size)])}
              </button>
              <button
                type="button"
                class="btn-small"
                data-testid="bulk-delete-cancel"
                onClick={() => setConfirmBulk(false)}
              >
                {i18n.t('history.keep')}
              </button>
            </>
          ) : (
            <>
              <button
                type="button"
                class="btn-small btn-danger"
                data-testid="bulk-delete"
                onClick={() => setConfirmBulk(true)}
              >
                {i18n.t('history.deleteSelected')}
              </button>
              <button
                type="button"
                class="btn-small"
                data-testid="bulk-clear"
                onClick={() => setSelected(new Set())}
              >
                {i18n.t('history.clearSelection')}
              </button>
            </>
          )}
        </div>
      )}
      <div class="conv-list" data-testid="conversation-results" data-count={items.length}>
        {groupConversations(items, Date.now(), uiLanguage(), {
          pinned: i18n.t('history.pinned'),
          week: i18n.t('history.lastWeek'),
        }).map((g) => (
          <section
            key={g.key}
            class="conv-group"
            data-testid="history-group"
            data-group={g.key}
            aria-label={g.label}
          >
            <h3 class="conv-group-title">{g.label}</h3>
            <ul>
              {g.items.map((c) => (
                <Item
                  key={c.id}
                  c={c}
                  current={c.id === props.currentId}
                  selected={selected.has(c.id)}
                  onSelect={(on) =>
                    setSelected((was) => {
                      const next = new Set(was);
                      if (on) next.add(c.id);
                      else next.delete(c.id);
                      return next;
                    })
                  }
                  onOpen={() => props.onOpen(c.id)}
                  onRenamed={(t) => {
                    props.onRenamed(c.id, t);
                    void load(query);
                  }}
                  onPinned={() => void load(query)}
                  onDeleted={() => {
                    props.onDeleted(c.id);
                    void load(query);
                  }}
                />
              ))}
            </ul>
          </section>
        ))}
        {items.length === 0 && !error && (
          <p class="muted">{query ? i18n.t('history.noMatches') : i18n.t('history.empty')}</p>
        )}
      </div>
    </nav>
  );
}

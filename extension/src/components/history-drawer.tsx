/**
 * The conversation list: new, open, rename, pin, delete (one or several), search with
 * the match highlighted in a snippet, grouped by date (Pinned, Today, Yesterday, Last
 * 7 days, months) in the browser's locale. Titles arrive decrypted from the worker;
 * search runs in the worker over decrypted text.
 */

import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { type ConversationSummary, MessageError, sendMessage } from '../messaging';
import { groupConversations } from './date-groups';
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
        aria-label={`Select ${c.title}`}
        checked={selected}
        onChange={(e) => onSelect((e.target as HTMLInputElement).checked)}
      />
      {editing ? (
        <input
          class="input"
          data-testid="rename-input"
          aria-label="New title"
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
          <span class="conv-title">{c.title || 'Untitled'}</span>
          {c.snippet && <Snippet s={c.snippet} />}
          <span class="muted">{new Date(c.updatedAt).toLocaleString()}</span>
        </button>
      )}
      <button
        type="button"
        class={`btn-icon${c.pinned ? ' btn-on' : ''}`}
        data-testid="pin"
        aria-pressed={c.pinned ? 'true' : 'false'}
        aria-label={`${c.pinned ? 'Unpin' : 'Pin'} ${c.title}`}
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
        aria-label={`Rename ${c.title}`}
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
            Delete
          </button>
          <button
            type="button"
            class="btn-small"
            data-testid="delete-cancel"
            onClick={() => setConfirming(false)}
          >
            Keep
          </button>
        </span>
      ) : (
        <button
          type="button"
          class="btn-icon"
          data-testid="delete"
          aria-label={`Delete ${c.title}`}
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
        setError(e instanceof MessageError ? e.message : 'History could not be read.');
    }
  }, []);

  useEffect(() => void load(query), [load, query, props.revision]);

  return (
    <nav class="drawer" aria-label="Conversations" data-testid="conversation-list">
      <div class="drawer-head">
        <input
          type="search"
          class="input"
          data-testid="search-input"
          aria-label="Search conversations"
          placeholder="Search (decrypted on this device)"
          value={query}
          onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
        />
        <button type="button" class="btn" data-testid="new-conversation" onClick={props.onNew}>
          New
        </button>
      </div>
      {error && <p class="notice notice-error">{error}</p>}
      {selected.size > 0 && (
        <div class="bulk-bar" data-testid="bulk-bar" role="group" aria-label="Selected">
          <span data-testid="bulk-count">
            {new Intl.NumberFormat().format(selected.size)} selected
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
                      setError(e instanceof MessageError ? e.message : 'Nothing was deleted.'),
                    )
                    .finally(() => void load(query));
                }}
              >
                Delete {new Intl.NumberFormat().format(selected.size)}
              </button>
              <button
                type="button"
                class="btn-small"
                data-testid="bulk-delete-cancel"
                onClick={() => setConfirmBulk(false)}
              >
                Keep
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
                Delete selected
              </button>
              <button
                type="button"
                class="btn-small"
                data-testid="bulk-clear"
                onClick={() => setSelected(new Set())}
              >
                Clear selection
              </button>
            </>
          )}
        </div>
      )}
      <div class="conv-list" data-testid="conversation-results" data-count={items.length}>
        {groupConversations(items, Date.now(), undefined).map((g) => (
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
          <p class="muted">{query ? 'No matches.' : 'No conversations yet.'}</p>
        )}
      </div>
    </nav>
  );
}

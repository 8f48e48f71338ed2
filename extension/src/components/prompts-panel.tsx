/**
 * Saved prompts and custom actions: save, name, edit, reorder, delete, and run one in
 * chat, on the page or on the selection; and this conversation's system prompt. The
 * list lives sealed in the worker (`prompts/*`); the context menu lists it too.
 */

import { useEffect, useState } from 'preact/hooks';
import { MessageError, type PromptTarget, type SavedPrompt, sendMessage } from '../messaging';
import { MAX_SYSTEM_PROMPT } from './chat-state';

export interface PromptsPanelProps {
  busy: boolean;
  systemPrompt: string | undefined;
  onSystemPrompt(text: string): void;
  onRun(prompt: SavedPrompt, target: PromptTarget): void;
  onClose(): void;
}

const TARGETS: { target: PromptTarget; label: string }[] = [
  { target: 'chat', label: 'In chat' },
  { target: 'page', label: 'On page' },
  { target: 'selection', label: 'On selection' },
];

export function PromptsPanel({
  busy,
  systemPrompt,
  onSystemPrompt,
  onRun,
  onClose,
}: PromptsPanelProps) {
  const [list, setList] = useState<SavedPrompt[]>([]);
  const [error, setError] = useState<string>();
  const [editing, setEditing] = useState<{ id?: string; name: string; text: string }>({
    name: '',
    text: '',
  });
  const [system, setSystem] = useState(systemPrompt ?? '');

  const act = (p: Promise<SavedPrompt[]>) =>
    void p.then(
      (l) => {
        setList(l);
        setError(undefined);
      },
      (e: unknown) => setError(e instanceof MessageError ? e.message : 'That did not work.'),
    );
  useEffect(() => act(sendMessage('prompts/list')), []);
  useEffect(() => setSystem(systemPrompt ?? ''), [systemPrompt]);

  const move = (i: number, by: number) => {
    const ids = list.map((p) => p.id);
    const [id] = ids.splice(i, 1);
    ids.splice(i + by, 0, id!);
    act(sendMessage('prompts/reorder', { ids }));
  };

  return (
    <section class="prompts" data-testid="prompts-panel" aria-label="Saved prompts">
      <div class="prompts-head">
        <h2>Saved prompts</h2>
        <button type="button" class="btn-small" data-testid="prompts-close" onClick={onClose}>
          Close
        </button>
      </div>
      {error && (
        <p class="notice notice-error" role="alert" data-testid="prompts-error">
          {error}
        </p>
      )}
      <ol class="prompt-list" data-testid="prompt-list" data-count={list.length}>
        {list.map((p, i) => (
          <li key={p.id} class="prompt" data-testid="prompt-item" data-id={p.id}>
            <span class="prompt-name" data-testid="prompt-name">
              {p.name}
            </span>
            <span class="prompt-run">
              {TARGETS.map(({ target, label }) => (
                <button
                  key={target}
                  type="button"
                  class="btn-small"
                  data-testid={`prompt-run-${target}`}
                  aria-label={`${p.name}: ${label.toLowerCase()}`}
                  disabled={busy}
                  onClick={() => onRun(p, target)}
                >
                  {label}
                </button>
              ))}
            </span>
            <span class="prompt-manage">
              <button
                type="button"
                class="btn-small"
                data-testid="prompt-up"
                aria-label={`Move ${p.name} up`}
                disabled={i === 0}
                onClick={() => move(i, -1)}
              >
                ↑
              </button>
              <button
                type="button"
                class="btn-small"
                data-testid="prompt-down"
                aria-label={`Move ${p.name} down`}
                disabled={i === list.length - 1}
                onClick={() => move(i, 1)}
              >
                ↓
              </button>
              <button
                type="button"
                class="btn-small"
                data-testid="prompt-edit"
                aria-label={`Edit ${p.name}`}
                onClick={() => setEditing({ id: p.id, name: p.name, text: p.text })}
              >
                Edit
              </button>
              <button
                type="button"
                class="btn-small btn-danger"
                data-testid="prompt-delete"
                aria-label={`Delete ${p.name}`}
                onClick={() => act(sendMessage('prompts/delete', { id: p.id }))}
              >
                Delete
              </button>
            </span>
          </li>
        ))}
        {list.length === 0 && <li class="muted">No saved prompts yet.</li>}
      </ol>
      <form
        class="prompt-form"
        aria-label={editing.id ? 'Edit prompt' : 'New prompt'}
        onSubmit={(e) => {
          e.preventDefault();
          const { id, name, text } = editing;
          act(
            sendMessage('prompts/save', { prompt: { ...(id ? { id } : {}), name, text } }).then(
              (l) => {
                setEditing({ name: '', text: '' });
                return l;
              },
            ),
          );
        }}
      >
        <input
          class="input"
          data-testid="prompt-name-input"
          aria-label="Prompt name"
          placeholder="Name, e.g. Explain like I'm 12"
          value={editing.name}
          onInput={(e) => setEditing({ ...editing, name: (e.target as HTMLInputElement).value })}
        />
        <textarea
          class="input"
          data-testid="prompt-text-input"
          aria-label="Prompt text"
          placeholder="What Sotto should do"
          rows={2}
          value={editing.text}
          onInput={(e) => setEditing({ ...editing, text: (e.target as HTMLTextAreaElement).value })}
        />
        <button
          type="submit"
          class="btn btn-primary"
          data-testid="prompt-save"
          disabled={!editing.name.trim() || !editing.text.trim()}
        >
          {editing.id ? 'Save changes' : 'Save prompt'}
        </button>
      </form>
      <form
        class="prompt-form"
        aria-label="System prompt"
        onSubmit={(e) => {
          e.preventDefault();
          onSystemPrompt(system);
        }}
      >
        <label class="muted" for="system-prompt">
          System prompt for this conversation (sent first with every message, kept with it)
        </label>
        <textarea
          id="system-prompt"
          class="input"
          data-testid="system-prompt-input"
          rows={2}
          maxLength={MAX_SYSTEM_PROMPT}
          value={system}
          onInput={(e) => setSystem((e.target as HTMLTextAreaElement).value)}
        />
        <button type="submit" class="btn" data-testid="system-prompt-save">
          {system.trim() ? 'Use this system prompt' : 'No system prompt'}
        </button>
      </form>
    </section>
  );
}

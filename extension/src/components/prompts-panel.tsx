/**
 * Saved prompts and custom actions: save, name, edit, reorder, delete, and run one in
 * chat, on the page or on the selection; and this conversation's system prompt. The
 * list lives sealed in the worker (`prompts/*`); the context menu lists it too.
 */

import { useEffect, useState } from 'preact/hooks';
import { i18n, label, type PlainMessageKey } from '../i18n';
import { MessageError, type PromptTarget, type SavedPrompt, sendMessage } from '../messaging';
import { MAX_SYSTEM_PROMPT } from './chat-state';
import { errorMessage } from './format';

export interface PromptsPanelProps {
  busy: boolean;
  systemPrompt: string | undefined;
  onSystemPrompt(text: string): void;
  onRun(prompt: SavedPrompt, target: PromptTarget): void;
  onClose(): void;
}

const TARGETS: { target: PromptTarget; label: PlainMessageKey }[] = [
  { target: 'chat', label: 'prompts.inChat' },
  { target: 'page', label: 'prompts.onPage' },
  { target: 'selection', label: 'prompts.onSelection' },
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
      (e: unknown) =>
        setError(e instanceof MessageError ? errorMessage(e.info) : i18n.t('prompts.failed')),
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
    <section class="prompts" data-testid="prompts-panel" aria-label={i18n.t('prompts.title')}>
      <div class="prompts-head">
        <h2>{i18n.t('prompts.title')}</h2>
        <button type="button" class="btn-small" data-testid="prompts-close" onClick={onClose}>
          {i18n.t('common.close')}
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
              {TARGETS.map(({ target, label: where }) => (
                <button
                  key={target}
                  type="button"
                  class="btn-small"
                  data-testid={`prompt-run-${target}`}
                  aria-label={i18n.t('prompts.runLabel', { name: p.name, where: label(where) })}
                  disabled={busy}
                  onClick={() => onRun(p, target)}
                >
                  {label(where)}
                </button>
              ))}
            </span>
            <span class="prompt-manage">
              <button
                type="button"
                class="btn-small"
                data-testid="prompt-up"
                aria-label={i18n.t('prompts.up', { name: p.name })}
                disabled={i === 0}
                onClick={() => move(i, -1)}
              >
                ↑
              </button>
              <button
                type="button"
                class="btn-small"
                data-testid="prompt-down"
                aria-label={i18n.t('prompts.down', { name: p.name })}
                disabled={i === list.length - 1}
                onClick={() => move(i, 1)}
              >
                ↓
              </button>
              <button
                type="button"
                class="btn-small"
                data-testid="prompt-edit"
                aria-label={i18n.t('prompts.editLabel', { name: p.name })}
                onClick={() => setEditing({ id: p.id, name: p.name, text: p.text })}
              >
                {i18n.t('prompts.edit')}
              </button>
              <button
                type="button"
                class="btn-small btn-danger"
                data-testid="prompt-delete"
                aria-label={i18n.t('prompts.deleteLabel', { name: p.name })}
                onClick={() => act(sendMessage('prompts/delete', { id: p.id }))}
              >
                {i18n.t('prompts.delete')}
              </button>
            </span>
          </li>
        ))}
        {list.length === 0 && <li class="muted">{i18n.t('prompts.none')}</li>}
      </ol>
      <form
        class="prompt-form"
        aria-label={i18n.t(editing.id ? 'prompts.editPrompt' : 'prompts.newPrompt')}
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
          aria-label={i18n.t('prompts.name')}
          placeholder={i18n.t('prompts.namePlaceholder')}
          value={editing.name}
          onInput={(e) => setEditing({ ...editing, name: (e.target as HTMLInputElement).value })}
        />
        <textarea
          class="input"
          data-testid="prompt-text-input"
          aria-label={i18n.t('prompts.text')}
          placeholder={i18n.t('prompts.textPlaceholder')}
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
          {i18n.t(editing.id ? 'prompts.saveChanges' : 'prompts.save')}
        </button>
      </form>
      <form
        class="prompt-form"
        aria-label={i18n.t('prompts.system')}
        onSubmit={(e) => {
          e.preventDefault();
          onSystemPrompt(system);
        }}
      >
        <label class="muted" for="system-prompt">
          {i18n.t('prompts.systemHint')}
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
          {i18n.t(system.trim() ? 'prompts.systemUse' : 'prompts.systemNone')}
        </button>
      </form>
    </section>
  );
}

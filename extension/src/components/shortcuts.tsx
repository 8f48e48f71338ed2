/**
 * The keyboard shortcuts, as the browser has them now (`commands.getAll()`: the user's
 * own bindings, or none where they removed one), then the panel's own keys. Shown in
 * the panel's menu and in the options.
 */
import { useEffect, useState } from 'preact/hooks';
import { browser } from 'wxt/browser';
import { i18n } from '../i18n';

/** The in-panel shortcut for a temporary conversation: Alt+T (by key position, any layout). */
export const TEMPORARY_SHORTCUT = 'Alt+T';
export const TEMPORARY_KEY_CODE = 'KeyT';

interface Command {
  name: string;
  description: string;
  shortcut: string;
}

/** The browser's commands with a description (the toolbar button's own entry has none). */
async function loadCommands(): Promise<Command[]> {
  const all = await browser.commands.getAll();
  return all
    .filter((c) => c.name && c.description)
    .map((c) => ({ name: c.name!, description: c.description!, shortcut: c.shortcut ?? '' }));
}

export interface ShortcutsProps {
  /** A line under the list (the options say where the bindings are changed). */
  hint?: string;
  /** Opens the browser's shortcut settings, where the browser has such a page. */
  onChange?: () => void;
}

export function Shortcuts({ hint, onChange }: ShortcutsProps) {
  const [commands, setCommands] = useState<Command[]>();
  useEffect(() => {
    void loadCommands()
      .then(setCommands)
      .catch(() => setCommands([]));
  }, []);
  const panelKeys: [string, string][] = [
    ['Enter', i18n.t('shortcuts.send')],
    ['Shift+Enter', i18n.t('shortcuts.newLine')],
    ['Esc', i18n.t('shortcuts.stop')],
    [TEMPORARY_SHORTCUT, i18n.t('shortcuts.temporary')],
  ];
  return (
    <section class="shortcuts" data-testid="shortcuts" aria-labelledby="shortcuts-title">
      <h2 id="shortcuts-title">{i18n.t('shortcuts.title')}</h2>
      <dl>
        {commands?.map((c) => (
          <div key={c.name} data-testid="shortcut" data-command={c.name}>
            <dt>
              {c.shortcut ? (
                <kbd>{c.shortcut}</kbd>
              ) : (
                <span class="muted">{i18n.t('shortcuts.none')}</span>
              )}
            </dt>
            <dd>{c.description}</dd>
          </div>
        ))}
        {panelKeys.map(([key, what]) => (
          <div key={key} data-testid="panel-key">
            <dt>
              <kbd>{key}</kbd>
            </dt>
            <dd>{what}</dd>
          </div>
        ))}
      </dl>
      {hint && <p class="hint">{hint}</p>}
      {onChange && (
        <button type="button" class="btn-small" data-testid="change-shortcuts" onClick={onChange}>
          {i18n.t('shortcuts.change')}
        </button>
      )}
    </section>
  );
}

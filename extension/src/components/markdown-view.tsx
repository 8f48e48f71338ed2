/**
 * An answer's markdown, rendered by the strict renderer (`markdown/render.ts`) and nothing
 * else. Each code block then gets its controls from here, as DOM built by this code with
 * listeners (the panel CSP forbids inline handlers, and the rendered HTML never carries a
 * control a model could imitate): the language label, Copy, and a wrapping toggle.
 */

import { useLayoutEffect, useMemo, useRef } from 'preact/hooks';
import { i18n } from '../i18n';
import { renderMarkdown } from '../markdown/render';

/** The fence language from the highlighter's `language-…` class, or '' when none. */
function languageOf(code: Element): string {
  for (const c of code.classList) if (c.startsWith('language-')) return c.slice(9);
  return '';
}

function button(label: string, testId: string, onClick: (b: HTMLButtonElement) => void) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'btn-small code-btn';
  b.dataset.testid = testId;
  b.textContent = label;
  b.addEventListener('click', () => onClick(b));
  return b;
}

/** Adds the toolbar to every `pre > code` in `root` that has none yet. */
function addCodeControls(root: HTMLElement): void {
  for (const pre of root.querySelectorAll('pre')) {
    const code = pre.querySelector('code');
    if (!code || pre.previousElementSibling?.classList.contains('code-bar')) continue;
    const bar = document.createElement('div');
    bar.className = 'code-bar';
    bar.dataset.testid = 'code-bar';
    const label = document.createElement('span');
    label.className = 'code-lang';
    label.dataset.testid = 'code-lang';
    label.textContent = languageOf(code) || i18n.t('code.plain');
    const wrap = button(i18n.t('code.wrap'), 'code-wrap', (b) => {
      const on = pre.classList.toggle('wrap');
      b.setAttribute('aria-pressed', String(on));
    });
    wrap.setAttribute('aria-pressed', 'false');
    wrap.setAttribute('aria-label', i18n.t('code.wrapLabel'));
    const copy = button(i18n.t('code.copy'), 'code-copy', (b) => {
      void navigator.clipboard.writeText(code.textContent ?? '').then(
        () => {
          b.textContent = i18n.t('code.copied');
        },
        () => {
          b.textContent = i18n.t('code.copyFailed');
        },
      );
    });
    copy.setAttribute('aria-label', i18n.t('code.copyLabel'));
    bar.append(label, wrap, copy);
    pre.before(bar);
  }
}

export function MarkdownView({ text, testId }: { text: string; testId?: string }) {
  const html = useMemo(() => renderMarkdown(text), [text]);
  const ref = useRef<HTMLDivElement>(null);
  // After every render: a streaming answer replaces the HTML, and with it the bars.
  useLayoutEffect(() => {
    if (ref.current) addCodeControls(ref.current);
  }, [html]);
  // Safe: renderMarkdown escapes raw HTML and sanitizes with DOMPurify's strict allowlist.
  return (
    <div ref={ref} class="md" data-testid={testId} dangerouslySetInnerHTML={{ __html: html }} />
  );
}

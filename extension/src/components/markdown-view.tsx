/** An answer's markdown, rendered by the strict renderer (`markdown/render.ts`) and nothing else. */

import { useMemo } from 'preact/hooks';
import { renderMarkdown } from '../markdown/render';

export function MarkdownView({ text, testId }: { text: string; testId?: string }) {
  const html = useMemo(() => renderMarkdown(text), [text]);
  // Safe: renderMarkdown escapes raw HTML and sanitizes with DOMPurify's strict allowlist.
  return <div class="md" data-testid={testId} dangerouslySetInnerHTML={{ __html: html }} />;
}

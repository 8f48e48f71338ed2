/** The custom rewrite: shows the selection and asks for an instruction (or another style). */

import { useEffect, useRef, useState } from 'preact/hooks';
import { i18n, label } from '../i18n';
import type { RewriteStyle } from '../messaging';
import { REWRITE_STYLES } from '../page/prompts';
import type { PendingRewrite } from './use-page-actions';

export function RewritePanel({
  pending,
  onSubmit,
  onCancel,
}: {
  pending: PendingRewrite;
  onSubmit(style: RewriteStyle, instruction: string): void;
  onCancel(): void;
}) {
  const [style, setStyle] = useState<RewriteStyle>(pending.style);
  const [instruction, setInstruction] = useState('');
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <form
      class="rewrite"
      data-testid="rewrite-panel"
      aria-label={i18n.t('rewrite.panelLabel')}
      onSubmit={(e) => {
        e.preventDefault();
        if (style === 'custom' && !instruction.trim()) return;
        onSubmit(style, instruction);
      }}
    >
      <blockquote class="quote" data-testid="rewrite-selection">
        {pending.text}
      </blockquote>
      <fieldset class="styles">
        <legend>{i18n.t('rewrite.how')}</legend>
        {REWRITE_STYLES.map((s) => (
          <label key={s.style} class="chip">
            <input
              type="radio"
              name="style"
              value={s.style}
              data-testid={`rewrite-style-${s.style}`}
              checked={style === s.style}
              onChange={() => setStyle(s.style)}
            />
            {label(s.labelKey)}
          </label>
        ))}
      </fieldset>
      {style === 'custom' && (
        <input
          ref={ref}
          class="input"
          data-testid="rewrite-instruction"
          aria-label={i18n.t('rewrite.instruction')}
          placeholder={i18n.t('rewrite.instructionPlaceholder')}
          value={instruction}
          onInput={(e) => setInstruction((e.target as HTMLInputElement).value)}
        />
      )}
      <div class="composer-row">
        <button type="button" class="btn" data-testid="rewrite-cancel" onClick={onCancel}>
          {i18n.t('common.cancel')}
        </button>
        <button
          type="submit"
          class="btn btn-primary"
          data-testid="rewrite-go"
          disabled={style === 'custom' && !instruction.trim()}
        >
          {i18n.t('rewrite.go')}
        </button>
      </div>
    </form>
  );
}

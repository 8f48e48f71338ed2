/**
 * One transcript entry. User turns from page actions show as a short label
 * (not the whole page); answers render through the safe markdown renderer,
 * carry the development banner whenever a `dev` enclave answered, are marked
 * "cut off" when the model hit the token limit (`finish_reason: length`), and offer
 * Copy, Regenerate (last answer), Retry (failed answer), Continue (last cut-off
 * answer) and Insert (rewrites).
 */

import { useState } from 'preact/hooks';
import { formatNumber, i18n, label, type PlainMessageKey } from '../i18n';
import type { PageInsertResult } from '../messaging';
import { describeTurn, REWRITE_STYLES } from '../page/prompts';
import { shownIndex, shownVersion, type UiMessage, versionCount } from './chat-state';
import { ErrorNotice } from './error-notice';
import { Icon } from './icons';
import { interleave, SLOT } from './interleave';
import { MarkdownView } from './markdown-view';
import { PlanNotes, PlanProgress } from './plan-notes';
import { insertFailure } from './use-page-actions';

const RETRYING_NOTES: Record<NonNullable<UiMessage['retrying']>, PlainMessageKey> = {
  truncated: 'answer.retryTruncated',
  'key-rotated': 'answer.retryKeyRotated',
  'enclave-down': 'answer.retryEnclaveDown',
  busy: 'answer.retryBusy',
};

function UserTurn({ content }: { content: string }) {
  const d = describeTurn(content);
  if (d.kind === 'summary') {
    return (
      <div class="turn-label">
        <Icon name="page" />{' '}
        {d.how !== undefined ? (
          // A saved prompt's own words, as the user wrote them, then the page.
          <>
            {d.how} <strong>{d.title || d.url}</strong>
          </>
        ) : (
          interleave(
            i18n.t('answer.summarize', { title: SLOT }),
            <strong>{d.title || d.url}</strong>,
          )
        )}
        <div class="muted">
          {i18n.t('answer.pageChars', d.chars, [formatNumber(d.chars)])}
          {d.cut &&
            ` ${i18n.t('answer.pageCut', {
              included: formatNumber(d.cut.included),
              total: formatNumber(d.cut.total),
            })}`}
        </div>
      </div>
    );
  }
  if (d.kind === 'ask') {
    return (
      <div class="turn-label">
        <Icon name="page" />{' '}
        {interleave(
          i18n.t('answer.askAbout', { title: SLOT }),
          <strong>{d.title || d.url}</strong>,
        )}
        <div class="plain" data-testid="ask-question-shown">
          {d.question}
        </div>
        <div class="muted">{i18n.t('answer.pageChars', d.chars, [formatNumber(d.chars)])}</div>
      </div>
    );
  }
  if (d.kind === 'explain' || d.kind === 'translate') {
    return (
      <div class="turn-label">
        <Icon name="pencil" />{' '}
        {d.kind === 'explain'
          ? i18n.t('answer.explainTurn')
          : i18n.t('answer.translateTurn', { language: d.language })}
        <blockquote class="quote">{d.text}</blockquote>
      </div>
    );
  }
  if (d.kind === 'rewrite') {
    return (
      <div class="turn-label">
        <Icon name="pencil" />{' '}
        {d.style === 'custom' ? (
          <>
            {i18n.t('answer.rewriteCustom')} <em>{d.how}</em>
          </>
        ) : (
          i18n.t('answer.rewriteStyle', { style: styleLabel(d.style) })
        )}
        <blockquote class="quote">{d.text}</blockquote>
      </div>
    );
  }
  if (d.kind === 'continue') return <div class="turn-label">{i18n.t('answer.continueTurn')}</div>;
  return <div class="plain">{d.text}</div>;
}

function styleLabel(style: string): string {
  const s = REWRITE_STYLES.find((r) => r.style === style);
  return s ? label(s.labelKey) : style;
}

export interface AnswerActions {
  onCopy(text: string): Promise<void>;
  onRegenerate?: () => void;
  onRetry(): void;
  onInsert?: (text: string) => Promise<PageInsertResult>;
  /** The last answer stopped at the token limit: ask the model to go on. */
  onContinue?: () => void;
  /** The conversation carries page text (see `hasPageText`). */
  hasPage: boolean;
  onNewChat(): void;
  /** Shows another version of this answer (Regenerate keeps them). */
  onShowVersion?: (index: number) => void;
}

/** ‹ 2/3 › between the versions of a regenerated answer. */
function VersionNav({ m, onShow }: { m: UiMessage; onShow?: (index: number) => void }) {
  const count = versionCount(m);
  if (count < 2) return null;
  const at = shownIndex(m);
  const locked = m.state === 'streaming' || !onShow;
  return (
    <span
      class="versions"
      data-testid="versions"
      role="group"
      aria-label={i18n.t('versions.group')}
    >
      <button
        type="button"
        class="btn-small"
        data-testid="version-prev"
        aria-label={i18n.t('versions.previous')}
        disabled={locked || at === 0}
        onClick={() => onShow?.(at - 1)}
      >
        ‹
      </button>
      <span data-testid="version-label" aria-live="polite">
        {i18n.t('versions.position', { at: formatNumber(at + 1), count: formatNumber(count) })}
      </span>
      <button
        type="button"
        class="btn-small"
        data-testid="version-next"
        aria-label={i18n.t('versions.next')}
        disabled={locked || at === count - 1}
        onClick={() => onShow?.(at + 1)}
      >
        ›
      </button>
    </span>
  );
}

function Answer({ m: outer, actions }: { m: UiMessage; actions: AnswerActions }) {
  const [copied, setCopied] = useState(false);
  const [inserted, setInserted] = useState<{ ok: boolean; text: string }>();
  // Everything below is about the version on screen; the nav switches it.
  const m = shownVersion(outer);
  const streaming = m.state === 'streaming';
  return (
    <div
      class="answer"
      data-testid="answer"
      data-state={m.state}
      data-version={shownIndex(outer) + 1}
      aria-busy={streaming ? 'true' : 'false'}
    >
      {m.development && (
        <p class="banner-dev" data-testid="dev-banner" role="note">
          {i18n.t('answer.devBanner')}
        </p>
      )}
      {m.override && (
        <p class="banner-dev" data-testid="override-banner" role="note">
          {i18n.t('answer.overrideBanner')}
        </p>
      )}
      {m.note && (
        <p class="notice notice-info" data-testid="page-cut-note" role="note">
          {m.note}
        </p>
      )}
      {streaming && m.progress && !m.content && <PlanProgress step={m.progress} />}
      {m.plan && m.state !== 'streaming' && <PlanNotes plan={m.plan} />}
      {m.content ? (
        <MarkdownView text={m.content} testId="answer-text" />
      ) : streaming && !m.progress ? (
        <p class="muted" data-testid="answer-waiting">
          {m.retrying ? label(RETRYING_NOTES[m.retrying]) : i18n.t('answer.waiting')}
        </p>
      ) : null}
      {m.state === 'stopped' && (
        <p class="muted" data-testid="stopped-note">
          {i18n.t('answer.stopped')}
        </p>
      )}
      {m.state === 'done' && m.finishReason === 'length' && (
        <p class="notice notice-info" data-testid="cut-off" role="note">
          {i18n.t('answer.cutOff')}
          {actions.onContinue && (
            <>
              {' '}
              <button
                type="button"
                class="btn-small btn-primary"
                data-testid="continue"
                onClick={actions.onContinue}
              >
                {i18n.t('answer.continue')}
              </button>
            </>
          )}
        </p>
      )}
      {m.state === 'error' && m.error && (
        <ErrorNotice
          error={m.error}
          onRetry={actions.onRetry}
          hasPage={actions.hasPage}
          onNewChat={actions.onNewChat}
        />
      )}
      {versionCount(outer) > 1 && m.state !== 'done' && m.state !== 'stopped' && (
        <div class="actions">
          <VersionNav m={outer} />
        </div>
      )}
      {(m.state === 'done' || m.state === 'stopped') && (
        <div class="actions">
          <VersionNav m={outer} {...(actions.onShowVersion && { onShow: actions.onShowVersion })} />
          <button
            type="button"
            class="btn-small"
            data-testid="copy"
            onClick={() => void actions.onCopy(m.content).then(() => setCopied(true))}
          >
            {copied ? i18n.t('answer.copied') : i18n.t('answer.copy')}
          </button>
          {actions.onRegenerate && (
            <button
              type="button"
              class="btn-small"
              data-testid="regenerate"
              onClick={actions.onRegenerate}
            >
              {i18n.t('answer.regenerate')}
            </button>
          )}
          {m.insert?.editable && actions.onInsert && (
            <button
              type="button"
              class="btn-small btn-primary"
              data-testid="insert"
              disabled={inserted?.ok === true}
              onClick={() =>
                void actions.onInsert?.(m.content).then((r) =>
                  setInserted((was) =>
                    // A refusal after a success (another panel, a repeat) keeps Insert disabled.
                    was?.ok && !r.ok
                      ? was
                      : { ok: r.ok, text: insertFailure(r) ?? i18n.t('answer.inserted') },
                  ),
                )
              }
            >
              {i18n.t('answer.insert')}
            </button>
          )}
          {inserted && (
            <span
              class="muted"
              data-testid="insert-status"
              data-ok={String(inserted.ok)}
              role="status"
            >
              {inserted.text}
            </span>
          )}
        </div>
      )}
    </div>
  );
}

export function MessageItem({ m, actions }: { m: UiMessage; actions: AnswerActions }) {
  return (
    <article
      class={`msg msg-${m.role}`}
      data-testid="message"
      data-role={m.role}
      aria-label={m.role === 'user' ? i18n.t('answer.you') : i18n.t('answer.sotto')}
    >
      {m.role === 'user' ? <UserTurn content={m.content} /> : <Answer m={m} actions={actions} />}
    </article>
  );
}

/**
 * What the planner did for a long page or chat (issue 15, protocol client/plan/): the step
 * a running request is on ("Reading part 3 of 7…"), and under a finished answer how it was
 * made to fit the model: read in N parts, the oldest turns folded into a summary, or left
 * out. Nothing is dropped without a note here. Words from the locale files (`plan.*`).
 */
import { formatNumber, i18n } from '../i18n';
import type { AnswerPlan, PlanStep } from '../messaging';

function stepText(step: PlanStep): string {
  const args = { index: formatNumber(step.index), count: formatNumber(step.count) };
  if (step.stage === 'part') return i18n.t('plan.part', args);
  if (step.stage === 'combine') return i18n.t('plan.combine', args);
  return i18n.t('plan.fold', args);
}

export function PlanProgress({ step }: { step: PlanStep }) {
  return (
    <p
      class="muted"
      data-testid="plan-progress"
      data-stage={step.stage}
      data-index={step.index}
      data-count={step.count}
      role="status"
    >
      {stepText(step)}
    </p>
  );
}

export function PlanNotes({ plan }: { plan: AnswerPlan }) {
  return (
    <>
      {plan.parts !== undefined && plan.parts > 1 && (
        <p class="notice notice-info" data-testid="built-from" data-parts={plan.parts} role="note">
          {i18n.t('plan.builtFrom', { parts: formatNumber(plan.parts) })}
        </p>
      )}
      {plan.folded !== undefined && plan.folded > 0 && (
        <p
          class="notice notice-info"
          data-testid="folded-note"
          data-turns={plan.folded}
          role="note"
        >
          {i18n.t('plan.folded', plan.folded, [formatNumber(plan.folded)])}
        </p>
      )}
      {plan.dropped !== undefined && plan.dropped > 0 && (
        <p
          class="notice notice-info"
          data-testid="dropped-note"
          data-turns={plan.dropped}
          role="note"
        >
          {i18n.t('plan.dropped', plan.dropped, [formatNumber(plan.dropped)])}
        </p>
      )}
    </>
  );
}

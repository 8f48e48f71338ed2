/**
 * What the planner did for a long page or chat (issue 15, protocol client/plan/): the step
 * a running request is on ("Reading part 3 of 7…"), and under a finished answer how it was
 * made to fit the model: read in N parts, the oldest turns folded into a summary, or left
 * out. Nothing is dropped without a note here.
 */
import type { AnswerPlan, PlanStep } from '../messaging';

function stepText(step: PlanStep): string {
  if (step.stage === 'part') return `Reading part ${step.index} of ${step.count}…`;
  if (step.stage === 'combine') return `Combining the parts: ${step.index} of ${step.count}…`;
  return `Folding the oldest turns into a summary: part ${step.index} of ${step.count}…`;
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
          Too long for the model at once: the answer was built from {plan.parts} parts, each
          summarized, then combined.
        </p>
      )}
      {plan.folded !== undefined && plan.folded > 0 && (
        <p
          class="notice notice-info"
          data-testid="folded-note"
          data-turns={plan.folded}
          role="note"
        >
          This conversation outgrew the model: the oldest {plan.folded} turns were folded into a
          short summary, sent in their place.
        </p>
      )}
      {plan.dropped !== undefined && plan.dropped > 0 && (
        <p
          class="notice notice-info"
          data-testid="dropped-note"
          data-turns={plan.dropped}
          role="note"
        >
          This message filled the model on its own: the {plan.dropped} turns before it were left out
          of this answer.
        </p>
      )}
    </>
  );
}

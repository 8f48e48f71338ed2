/**
 * How a context of `contextTokens` is shared out. The enclave refuses a prompt that does not
 * leave room in the context (413) and cuts an answer at the context's end, so every request
 * the planner makes keeps its answer's tokens free.
 */
import { ServiceError } from '../../errors';

/** Room a final answer keeps: the user's `max_tokens`, but never more than a quarter of the context. */
export function answerReserve(contextTokens: number, maxTokens: number): number {
  return Math.max(1, Math.min(maxTokens, Math.floor(contextTokens / 4)));
}

/**
 * Longest summary of one part (or of a fold): a sixteenth of the context, so a part keeps most
 * of the room and a combine step holds several summaries; between 24 and 512 tokens.
 */
export function partAnswerTokens(contextTokens: number): number {
  return Math.min(512, Math.max(24, Math.floor(contextTokens / 16)));
}

/** Whether `e` is the enclave's own 413: this prompt does not fit its context. */
export function isPromptTooLong(e: unknown): e is ServiceError {
  return e instanceof ServiceError && e.status === 413 && e.inner;
}

/** The token count a 413 states ("prompt is N tokens; the context holds M"), when it does. */
export function statedPromptTokens(e: ServiceError): number | undefined {
  const m = /prompt is (\d+) tokens/.exec(e.message);
  return m ? Number(m[1]) : undefined;
}

/** Tokens per request when the evidence does not say (v1 bundles): a small model's size. */
export const UNSTATED_CONTEXT_TOKENS = 2048;

/** The context size the verified evidence states (v2 binds it in REPORT_DATA). */
export function contextTokensOf(evidence: { model: object }): number {
  const n = 'contextSize' in evidence.model ? evidence.model.contextSize : undefined;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : UNSTATED_CONTEXT_TOKENS;
}

/**
 * Long chats (issue 15): when a conversation no longer fits the model's context with room
 * for the answer, its oldest turns are folded into a short summary, made by the enclave in a
 * request sealed like every other, and sent as one system message in their place. The fold
 * takes more than the minimum (the kept turns use at most {@link KEEP_SHARE} of the room), so
 * the next few turns fit without folding again, and a previous fold is extended rather than
 * redone. A transcript too long for one fold request is itself summarized in parts
 * (map-reduce.ts). The caller tells the user how many turns were folded.
 */
import type { ChatMessage } from '../chat';
import { answerReserve, partAnswerTokens } from './budget';
import { answerDocument, type PlanOptions } from './map-reduce';
import { foldedContext, foldTurn, transcriptOf } from './prompts';

/** The oldest `count` turns (system messages not counted) stand for `summary`. */
export interface FoldState {
  count: number;
  summary: string;
}

export type FittedConversation =
  /** Send `messages`; `fold` is new or reused when turns were folded (keep it for the next turn). */
  | { kind: 'fits'; messages: ChatMessage[]; fold?: FoldState }
  /** The newest user turn alone does not fit: answer it as a document (map-reduce.ts). */
  | { kind: 'last-turn-too-long'; system: ChatMessage[]; last: ChatMessage };

/** Share of the room for turns the kept turns may use after a fold. */
export const KEEP_SHARE = 0.6;

const FOLD_INSTRUCTION =
  'Summarize this conversation in a few sentences, so it can be continued without it.';

/**
 * Fits `messages` (system messages first or anywhere; the last one is the user's new turn)
 * into the context, folding the oldest turns when needed.
 * @throws as {@link answerDocument} for the fold requests.
 */
export async function fitConversation(
  messages: readonly ChatMessage[],
  options: PlanOptions & {
    previous?: FoldState;
    /** What a turn says in the fold's transcript; default its content. */
    describe?: (turn: ChatMessage) => string;
  },
): Promise<FittedConversation> {
  const { estimate, contextTokens, maxTokens, previous } = options;
  const system = messages.filter((m) => m.role === 'system');
  const turns = messages.filter((m) => m.role !== 'system');
  const last = turns[turns.length - 1];
  if (!last) return { kind: 'fits', messages: [...messages] };
  const room = contextTokens - answerReserve(contextTokens, maxTokens);
  if (estimate.promptTokens(messages) <= room) return { kind: 'fits', messages: [...messages] };

  const summaryTokens = partAnswerTokens(contextTokens);
  const foldRoom = room - estimate.promptTokens([...system, foldedContext('')]) - summaryTokens;
  const reusable = previous && previous.count < turns.length ? previous : undefined;
  if (reusable && estimate.promptTokens(turns.slice(reusable.count)) <= foldRoom) {
    // The turns since the last fold still fit beside its summary: no new request.
    return {
      kind: 'fits',
      messages: [...system, foldedContext(reusable.summary), ...turns.slice(reusable.count)],
      fold: reusable,
    };
  }
  // The kept turns start at a user turn; the newest user turn is always kept.
  let start = -1;
  for (let k = reusable?.count ?? 0; k < turns.length; k++) {
    if (turns[k]!.role !== 'user') continue;
    const kept = estimate.promptTokens(turns.slice(k));
    if (kept <= foldRoom * KEEP_SHARE || (k === turns.length - 1 && kept <= foldRoom)) {
      start = k;
      break;
    }
  }
  if (start < 0) return { kind: 'last-turn-too-long', system, last };
  if (start === 0) return { kind: 'fits', messages: [...messages] };

  const from = reusable?.count ?? 0;
  const transcript = [
    ...(reusable ? [`Summary of the turns before: ${reusable.summary}`] : []),
    transcriptOf(turns.slice(from, start), options.describe),
  ].join('\n\n');
  const done = await answerDocument(
    { title: '', url: '', text: transcript },
    FOLD_INSTRUCTION,
    foldTurn(transcript),
    { ...options, system: [], maxTokens: summaryTokens, onDelta: () => {} },
  );
  const fold: FoldState = { count: start, summary: done.text.trim() || '(no summary)' };
  return {
    kind: 'fits',
    messages: [...system, foldedContext(fold.summary), ...turns.slice(start)],
    fold,
  };
}

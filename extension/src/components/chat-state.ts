/**
 * The side panel's conversation state as a pure reducer: what is on screen,
 * which request is streaming, and which turns to send next. Follows the panel
 * port protocol of `messaging.ts` (channel 2): `chat/started` → `chat/delta`* →
 * `chat/done` | `chat/error`, with `chat/retrying` discarding the text so far.
 * The worker stores the user turn and the answer together, only when the
 * answer ends (complete or stopped), so a failed answer leaves nothing stored:
 * Retry resends the same turns; Regenerate replaces a stored answer.
 */

import { describeTurn } from '../page/prompts';
import type {
  ChatContext,
  ChatTurn,
  ConversationSummary,
  ErrorInfo,
  AnswerPlan,
  EvidenceSummary,
  PlanStep,
  RetryingReason,
  StoredMessage,
  WorkerToPanel,
} from '../messaging';

/** Where a rewrite answer can be inserted (the captured selection in the page). */
export interface InsertTarget {
  tabId: number;
  frameId: number;
  selectionId: string;
  editable: boolean;
}

export type AnswerState = 'streaming' | 'done' | 'stopped' | 'error';

export interface UiMessage {
  /** Stable key for rendering (the stored id when there is one). */
  key: string;
  role: 'user' | 'assistant';
  content: string;
  /** Assistant messages only; user messages are always `done`. */
  state: AnswerState;
  error?: ErrorInfo;
  /** True when a `dev` enclave answered: the UI shows the development banner. */
  development?: boolean;
  /** True when the expert measurement override, not a verified release, admitted the enclave. */
  override?: boolean;
  evidence?: StoredMessage['evidence'];
  finishReason?: string;
  insert?: InsertTarget;
  /** Shown above a summary answer when the page was cut. */
  note?: string;
  /** A long request's current step ("part 3 of 7"), while it streams. */
  progress?: PlanStep;
  /** How the answer was made to fit the model (read in parts, turns folded). */
  plan?: AnswerPlan;
  /** The worker is trying once more (`chat/retrying`), and why. */
  retrying?: RetryingReason;
  /** An errored answer came from a regenerate (the old answer is still stored): Retry regenerates too. */
  retryRegenerates?: boolean;
}

export interface ActiveRequest {
  requestId: string;
  regenerate: boolean;
  /** `chat/started` arrived (evidence verified, request being sealed). */
  started: boolean;
}

export interface ChatState {
  conversationId?: string;
  title?: string;
  messages: UiMessage[];
  active?: ActiveRequest;
  /** The page context of the conversation's first request (summary, rewrite). */
  context?: ChatContext;
  /** Evidence of the last request that started. */
  evidence?: EvidenceSummary;
}

export type ChatAction =
  | { type: 'reset' }
  | { type: 'load'; conversation: ConversationSummary; messages: StoredMessage[] }
  | {
      type: 'send';
      requestId: string;
      turn: ChatTurn;
      context?: ChatContext;
      insert?: InsertTarget;
      note?: string;
    }
  | { type: 'regenerate'; requestId: string }
  | { type: 'retry'; requestId: string }
  | { type: 'disconnected' }
  | { type: 'renamed'; title: string }
  | WorkerToPanel;

export const initialChat: ChatState = { messages: [] };

let counter = 0;
const localKey = () => `local-${++counter}`;

const placeholder = (extra: Partial<UiMessage> = {}): UiMessage => ({
  key: localKey(),
  role: 'assistant',
  content: '',
  state: 'streaming',
  ...extra,
});

function fromStored(m: StoredMessage): UiMessage | undefined {
  if (m.role === 'system') return undefined;
  return {
    key: m.id,
    role: m.role,
    content: m.content,
    state: m.role === 'assistant' && m.status === 'stopped' ? 'stopped' : 'done',
    ...(m.evidence
      ? {
          evidence: m.evidence,
          development: m.evidence.development,
          ...(m.evidence.override && { override: true }),
        }
      : {}),
    ...(m.finishReason ? { finishReason: m.finishReason } : {}),
    ...(m.plan ? { plan: m.plan } : {}),
  };
}

/** Replaces the last message (the streaming answer) with `patch` applied. */
function patchLast(state: ChatState, patch: (m: UiMessage) => UiMessage): ChatState {
  const last = state.messages[state.messages.length - 1];
  if (last?.role !== 'assistant') return state;
  return { ...state, messages: [...state.messages.slice(0, -1), patch(last)] };
}

/** The index of the last user message, or -1. */
function lastUserIndex(messages: UiMessage[]): number {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]?.role === 'user') return i;
  return -1;
}

/**
 * Whether the conversation carries page text (a summary or a rewrite), so a 413 can be
 * blamed on the page; otherwise the chat itself outgrew the model (issue 11, bug 4).
 */
export function hasPageText(state: ChatState): boolean {
  if (state.context) return true;
  return state.messages.some((m) => m.role === 'user' && describeTurn(m.content).kind !== 'plain');
}

/** The turns to send: every finished message up to and including the last user turn. */
export function turnsFor(state: ChatState): ChatTurn[] {
  const end = lastUserIndex(state.messages);
  return state.messages
    .slice(0, end + 1)
    .filter((m) => m.role === 'user' || m.state === 'done' || m.state === 'stopped')
    .map((m) => ({ role: m.role, content: m.content }));
}

/** Whether the last answer may be regenerated (it is stored and nothing is running). */
export function canRegenerate(state: ChatState): boolean {
  const last = state.messages[state.messages.length - 1];
  return (
    !state.active &&
    !!state.conversationId &&
    last?.role === 'assistant' &&
    (last.state === 'done' || last.state === 'stopped')
  );
}

export function chatReducer(state: ChatState, action: ChatAction): ChatState {
  switch (action.type) {
    case 'reset':
      return initialChat;
    case 'load': {
      const messages = action.messages.map(fromStored).filter((m): m is UiMessage => !!m);
      return { conversationId: action.conversation.id, title: action.conversation.title, messages };
    }
    case 'renamed':
      return { ...state, title: action.title };
    case 'send': {
      if (state.active) return state;
      const user: UiMessage = {
        key: localKey(),
        role: 'user',
        content: action.turn.content,
        state: 'done',
      };
      const answer = placeholder({
        ...(action.insert ? { insert: action.insert } : {}),
        ...(action.note ? { note: action.note } : {}),
      });
      return {
        ...state,
        ...(action.context && !state.context ? { context: action.context } : {}),
        messages: [...state.messages, user, answer],
        active: { requestId: action.requestId, regenerate: false, started: false },
      };
    }
    case 'regenerate': {
      if (!canRegenerate(state)) return state;
      const old = state.messages[state.messages.length - 1]!;
      const answer = placeholder({
        ...(old.insert ? { insert: old.insert } : {}),
        ...(old.note ? { note: old.note } : {}),
      });
      return {
        ...state,
        messages: [...state.messages.slice(0, -1), answer],
        active: { requestId: action.requestId, regenerate: true, started: false },
      };
    }
    case 'retry': {
      const last = state.messages[state.messages.length - 1];
      if (state.active || last?.role !== 'assistant' || last.state !== 'error') return state;
      const answer = placeholder({
        ...(last.insert ? { insert: last.insert } : {}),
        ...(last.note ? { note: last.note } : {}),
      });
      // A failed regenerate left the old answer stored: the retry regenerates too.
      const regenerate = last.retryRegenerates === true;
      return {
        ...state,
        messages: [...state.messages.slice(0, -1), answer],
        active: { requestId: action.requestId, regenerate, started: false },
      };
    }
    case 'disconnected': {
      if (!state.active) return state;
      return failActive(state, {
        code: 'internal',
        message: 'The connection to the extension was lost. Try again.',
        messageKey: 'errors.connectionLost',
        retryable: true,
      });
    }
    case 'chat/started':
      if (action.requestId !== state.active?.requestId) return state;
      return {
        ...patchLast(state, (m) => ({
          ...m,
          development: action.evidence.development,
          ...(action.evidence.override && { override: true }),
        })),
        conversationId: action.conversationId,
        evidence: action.evidence,
        active: { ...state.active, started: true },
      };
    case 'chat/delta':
      if (action.requestId !== state.active?.requestId) return state;
      return patchLast(state, (m) => ({ ...m, content: m.content + action.text }));
    case 'chat/progress':
      if (action.requestId !== state.active?.requestId) return state;
      return patchLast(state, (m) => ({ ...m, progress: action.step }));
    case 'chat/retrying':
      if (action.requestId !== state.active?.requestId) return state;
      return patchLast(state, (m) => ({ ...m, content: '', retrying: action.reason }));
    case 'chat/done': {
      if (action.requestId !== state.active?.requestId) return state;
      const stopped = action.finishReason === 'user-stop';
      const next = patchLast(state, ({ progress: _p, ...m }) => ({
        ...m,
        ...(action.messageId ? { key: action.messageId } : {}),
        ...(action.plan ? { plan: action.plan } : {}),
        state: stopped ? 'stopped' : 'done',
        finishReason: action.finishReason,
        ...(state.evidence
          ? {
              evidence: {
                platform: state.evidence.platform,
                development: state.evidence.development,
                model: state.evidence.model,
                keyId: state.evidence.keyId,
                ...(state.evidence.override && { override: true }),
              },
            }
          : {}),
      }));
      const { active: _done, ...rest } = next;
      return { ...rest, conversationId: action.conversationId };
    }
    case 'chat/error': {
      if (action.requestId !== state.active?.requestId) return state;
      const { type: _t, requestId: _r, ...info } = action;
      return failActive(state, info);
    }
    default:
      return state;
  }
}

function failActive(state: ChatState, error: ErrorInfo): ChatState {
  const regenerate = state.active?.regenerate ?? false;
  const next = patchLast(state, ({ progress: _p, ...m }) => ({
    ...m,
    state: 'error',
    error,
    retryRegenerates: regenerate,
  }));
  const { active: _failed, ...rest } = next;
  return rest;
}

/**
 * The side panel's conversation state as a pure reducer: what is on screen,
 * which request is streaming, and which turns to send next. Follows the panel
 * port protocol of `messaging.ts` (channel 2): `chat/started` → `chat/delta`* →
 * `chat/done` | `chat/error`, with `chat/retrying` discarding the text so far.
 * The worker stores the user turn and the answer together, only when the
 * answer ends (complete or stopped), so a failed answer leaves nothing stored:
 * Retry resends the same turns. Regenerate keeps the answer it replaces as an
 * earlier version (stored too: consecutive stored answers are versions of one
 * answer); the panel shows one version at a time (‹ 2/3 ›), and what is sent
 * next is the version shown.
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
  /** Earlier versions of this answer (Regenerate), oldest first; this message is the newest. */
  versions?: UiMessage[];
  /** Which version is on screen, an index into `[...versions, this]`; absent: the newest. */
  shown?: number;
}

/** How many versions an answer has (1 when it was never regenerated). */
export function versionCount(m: UiMessage): number {
  return (m.versions?.length ?? 0) + 1;
}

/** The index of the version on screen. A running or failed answer always shows itself. */
export function shownIndex(m: UiMessage): number {
  const last = versionCount(m) - 1;
  if (m.state === 'streaming' || m.state === 'error' || m.shown === undefined) return last;
  return Math.max(0, Math.min(m.shown, last));
}

/** The version on screen. */
export function shownVersion(m: UiMessage): UiMessage {
  const i = shownIndex(m);
  return i === versionCount(m) - 1 ? m : m.versions![i]!;
}

/** One version as kept in `versions`: without its own version list. */
function asVersion(m: UiMessage): UiMessage {
  const { versions: _v, shown: _s, ...rest } = m;
  return rest;
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
  /**
   * A temporary conversation: sent with `temporary: true`, so the worker never stores it;
   * it lives only in this state, which a lock or closing the panel wipes.
   */
  temporary?: boolean;
  /** This conversation's system prompt, sent first with every request (stored sealed with it). */
  systemPrompt?: string;
}

export type ChatAction =
  /** An empty conversation; `temporary` says which kind (absent: an ordinary one). */
  | { type: 'reset'; temporary?: boolean }
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
  /** Shows version `index` of the answer with key `key`. */
  | { type: 'show-version'; key: string; index: number }
  /** Sets (or, empty, clears) the conversation's system prompt. */
  | { type: 'system-prompt'; text: string }
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

/** Stored messages in order, consecutive answers folded into one with versions. */
function foldVersions(stored: StoredMessage[]): UiMessage[] {
  const out: UiMessage[] = [];
  for (const m of stored) {
    const ui = fromStored(m);
    if (!ui) continue;
    const prev = out[out.length - 1];
    if (ui.role === 'assistant' && prev?.role === 'assistant') {
      out[out.length - 1] = { ...ui, versions: [...(prev.versions ?? []), asVersion(prev)] };
    } else out.push(ui);
  }
  return out;
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

/**
 * The turns to send: the system prompt, if any, then every finished message up to and
 * including the last user turn.
 */
export function turnsFor(state: ChatState): ChatTurn[] {
  const end = lastUserIndex(state.messages);
  const system: ChatTurn[] = state.systemPrompt
    ? [{ role: 'system', content: state.systemPrompt }]
    : [];
  return system.concat(
    state.messages
      .slice(0, end + 1)
      .map((m) => (m.role === 'user' ? m : shownVersion(m)))
      .filter((m) => m.role === 'user' || m.state === 'done' || m.state === 'stopped')
      .map((m) => ({ role: m.role, content: m.content })),
  );
}

/** Longest system prompt a conversation keeps. */
export const MAX_SYSTEM_PROMPT = 4000;

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
      return action.temporary ? { messages: [], temporary: true } : initialChat;
    case 'load': {
      // Opening a stored conversation leaves temporary mode: it is stored already.
      const messages = foldVersions(action.messages);
      const { systemPrompt } = action.conversation;
      return {
        conversationId: action.conversation.id,
        title: action.conversation.title,
        messages,
        ...(systemPrompt ? { systemPrompt } : {}),
      };
    }
    case 'renamed':
      return { ...state, title: action.title };
    case 'system-prompt': {
      const text = action.text.trim().slice(0, MAX_SYSTEM_PROMPT);
      const { systemPrompt: _old, ...rest } = state;
      return text ? { ...rest, systemPrompt: text } : rest;
    }
    case 'show-version': {
      const at = state.messages.findIndex((m) => m.key === action.key);
      const m = state.messages[at];
      if (!m || m.role !== 'assistant' || m.state === 'streaming') return state;
      const index = Math.max(0, Math.min(Math.trunc(action.index), versionCount(m) - 1));
      const messages = [...state.messages];
      messages[at] = { ...m, shown: index };
      return { ...state, messages };
    }
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
        versions: [...(old.versions ?? []), asVersion(old)],
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
        ...(last.versions ? { versions: last.versions } : {}),
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

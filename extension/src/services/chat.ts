/**
 * One streamed chat request, as the service worker runs it for a side panel:
 * verified key → seal (chunked OHTTP, protocol client/chat.ts) → post to the relay →
 * open each sealed chunk as it arrives and forward its text at once.
 *
 * Retries (protocol client/stream-chat.ts, shared with the CLI), each with fresh
 * evidence through {@link EvidenceService}: once when the relay says the key rotated
 * away, once when the enclave holding the key is down (`503 enclave_unavailable` or
 * the connection failing: another enclave, or the restarted one, has a new key),
 * once when the answer is cut short, and a few times after Retry-After when busy.
 * The panel is told (`chat/retrying`) and discards the text so far.
 *
 * Length (issue 15, protocol client/plan/): the request is planned by the context size the
 * verified evidence states. A summary of a page too long for the model is read in parts
 * (map-reduce), with `chat/progress` per part; a chat that outgrew the context has its
 * oldest turns folded into a short summary (a sealed request like any other, kept in memory
 * per conversation so the next turns reuse it); the answer says either (`plan`). Only the
 * final request's text streams to the panel. Stop aborts whichever request is running.
 *
 * What is stored (sealed, history.ts): on success, the new user turn and the whole
 * answer (`status: 'complete'`); for Regenerate, only the new answer, kept after the
 * earlier versions. On Stop, the user turn and the text that arrived,
 * marked `status: 'stopped'` — the user chose to keep it and the UI labels it (nothing,
 * if no text had arrived). On any
 * failure, and for a temporary conversation (`temporary: true`) ever, NOTHING is stored: no partial answer can ever pass as complete, and the
 * panel's Retry sends the turn again.
 */
import {
  answerDocument,
  type ChatMessage,
  type ChatRequest,
  type Complete,
  contextTokensOf,
  type FetchLike,
  type FoldState,
  fitConversation,
  type PlanOptions,
  type PlanResult,
  type RetryReason,
  streamChat,
  TokenEstimate,
  VerificationError,
} from '@sotto/protocol';
import type {
  AnswerPlan,
  ChatTurn,
  PanelToWorker,
  RetryingReason,
  Settings,
  WorkerToPanel,
} from '../messaging';
import { describeTurn, pageOfTurn } from '../page/prompts';
import type { Attested } from './evidence';
import type { EvidenceService } from './evidence';
import { ServiceFailure, toErrorInfo } from './failure';
import { type ConversationPlain, type HistoryService, newId, titleFrom } from './history';
import type { VaultService } from './vault';
import type { MessageKey } from '../i18n';

export type ChatStart = Extract<PanelToWorker, { type: 'chat/start' }>;
export type Send = (message: WorkerToPanel) => void;

export const MAX_TURNS = 200;

const RETRYING: Record<RetryReason, RetryingReason> = {
  'stale-key': 'key-rotated',
  'enclave-down': 'enclave-down',
  truncated: 'truncated',
  busy: 'busy',
};
export const MAX_PROMPT_CHARS = 512 * 1024;

/** The request about a message too long for the model even alone (read in parts). */
const LONG_MESSAGE_INSTRUCTION = 'Reply to the message below.';

export interface ChatOptions {
  evidence: EvidenceService;
  history: HistoryService;
  vault: VaultService;
  settings: () => Promise<Settings>;
  fetch?: FetchLike;
}

/** `key`: the locale key the pages show instead of `message` (when the user can act on it). */
function invalid(message: string, key?: MessageKey): ServiceFailure {
  return new ServiceFailure({
    code: 'invalid',
    message,
    retryable: false,
    ...(key ? { messageKey: key } : {}),
  });
}

/** Checks a `chat/start` from a panel. @throws {ServiceFailure} `invalid`. */
export function checkChatStart(m: ChatStart): void {
  if (typeof m.requestId !== 'string' || m.requestId.length === 0 || m.requestId.length > 100) {
    throw invalid('A chat request needs a request id.');
  }
  if (!Array.isArray(m.messages) || m.messages.length === 0 || m.messages.length > MAX_TURNS) {
    throw invalid('A chat request needs at least one message.');
  }
  let chars = 0;
  for (const t of m.messages) {
    if (!t || !['system', 'user', 'assistant'].includes(t.role) || typeof t.content !== 'string') {
      throw invalid('A chat message needs a role and text.');
    }
    chars += t.content.length;
  }
  if (chars > MAX_PROMPT_CHARS) throw invalid('The prompt is too long.', 'chatRequest.tooLong');
  if (m.messages[m.messages.length - 1]!.role !== 'user') {
    throw invalid('The last message must be the user’s.');
  }
  if (m.conversationId !== undefined && typeof m.conversationId !== 'string') {
    throw invalid('The conversation id must be text.');
  }
}

/** The text being rewritten, not the instructions wrapped around it. */
function rewrittenText(content: string): string {
  const turn = describeTurn(content);
  return turn.kind === 'rewrite' ? turn.text : content;
}

function conversationFor(m: ChatStart, lastUser: ChatTurn): ConversationPlain {
  const c = m.context;
  const kind = c?.kind ?? 'chat';
  const turn = describeTurn(lastUser.content);
  const title =
    kind === 'summarize' && turn.kind === 'ask'
      ? `Question: ${titleFrom(turn.question)}`
      : kind === 'summarize'
        ? `Summary: ${titleFrom(c?.pageTitle ?? c?.pageUrl ?? 'page')}`
        : kind === 'rewrite' && (turn.kind === 'explain' || turn.kind === 'translate')
          ? `${turn.kind === 'explain' ? 'Explain' : 'Translate'}: ${titleFrom(turn.text)}`
          : kind === 'rewrite'
            ? `Rewrite: ${titleFrom(rewrittenText(lastUser.content))}`
            : titleFrom(lastUser.content);
  return {
    title,
    kind,
    ...(c?.pageUrl !== undefined ? { pageUrl: String(c.pageUrl) } : {}),
    ...(c?.pageTitle !== undefined ? { pageTitle: String(c.pageTitle) } : {}),
    ...(c?.truncated !== undefined ? { truncated: Boolean(c.truncated) } : {}),
  };
}

export class ChatService {
  readonly #opts: ChatOptions;
  readonly #running = new Map<string, AbortController>();
  /**
   * A random KV-cache id per conversation, kept in memory only (not the stored id): the enclave
   * reuses a cached prefix only within one id, so no other user's timing reveals this one's.
   */
  readonly #cacheIds = new Map<string, string>();
  /** Per model (SHA-256): what the enclave's token counts taught about its tokenizer. */
  readonly #estimates = new Map<string, TokenEstimate>();
  /** Per conversation, in memory: the oldest turns folded so far and their summary. */
  readonly #folds = new Map<string, FoldState>();

  constructor(options: ChatOptions) {
    this.#opts = options;
  }

  /** Stops a running request (the answer so far is stored as `stopped`). */
  stop(requestId: string): void {
    this.#running.get(requestId)?.abort();
  }

  /** Ids of requests still running. */
  get running(): string[] {
    return [...this.#running.keys()];
  }

  /**
   * Runs one request to its end, telling the panel everything through `send`.
   * Never throws: every failure becomes a `chat/error`.
   */
  async run(m: ChatStart, send: Send): Promise<void> {
    const requestId = typeof m?.requestId === 'string' ? m.requestId : '';
    if (this.#running.has(requestId)) {
      send({
        type: 'chat/error',
        requestId,
        ...toErrorInfo(invalid('That request is already running.', 'chatRequest.running')),
      });
      return;
    }
    const controller = new AbortController();
    this.#running.set(requestId, controller);
    try {
      await this.#run(m, send, controller.signal);
    } catch (e) {
      send({ type: 'chat/error', requestId, ...toErrorInfo(e) });
    } finally {
      this.#running.delete(requestId);
    }
  }

  async #run(m: ChatStart, send: Send, signal: AbortSignal): Promise<void> {
    checkChatStart(m);
    const { requestId } = m;
    await this.#opts.vault.key(); // locked or no vault: stop here, before anything is sent
    const settings = await this.#opts.settings();
    let attested = await this.#opts.evidence.current().catch((e) => {
      if (e instanceof VerificationError) this.#opts.evidence.invalidate();
      throw e;
    });
    const conversationId = m.conversationId ?? newId();
    send({ type: 'chat/started', requestId, conversationId, evidence: attested.summary });

    let cacheId = this.#cacheIds.get(conversationId);
    if (cacheId === undefined) {
      cacheId = newId();
      this.#cacheIds.set(conversationId, cacheId);
    }
    const maxTokens = m.settings?.maxTokens ?? settings.generation.maxTokens;
    const temperature = m.settings?.temperature ?? settings.generation.temperature;
    let text = '';
    let finishReason = 'stop';
    let plan: AnswerPlan | undefined;
    /** One sealed request; only the final one streams (`onDelta`) and shows its retries. */
    const complete: Complete = async (request, onDelta) => {
      let answer = '';
      let finish = 'stop';
      let promptTokens: number | undefined;
      // Every request of this conversation under its cache id (parts too): the enclave may
      // reuse a prefix within the conversation, never across conversations.
      const events = streamChat(
        attested.relayUrl,
        { ...request, cache_id: cacheId },
        {
          policy: {},
          key: attested,
          attest: () => this.#opts.evidence.current({ fresh: true }),
          signal,
          ...(this.#opts.fetch ? { fetch: this.#opts.fetch } : {}),
        },
      );
      for await (const event of events) {
        if (signal.aborted) break;
        if (event.type === 'delta') {
          answer += event.text;
          onDelta?.(event.text);
        } else if (event.type === 'done') {
          finish = event.finishReason;
          promptTokens = event.usage?.prompt_tokens;
        } else if (event.type === 'retry') {
          answer = '';
          if (onDelta) {
            text = '';
            send({ type: 'chat/retrying', requestId, reason: RETRYING[event.reason] });
          }
        } else if (event.key !== attested) {
          // Fresh evidence for the retry: the badge shows the enclave that answers.
          attested = event.key;
          send({ type: 'chat/started', requestId, conversationId, evidence: attested.summary });
        }
      }
      signal.throwIfAborted();
      return {
        text: answer,
        finishReason: finish,
        ...(promptTokens === undefined ? {} : { promptTokens }),
      };
    };
    const options: PlanOptions = {
      contextTokens: contextTokensOf(attested.evidence),
      maxTokens,
      temperature,
      estimate: this.#estimateFor(attested),
      complete,
      signal,
      onProgress: (p) =>
        send({
          type: 'chat/progress',
          requestId,
          step: { stage: p.stage, index: p.index, count: p.count },
        }),
      onDelta: (t) => {
        text += t;
        send({ type: 'chat/delta', requestId, text: t });
      },
    };
    try {
      const result = await this.#answer(m.messages, conversationId, options, send, requestId);
      finishReason = result.finishReason;
      plan = result.plan;
      if (signal.aborted) finishReason = 'user-stop';
    } catch (e) {
      if (!signal.aborted) throw e;
      finishReason = 'user-stop';
    }

    const stopped = finishReason === 'user-stop';
    const lastUser = m.messages[m.messages.length - 1]!;
    let messageId = '';
    if ((stopped && text === '') || m.temporary === true) {
      // Stopped before any text: there is nothing to keep. Temporary: nothing is ever kept.
      send({ type: 'chat/done', requestId, conversationId, messageId, finishReason });
      return;
    }
    try {
      // A regenerated answer is stored beside the one it replaces: both are versions (chat-state.ts).
      const first = m.messages[0]!;
      const ids = await this.#opts.history.append({
        conversationId,
        conversation: conversationFor(m, lastUser),
        // The panel sends the conversation's system prompt first; it is kept with it.
        systemPrompt: first.role === 'system' ? first.content : null,
        messages: [
          ...(m.regenerate
            ? []
            : [
                {
                  conversationId,
                  role: 'user' as const,
                  content: lastUser.content,
                  status: 'complete' as const,
                },
              ]),
          {
            conversationId,
            role: 'assistant',
            content: text,
            status: stopped ? 'stopped' : 'complete',
            finishReason,
            ...(plan ? { plan } : {}),
            evidence: {
              platform: attested.summary.platform,
              development: attested.summary.development,
              model: attested.summary.model,
              keyId: attested.summary.keyId,
              ...(attested.summary.override && { override: true }),
            },
          },
        ],
      });
      messageId = ids[ids.length - 1] ?? '';
    } catch {
      // Locked while answering: the answer is shown but not stored (messageId '').
    }
    send({
      type: 'chat/done',
      requestId,
      conversationId,
      messageId,
      finishReason,
      ...(plan ? { plan } : {}),
    });
  }

  #estimateFor(attested: Attested): TokenEstimate {
    const model = attested.summary.model.sha256;
    let estimate = this.#estimates.get(model);
    if (!estimate) {
      estimate = new TokenEstimate();
      this.#estimates.set(model, estimate);
    }
    return estimate;
  }

  /**
   * Plans and sends the turns: a page summary too long for the model read in parts; a
   * chat past the context with its oldest turns folded; a single message too long even
   * alone read in parts as well. Only the final request streams.
   */
  async #answer(
    turns: readonly ChatTurn[],
    conversationId: string,
    options: PlanOptions,
    send: Send,
    requestId: string,
  ): Promise<{ finishReason: string; plan?: AnswerPlan }> {
    const messages: ChatMessage[] = turns.map((t) => ({ role: t.role, content: t.content }));
    const last = messages[messages.length - 1]!;
    const page = messages.length === 1 ? pageOfTurn(last.content) : undefined;
    const partsOf = (r: PlanResult) => (r.parts > 1 ? { plan: { parts: r.parts } } : {});
    if (page) {
      const r = await answerDocument(page.doc, page.instruction, last, options);
      return { finishReason: r.finishReason, ...partsOf(r) };
    }
    const previous = this.#folds.get(conversationId);
    const fitted = await fitConversation(messages, {
      ...options,
      ...(previous ? { previous } : {}),
      // A page turn is folded as what it asked: its answer, folded with it, summarized the page.
      describe: (t) => {
        const p = t.role === 'user' ? pageOfTurn(t.content) : undefined;
        return p
          ? `(asked for a summary of the page "${p.doc.title}" ${p.doc.url}; the answer follows)`
          : t.content;
      },
      onProgress: (p) =>
        send({
          type: 'chat/progress',
          requestId,
          step: { stage: 'fold', index: p.index, count: p.count },
        }),
    });
    if (fitted.kind === 'last-turn-too-long') {
      const doc = { title: '', url: '', text: fitted.last.content };
      const r = await answerDocument(doc, LONG_MESSAGE_INSTRUCTION, fitted.last, {
        ...options,
        system: fitted.system,
      });
      // Nothing before it fits beside it: the earlier turns are left out, and the answer says so.
      const dropped = messages.length - fitted.system.length - 1;
      const plan: AnswerPlan = {
        ...(r.parts > 1 ? { parts: r.parts } : {}),
        ...(dropped > 0 ? { dropped } : {}),
      };
      return { finishReason: r.finishReason, ...(plan.parts || plan.dropped ? { plan } : {}) };
    }
    if (fitted.fold) this.#folds.set(conversationId, fitted.fold);
    const request: ChatRequest = {
      messages: fitted.messages,
      max_tokens: options.maxTokens,
      ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
    };
    const done = await options.complete(request, options.onDelta);
    return {
      finishReason: done.finishReason,
      ...(fitted.fold ? { plan: { folded: fitted.fold.count } } : {}),
    };
  }
}

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
 * What is stored (sealed, history.ts): on success, the new user turn and the whole
 * answer (`status: 'complete'`); for Regenerate, only the new answer, kept after the
 * earlier versions. On Stop, the user turn and the text that arrived,
 * marked `status: 'stopped'` — the user chose to keep it and the UI labels it (nothing,
 * if no text had arrived). On any
 * failure, and for a temporary conversation (`temporary: true`) ever, NOTHING is stored: no partial answer can ever pass as complete, and the
 * panel's Retry sends the turn again.
 */
import {
  type ChatRequest,
  type FetchLike,
  type RetryReason,
  streamChat,
  VerificationError,
} from '@sotto/protocol';
import type {
  ChatTurn,
  PanelToWorker,
  RetryingReason,
  Settings,
  WorkerToPanel,
} from '../messaging';
import { describeTurn } from '../page/prompts';
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
  const title =
    kind === 'summarize'
      ? `Summary: ${titleFrom(c?.pageTitle ?? c?.pageUrl ?? 'page')}`
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
    const body: ChatRequest = {
      cache_id: cacheId,
      messages: m.messages.map((t) => ({ role: t.role, content: t.content })),
      max_tokens: m.settings?.maxTokens ?? settings.generation.maxTokens,
      temperature: m.settings?.temperature ?? settings.generation.temperature,
    };
    let text = '';
    let finishReason = 'stop';
    const events = streamChat(attested.relayUrl, body, {
      policy: {},
      key: attested,
      attest: () => this.#opts.evidence.current({ fresh: true }),
      signal,
      ...(this.#opts.fetch ? { fetch: this.#opts.fetch } : {}),
    });
    try {
      for await (const event of events) {
        if (signal.aborted) break;
        if (event.type === 'delta') {
          text += event.text;
          send({ type: 'chat/delta', requestId, text: event.text });
        } else if (event.type === 'done') {
          finishReason = event.finishReason;
        } else if (event.type === 'retry') {
          text = '';
          send({ type: 'chat/retrying', requestId, reason: RETRYING[event.reason] });
        } else if (event.key !== attested) {
          // Fresh evidence for the retry: the badge shows the enclave that answers.
          attested = event.key;
          send({ type: 'chat/started', requestId, conversationId, evidence: attested.summary });
        }
      }
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
    send({ type: 'chat/done', requestId, conversationId, messageId, finishReason });
  }
}

/**
 * The chat hook: the conversation reducer (`chat-state.ts`) driven by the
 * panel port. Sends `chat/start` / `chat/stop`, feeds every `chat/*` reply
 * into the reducer, and loads stored conversations (`history/get`).
 */

import { useCallback, useEffect, useReducer, useRef } from 'preact/hooks';
import { type ChatContext, type ChatTurn, MessageError, sendMessage } from '../messaging';
import {
  type ChatState,
  chatReducer,
  type InsertTarget,
  initialChat,
  turnsFor,
} from './chat-state';
import type { PanelConnection } from './panel-port';

export interface Chat {
  state: ChatState;
  send(
    turn: ChatTurn,
    extra?: { context?: ChatContext; insert?: InsertTarget; note?: string },
  ): void;
  stop(): void;
  regenerate(): void;
  retry(): void;
  /** An empty conversation of the same kind (temporary stays temporary). */
  newChat(): void;
  /** Starts an empty temporary (or, `false`, ordinary) conversation. */
  setTemporary(on: boolean): void;
  /** Forgets the conversation entirely, temporary mode included (lock, erase). */
  wipe(): void;
  open(conversationId: string): Promise<void>;
  /** Opens a stored conversation only if the panel still shows an empty, ordinary chat. */
  restore(conversationId: string): Promise<void>;
  renamed(title: string): void;
  /** Shows version `index` of the answer with key `key`. */
  showVersion(key: string, index: number): void;
  /** Sets this conversation's system prompt (empty: none); stored with its next answer. */
  setSystemPrompt(text: string): void;
}

const newRequestId = () => crypto.randomUUID();

export function useChat(conn: PanelConnection | undefined): Chat {
  const [state, dispatch] = useReducer(chatReducer, initialChat);
  // The latest state, for callbacks that run after a dispatch.
  const ref = useRef(state);
  ref.current = state;

  useEffect(() => {
    if (!conn) return undefined;
    const off = conn.subscribe((m) => {
      if (m.type.startsWith('chat/')) dispatch(m);
    });
    const offDrop = conn.onDisconnect(() => dispatch({ type: 'disconnected' }));
    return () => {
      off();
      offDrop();
    };
  }, [conn]);

  const start = useCallback(
    (requestId: string, messages: ChatTurn[], regenerate: boolean) => {
      const s = ref.current;
      conn?.post({
        type: 'chat/start',
        requestId,
        messages,
        ...(s.conversationId ? { conversationId: s.conversationId } : {}),
        ...(s.context ? { context: s.context } : {}),
        ...(regenerate ? { regenerate: true } : {}),
        ...(s.temporary ? { temporary: true } : {}),
      });
    },
    [conn],
  );

  const send: Chat['send'] = useCallback(
    (turn, extra = {}) => {
      const before = ref.current;
      if (before.active || !conn) return;
      const requestId = newRequestId();
      const action = { type: 'send' as const, requestId, turn, ...extra };
      const after = chatReducer(before, action);
      dispatch(action);
      ref.current = after;
      start(requestId, turnsFor(after), false);
    },
    [conn, start],
  );

  const regenerate = useCallback(() => {
    const requestId = newRequestId();
    const after = chatReducer(ref.current, { type: 'regenerate', requestId });
    if (after === ref.current) return;
    dispatch({ type: 'regenerate', requestId });
    ref.current = after;
    start(requestId, turnsFor(after), true);
  }, [start]);

  const retry = useCallback(() => {
    const requestId = newRequestId();
    const after = chatReducer(ref.current, { type: 'retry', requestId });
    if (after === ref.current) return;
    dispatch({ type: 'retry', requestId });
    ref.current = after;
    start(requestId, turnsFor(after), after.active?.regenerate ?? false);
  }, [start]);

  const stop = useCallback(() => {
    const id = ref.current.active?.requestId;
    if (id) conn?.post({ type: 'chat/stop', requestId: id });
  }, [conn]);

  const reset = useCallback(
    (temporary: boolean) => {
      stop();
      const action = { type: 'reset' as const, temporary };
      dispatch(action);
      ref.current = chatReducer(ref.current, action);
    },
    [stop],
  );
  const newChat = useCallback(() => reset(ref.current.temporary === true), [reset]);
  const setTemporary = useCallback((on: boolean) => reset(on), [reset]);
  const wipe = useCallback(() => reset(false), [reset]);

  const open = useCallback(
    async (conversationId: string) => {
      stop();
      try {
        const { conversation, messages } = await sendMessage('history/get', { conversationId });
        dispatch({ type: 'load', conversation, messages });
      } catch (e) {
        if (!(e instanceof MessageError)) throw e;
        dispatch({ type: 'reset' });
      }
    },
    [stop],
  );

  const restore = useCallback(async (conversationId: string) => {
    const idle = (s: ChatState) => s.messages.length === 0 && !s.active && !s.temporary;
    if (!idle(ref.current)) return;
    try {
      const { conversation, messages } = await sendMessage('history/get', { conversationId });
      // The person may have started something meanwhile (a page action, a prompt): keep it.
      if (!idle(ref.current)) return;
      const action = { type: 'load' as const, conversation, messages };
      ref.current = chatReducer(ref.current, action);
      dispatch(action);
    } catch (e) {
      if (!(e instanceof MessageError)) throw e;
    }
  }, []);

  const renamed = useCallback((title: string) => dispatch({ type: 'renamed', title }), []);

  const showVersion = useCallback((key: string, index: number) => {
    const action = { type: 'show-version' as const, key, index };
    ref.current = chatReducer(ref.current, action);
    dispatch(action);
  }, []);

  const setSystemPrompt = useCallback((text: string) => {
    const action = { type: 'system-prompt' as const, text };
    ref.current = chatReducer(ref.current, action);
    dispatch(action);
  }, []);

  return {
    state,
    setSystemPrompt,
    send,
    stop,
    regenerate,
    retry,
    newChat,
    setTemporary,
    wipe,
    open,
    restore,
    renamed,
    showVersion,
  };
}

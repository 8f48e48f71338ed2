/** The panel's conversation reducer against the channel-2 message sequences of messaging.ts. */
import { describe, expect, it, vi } from 'vitest';

// Error titles come from the locale files: English, through chrome.i18n, bound before imports.
await vi.hoisted(async () => {
  const { installChromeI18n } = await import('../../test/support/locale-messages');
  installChromeI18n('en');
});

import type { EvidenceSummary, WorkerToPanel } from '../messaging';
import {
  type ChatAction,
  type ChatState,
  canRegenerate,
  chatReducer,
  hasPageText,
  initialChat,
  shownIndex,
  shownVersion,
  turnsFor,
  versionCount,
} from './chat-state';
import { CHAT_TOO_LONG, chatOutgrewModel, errorTitle } from './format';
import { rewriteTurn, summaryTurn } from '../page/prompts';

const evidence: EvidenceSummary = {
  platform: 'dev',
  development: true,
  measurement: 'ab'.repeat(48),
  model: { name: 'stories260K', sha256: 'cd'.repeat(32) },
  keyId: 7,
  kem: 'X-Wing',
  keyAgeSeconds: 30,
  releaseId: 'dev',
  keyCreatedAt: '2026-01-01T00:00:00.000Z',
  verifiedAt: '2026-01-01T00:00:30.000Z',
};

const run = (state: ChatState, ...actions: (ChatAction | WorkerToPanel)[]) =>
  actions.reduce((s, a) => chatReducer(s, a as ChatAction), state);

const user = (content: string) => ({ role: 'user' as const, content });

describe('chat reducer', () => {
  it('streams an answer: started, deltas, done', () => {
    const s = run(
      initialChat,
      { type: 'send', requestId: 'r1', turn: user('hi') },
      { type: 'chat/started', requestId: 'r1', conversationId: 'c1', evidence },
      { type: 'chat/delta', requestId: 'r1', text: 'Hel' },
      { type: 'chat/delta', requestId: 'r1', text: 'lo' },
    );
    expect(s.active).toEqual({ requestId: 'r1', regenerate: false, started: true });
    expect(s.messages.map((m) => [m.role, m.content, m.state])).toEqual([
      ['user', 'hi', 'done'],
      ['assistant', 'Hello', 'streaming'],
    ]);
    expect(s.messages[1]?.development).toBe(true);
    const done = run(s, {
      type: 'chat/done',
      requestId: 'r1',
      conversationId: 'c1',
      messageId: 'm2',
      finishReason: 'stop',
    });
    expect(done.active).toBeUndefined();
    expect(done.conversationId).toBe('c1');
    expect(done.messages[1]).toMatchObject({
      key: 'm2',
      state: 'done',
      content: 'Hello',
      evidence: { platform: 'dev', keyId: 7 },
    });
    expect(turnsFor(done)).toEqual([user('hi')]);
    expect(canRegenerate(done)).toBe(true);
  });

  it('ignores messages for other requests and a second send while busy', () => {
    const s = run(
      initialChat,
      { type: 'send', requestId: 'r1', turn: user('a') },
      { type: 'send', requestId: 'r2', turn: user('b') },
      { type: 'chat/delta', requestId: 'old', text: 'x' },
    );
    expect(s.messages).toHaveLength(2);
    expect(s.messages[1]?.content).toBe('');
    expect(s.active?.requestId).toBe('r1');
  });

  it('retrying discards the partial text; user stop ends as stopped', () => {
    const s = run(
      initialChat,
      { type: 'send', requestId: 'r1', turn: user('a') },
      { type: 'chat/started', requestId: 'r1', conversationId: 'c1', evidence },
      { type: 'chat/delta', requestId: 'r1', text: 'partial' },
      { type: 'chat/retrying', requestId: 'r1', reason: 'truncated' },
      { type: 'chat/delta', requestId: 'r1', text: 'whole' },
      {
        type: 'chat/done',
        requestId: 'r1',
        conversationId: 'c1',
        messageId: 'm',
        finishReason: 'user-stop',
      },
    );
    expect(s.messages[1]).toMatchObject({
      content: 'whole',
      state: 'stopped',
      retrying: 'truncated',
    });
  });

  it('an error keeps the user turn, and Retry resends the same turns (regenerating only after a failed regenerate)', () => {
    const failed = run(
      initialChat,
      { type: 'send', requestId: 'r1', turn: user('q') },
      {
        type: 'chat/error',
        requestId: 'r1',
        code: 'relay-unreachable',
        message: 'down',
        retryable: true,
      },
    );
    expect(failed.active).toBeUndefined();
    expect(failed.messages[1]).toMatchObject({
      state: 'error',
      error: { code: 'relay-unreachable' },
    });
    expect(turnsFor(failed)).toEqual([user('q')]);
    const retried = run(failed, { type: 'retry', requestId: 'r2' });
    expect(retried.active).toEqual({ requestId: 'r2', regenerate: false, started: false });
    expect(retried.messages.map((m) => m.state)).toEqual(['done', 'streaming']);

    const answered = run(
      retried,
      { type: 'chat/started', requestId: 'r2', conversationId: 'c', evidence },
      {
        type: 'chat/done',
        requestId: 'r2',
        conversationId: 'c',
        messageId: 'm',
        finishReason: 'stop',
      },
      { type: 'regenerate', requestId: 'r3' },
    );
    expect(answered.active?.regenerate).toBe(true);
    const regenFailed = run(answered, { type: 'disconnected' });
    expect(regenFailed.messages[1]).toMatchObject({ state: 'error', error: { code: 'internal' } });
    expect(run(regenFailed, { type: 'retry', requestId: 'r4' }).active?.regenerate).toBe(true);
  });

  it('regenerate keeps earlier versions: 3 versions, browse back, the shown one is sent next', () => {
    const answer = (s: ChatState, id: string, text: string, regenerate: boolean) =>
      run(
        s,
        regenerate
          ? { type: 'regenerate', requestId: id }
          : { type: 'send', requestId: id, turn: user('q') },
        { type: 'chat/started', requestId: id, conversationId: 'c', evidence },
        { type: 'chat/delta', requestId: id, text },
        {
          type: 'chat/done',
          requestId: id,
          conversationId: 'c',
          messageId: `m-${id}`,
          finishReason: 'stop',
        },
      );
    let s = answer(initialChat, 'r1', 'first', false);
    s = answer(s, 'r2', 'second', true);
    // A regenerate that fails keeps both versions; Retry keeps them too.
    s = run(s, { type: 'regenerate', requestId: 'r3' }, { type: 'disconnected' });
    expect(versionCount(s.messages[1]!)).toBe(3);
    expect(shownVersion(s.messages[1]!).state).toBe('error');
    s = run(s, { type: 'retry', requestId: 'r4' });
    expect(s.active?.regenerate).toBe(true);
    s = run(
      s,
      { type: 'chat/started', requestId: 'r4', conversationId: 'c', evidence },
      { type: 'chat/delta', requestId: 'r4', text: 'third' },
      {
        type: 'chat/done',
        requestId: 'r4',
        conversationId: 'c',
        messageId: 'm-r4',
        finishReason: 'stop',
      },
    );
    expect(s.messages).toHaveLength(2);
    const a = s.messages[1]!;
    expect(versionCount(a)).toBe(3);
    expect(a.versions?.map((v) => v.content)).toEqual(['first', 'second']);
    expect(shownIndex(a)).toBe(2);
    expect(turnsFor(run(s, { type: 'send', requestId: 'x', turn: user('next') }))).toEqual([
      user('q'),
      { role: 'assistant', content: 'third' },
      user('next'),
    ]);

    const back = run(s, { type: 'show-version', key: a.key, index: 0 });
    expect(shownVersion(back.messages[1]!).content).toBe('first');
    expect(turnsFor(run(back, { type: 'send', requestId: 'y', turn: user('next') }))).toEqual([
      user('q'),
      { role: 'assistant', content: 'first' },
      user('next'),
    ]);
    // Out of range is clamped; Regenerate from an older version still adds a newest one.
    expect(shownIndex(run(s, { type: 'show-version', key: a.key, index: 9 }).messages[1]!)).toBe(2);
    const again = run(back, { type: 'regenerate', requestId: 'r5' });
    expect(versionCount(again.messages[1]!)).toBe(4);
    expect(shownVersion(again.messages[1]!).state).toBe('streaming');
  });

  it('a system prompt goes first in every request, is kept on load and cleared when emptied', () => {
    let s = run(initialChat, { type: 'system-prompt', text: '  Be brief.  ' });
    expect(s.systemPrompt).toBe('Be brief.');
    s = run(s, { type: 'send', requestId: 'r', turn: user('q') });
    expect(turnsFor(s)).toEqual([{ role: 'system', content: 'Be brief.' }, user('q')]);
    expect(run(s, { type: 'system-prompt', text: ' ' }).systemPrompt).toBeUndefined();
    const loaded = chatReducer(initialChat, {
      type: 'load',
      conversation: {
        id: 'c',
        title: 't',
        kind: 'chat',
        createdAt: 1,
        updatedAt: 1,
        messageCount: 0,
        systemPrompt: 'Kept.',
      },
      messages: [],
    });
    expect(loaded.systemPrompt).toBe('Kept.');
    expect(run(loaded, { type: 'reset' }).systemPrompt).toBeUndefined();
  });

  it('loads consecutive stored answers as versions of one answer, the newest shown', () => {
    const m = (id: string, role: 'user' | 'assistant', content: string) => ({
      id,
      conversationId: 'c',
      role,
      content,
      createdAt: 1,
      status: 'complete' as const,
    });
    const s = chatReducer(initialChat, {
      type: 'load',
      conversation: {
        id: 'c',
        title: 't',
        kind: 'chat',
        createdAt: 1,
        updatedAt: 2,
        messageCount: 5,
      },
      messages: [
        m('1', 'user', 'q'),
        m('2', 'assistant', 'a1'),
        m('3', 'assistant', 'a2'),
        m('4', 'user', 'q2'),
        m('5', 'assistant', 'b'),
      ],
    });
    expect(s.messages.map((x) => [x.key, x.content, versionCount(x)])).toEqual([
      ['1', 'q', 1],
      ['3', 'a2', 2],
      ['4', 'q2', 1],
      ['5', 'b', 1],
    ]);
    expect(s.messages[1]?.versions?.[0]?.content).toBe('a1');
  });

  it('loads stored messages, hiding system turns and marking stopped answers', () => {
    const s = chatReducer(initialChat, {
      type: 'load',
      conversation: {
        id: 'c',
        title: 'T',
        kind: 'chat',
        createdAt: 1,
        updatedAt: 2,
        messageCount: 3,
      },
      messages: [
        {
          id: 's',
          conversationId: 'c',
          role: 'system',
          content: 'sys',
          createdAt: 1,
          status: 'complete',
        },
        {
          id: 'u',
          conversationId: 'c',
          role: 'user',
          content: 'q',
          createdAt: 1,
          status: 'complete',
        },
        {
          id: 'a',
          conversationId: 'c',
          role: 'assistant',
          content: 'ans',
          createdAt: 2,
          status: 'stopped',
          evidence: { platform: 'dev', development: true, model: evidence.model, keyId: 7 },
        },
      ],
    });
    expect(s.messages.map((m) => [m.key, m.state, m.development])).toEqual([
      ['u', 'done', undefined],
      ['a', 'stopped', true],
    ]);
    expect(canRegenerate(s)).toBe(true);
  });
});

describe('a long request (issue 15)', () => {
  it('shows the plan step while it runs, and keeps how the answer was made once done', () => {
    const s = run(
      initialChat,
      { type: 'send', requestId: 'r1', turn: user('long') },
      { type: 'chat/started', requestId: 'r1', conversationId: 'c1', evidence },
      { type: 'chat/progress', requestId: 'r1', step: { stage: 'part', index: 3, count: 7 } },
      { type: 'chat/progress', requestId: 'other', step: { stage: 'part', index: 9, count: 9 } },
    );
    expect(s.messages[1]?.progress).toEqual({ stage: 'part', index: 3, count: 7 });
    const done = run(
      s,
      { type: 'chat/delta', requestId: 'r1', text: 'Summary.' },
      {
        type: 'chat/done',
        requestId: 'r1',
        conversationId: 'c1',
        messageId: 'm2',
        finishReason: 'stop',
        plan: { parts: 7 },
      },
    );
    expect(done.messages[1]).toMatchObject({ state: 'done', plan: { parts: 7 } });
    expect(done.messages[1]?.progress).toBeUndefined();
    // A failure mid-plan leaves no step on screen.
    const failed = run(s, {
      type: 'chat/error',
      requestId: 'r1',
      code: 'relay-unreachable',
      message: 'x',
      retryable: true,
    });
    expect(failed.messages[1]?.progress).toBeUndefined();
  });

  it('a stored answer keeps its plan', () => {
    const s = chatReducer(initialChat, {
      type: 'load',
      conversation: {
        id: 'c1',
        title: 't',
        kind: 'chat',
        createdAt: 1,
        updatedAt: 2,
        messageCount: 2,
      },
      messages: [
        {
          id: 'a',
          conversationId: 'c1',
          role: 'user',
          content: 'q',
          createdAt: 1,
          status: 'complete',
        },
        {
          id: 'b',
          conversationId: 'c1',
          role: 'assistant',
          content: 'a',
          createdAt: 2,
          status: 'complete',
          plan: { folded: 12 },
        },
      ],
    });
    expect(s.messages[1]?.plan).toEqual({ folded: 12 });
  });
});

describe('a 413 in a chat with no page (issue 11, bug 4)', () => {
  const tooLarge = {
    code: 'service' as const,
    message: 'The enclave answered with an error (413).',
    retryable: false,
    status: 413,
  };

  it('a plain chat that outgrew the model is not blamed on a page, and offers a new chat', () => {
    const s = run(initialChat, { type: 'send', requestId: 'r1', turn: user('hello') });
    expect(hasPageText(s)).toBe(false);
    expect(chatOutgrewModel(tooLarge, hasPageText(s))).toBe(true);
    expect(CHAT_TOO_LONG.title).not.toMatch(/page/i);
    expect(CHAT_TOO_LONG.message).toMatch(/Start a new chat/);
  });

  it('a summary or a rewrite carries page text: a 413 there is about the page', () => {
    const page = {
      title: 'T',
      url: 'https://example.test/',
      text: 'Some page text.',
      truncated: false,
      totalChars: 15,
      source: 'body' as const,
    };
    const summary = run(initialChat, {
      type: 'send',
      requestId: 'r1',
      turn: summaryTurn(page),
      context: { kind: 'summarize', pageUrl: page.url },
    });
    expect(hasPageText(summary)).toBe(true);
    expect(chatOutgrewModel(tooLarge, hasPageText(summary))).toBe(false);
    // A conversation loaded from history has no context, but its first turn is a summary.
    expect(hasPageText({ messages: summary.messages })).toBe(true);
    const rewrite = run(initialChat, {
      type: 'send',
      requestId: 'r2',
      turn: rewriteTurn('some text', 'shorter', ''),
    });
    expect(hasPageText(rewrite)).toBe(true);
    expect(errorTitle(tooLarge)).toMatch(/shorter text or page/);
    expect(chatOutgrewModel({ ...tooLarge, status: 500 }, false)).toBe(false);
  });
});

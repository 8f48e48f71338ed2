/**
 * The worker's message boundary: only Sotto's own pages are answered, settings
 * are validated field by field, and the panel hub hands page actions to the
 * right panel when it connects (never by a timer) and runs chats per port.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PANEL_PORT, type PageAction, type WorkerToPanel } from '../src/messaging';
import type { PortLike } from '../src/services/panel-hub';
import { dispatch, isForWorker } from '../src/services/router';
import { DEFAULT_SETTINGS, mergeSettings, settingsFromStorage } from '../src/services/settings';
import { SettingsStore } from '../src/services/settings-store';
import { type Harness, harness, TEST_EXTENSION_ORIGIN } from './support/services';

const ORIGIN = 'chrome-extension://dnkpelokofdngkeleinjlkmnanbolecg/';
const opened: Harness[] = [];
function fresh(): Harness {
  const h = harness();
  opened.push(h);
  return h;
}
afterEach(() => {
  for (const h of opened.splice(0)) h.db.close();
});

describe('router', () => {
  it('answers extension pages and ignores content scripts and unknown messages', async () => {
    const h = fresh();
    const panel = { id: 'x', url: `${ORIGIN}sidepanel.html` };
    const contentScript = { id: 'x', url: 'https://evil.example/', tab: { id: 1 } };
    expect(isForWorker(h.handlers, { type: 'vault/status' }, panel, ORIGIN)).toBe(true);
    expect(isForWorker(h.handlers, { type: 'vault/status' }, contentScript, ORIGIN)).toBe(false);
    expect(isForWorker(h.handlers, { type: 'page/extract' }, panel, ORIGIN)).toBe(false);
    expect(isForWorker(h.handlers, 'vault/status', panel, ORIGIN)).toBe(false);
    expect(await dispatch(h.handlers, { type: 'vault/status' }, panel, ORIGIN)).toEqual({
      ok: true,
      value: { state: 'no-vault' },
    });
    expect(
      await dispatch(h.handlers, { type: 'history/export' }, contentScript, ORIGIN),
    ).toMatchObject({ ok: false, error: { code: 'invalid' } });
    expect(await dispatch(h.handlers, { type: 'toString' }, panel, ORIGIN)).toMatchObject({
      ok: false,
      error: { code: 'invalid' },
    });
  });

  it('maps failures to typed errors without internal detail', async () => {
    const h = fresh();
    const panel = { url: `${ORIGIN}sidepanel.html` };
    expect(await dispatch(h.handlers, { type: 'history/list' }, panel, ORIGIN)).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'no-vault', retryable: false }),
    });
    expect(
      await dispatch(
        h.handlers,
        { type: 'vault/unlock', prf: '!!not base64!!', credentialId: 'AA' },
        panel,
        ORIGIN,
      ),
    ).toMatchObject({ ok: false, error: { code: 'invalid' } });
  });
});

describe('settings', () => {
  it('validates every field', () => {
    const s = { ...DEFAULT_SETTINGS, generation: { ...DEFAULT_SETTINGS.generation } };
    expect(mergeSettings(s, { relayUrl: ' https://relay.example/base/ ' }).relayUrl).toBe(
      'https://relay.example/base',
    );
    for (const bad of [
      { relayUrl: 'javascript:alert(1)' },
      { relayUrl: 'https://user:pw@relay.example' },
      { relayUrl: 'not a url' },
      { developmentMode: 'yes' as unknown as boolean },
      { generation: { maxTokens: 0, temperature: 0.5 } },
      { generation: { maxTokens: 100, temperature: 3 } },
      { idleLockMinutes: -1 },
      { idleLockMinutes: 1.5 },
      { allowedMeasurements: ['abcd'] },
      { allowedMeasurements: ['zz'.repeat(48)] },
      { allowedMeasurements: 'ab'.repeat(48) as unknown as string[] },
      {
        allowedMeasurements: Array.from({ length: 65 }, (_, i) => i.toString(16).padStart(96, '0')),
      },
    ]) {
      expect(() => mergeSettings(s, bad)).toThrow();
    }
  });

  it('keeps trusted release measurements normalised and de-duplicated', () => {
    const m = '7A1E5C26'.padEnd(96, 'A');
    const next = mergeSettings(DEFAULT_SETTINGS, {
      allowedMeasurements: [` ${m} `, m.toLowerCase()],
    });
    expect(next.allowedMeasurements).toEqual([m.toLowerCase()]);
    expect(DEFAULT_SETTINGS.allowedMeasurements).toEqual([]);
  });

  it('repairs bad stored values field by field', () => {
    expect(
      settingsFromStorage({ relayUrl: 'ftp://x', developmentMode: true, idleLockMinutes: 'x' }),
    ).toEqual({ ...DEFAULT_SETTINGS, developmentMode: true });
    expect(settingsFromStorage(null)).toEqual(DEFAULT_SETTINGS);
  });

  it('refuses a relay origin the extension may not reach', async () => {
    const h = fresh();
    const asked: string[] = [];
    const store = new SettingsStore(h.db, {
      canReach: async (origin) => {
        asked.push(origin);
        return origin === 'https://allowed.example';
      },
    });
    await expect(store.set({ relayUrl: 'https://other.example/' })).rejects.toMatchObject({
      info: { code: 'invalid' },
    });
    expect((await store.set({ relayUrl: 'https://allowed.example/x' })).relayUrl).toBe(
      'https://allowed.example/x',
    );
    expect(asked).toEqual(['https://other.example', 'https://allowed.example']);
    expect((await store.get()).relayUrl).toBe('https://allowed.example/x');
  });
});

/** An in-memory runtime.Port pair: what the hub posts lands in `received`. */
type TestPort = PortLike & {
  received: WorkerToPanel[];
  disconnected: boolean;
  fromPanel(m: unknown): void;
  drop(): void;
  next(type: WorkerToPanel['type']): Promise<WorkerToPanel>;
};

function port(senderUrl = `${TEST_EXTENSION_ORIGIN}sidepanel.html`): TestPort {
  const onMessage: ((m: unknown) => void)[] = [];
  const onDisconnect: (() => void)[] = [];
  const waiters: { type: string; resolve: (m: WorkerToPanel) => void }[] = [];
  const received: WorkerToPanel[] = [];
  const p: TestPort = {
    name: PANEL_PORT,
    sender: { url: senderUrl },
    received,
    disconnected: false,
    postMessage(m) {
      received.push(m);
      for (const w of [...waiters]) {
        if (w.type === m.type) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    },
    onMessage: { addListener: (fn) => onMessage.push(fn) },
    onDisconnect: { addListener: (fn) => onDisconnect.push(fn) },
    fromPanel: (m) => {
      for (const fn of onMessage) fn(m);
    },
    /** The other side going away (the hub's own `disconnect()` only marks it). */
    drop: () => {
      for (const fn of onDisconnect) fn();
    },
    disconnect: () => {
      p.disconnected = true;
    },
    next: (type) =>
      new Promise((resolve) => {
        const got = received.find((m) => m.type === type);
        if (got) resolve(got);
        else waiters.push({ type, resolve });
      }),
  };
  return p;
}

const summarize = (windowId: number): PageAction => ({
  type: 'action/summarize',
  actionId: `a-${windowId}`,
  tabId: 10 + windowId,
  pageUrl: 'https://news.example/story',
});

describe('panel hub', () => {
  it('keeps an action until that window’s panel says hello, then hands it over once', async () => {
    const h = fresh();
    h.panels.deliver(1, summarize(1));
    h.panels.deliver(2, summarize(2));
    const p = port();
    h.panels.attach(p);
    expect(p.received).toEqual([]);
    p.fromPanel({ type: 'panel/hello', windowId: 2 });
    expect(p.received).toEqual([summarize(2)]);
    expect(h.panels.take(2)).toBeNull();
    expect(await h.handlers['action/take']({ windowId: 1 })).toEqual(summarize(1));
    expect(await h.handlers['action/take']({ windowId: 1 })).toBeNull();
  });

  it('pushes actions to a connected panel, closes it on the toggle, forgets it on disconnect', () => {
    const h = fresh();
    const p = port();
    h.panels.attach(p);
    p.fromPanel({ type: 'panel/hello', windowId: 5 });
    h.panels.deliver(5, summarize(5));
    expect(p.received).toEqual([summarize(5)]);
    expect(h.panels.hasPanel(5)).toBe(true);
    expect(h.panels.close(5)).toBe(true);
    expect(p.received.at(-1)).toEqual({ type: 'panel/close' });
    p.drop();
    expect(h.panels.hasPanel(5)).toBe(false);
    expect(h.panels.close(5)).toBe(false);
    h.panels.deliver(5, summarize(5));
    expect(h.panels.take(5)).toEqual(summarize(5));
  });

  it('ignores ports with other names', () => {
    const h = fresh();
    const p = { ...port(), name: 'something-else' };
    h.panels.attach(p);
    p.fromPanel({ type: 'panel/hello', windowId: 1 });
    expect(h.panels.hasPanel(1)).toBe(false);
  });

  it('disconnects a port that is not from one of the extension’s pages, before reading it', async () => {
    const h = fresh();
    h.panels.deliver(3, summarize(3));
    for (const url of [
      'https://news.example/story', // a content script beside a page
      'chrome-extension://otherextensionidaaaaaaaaaaaaaaaa/page.html',
      undefined,
    ]) {
      const p = port(url as string);
      if (url === undefined) delete (p as { sender?: unknown }).sender;
      expect(h.panels.attach(p)).toBe(false);
      expect(p.disconnected).toBe(true);
      p.fromPanel({ type: 'panel/hello', windowId: 3 });
      p.fromPanel({
        type: 'chat/start',
        requestId: 'r',
        messages: [{ role: 'user', content: 'x' }],
      });
      expect(p.received).toEqual([]);
    }
    expect(h.panels.hasPanel(3)).toBe(false);
    expect(h.panels.take(3)).toEqual(summarize(3));
  });

  it('runs a chat per port and answers on that port', async () => {
    const h = fresh();
    const p = port();
    h.panels.attach(p);
    p.fromPanel({
      type: 'chat/start',
      requestId: 'r1',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(await p.next('chat/error')).toMatchObject({ requestId: 'r1', code: 'no-vault' });
    expect(h.fetchCalls).toEqual([]);
  });
});

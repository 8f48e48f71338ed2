/**
 * Issue 6, flows 7-9: what goes wrong, in headless Debian Chromium with the
 * built extension. A relay that tampers with the evidence (the extension
 * refuses, says why, sends nothing); the enclave killed mid-answer (a clear
 * error, Retry works once it is back, no partial answer stored as complete);
 * and a hostile model answer that must render inert (served by a stub model
 * behind the real gateway and protocol, e2e-only).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CDPSession, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCanary, makeCanary } from '../support/canary';
import { type RecordingProxy, startRecordingProxy } from '../support/recording-proxy';
import { type RelayProcess, startRelayProcess } from '../support/relay-process';
import { type ArticleServer, startArticleServer } from './support/article-server';
import { saveArtifactsOnFailure } from './support/artifacts';
import { addAuthenticator } from './support/authenticator';
import {
  EXTENSION_ORIGIN,
  type ExtensionBrowser,
  hasChromium,
  launchBrowser,
} from './support/browser';
import { testExtension } from './support/extension-build';
import { type HostileEnclave, startHostileEnclave } from './support/hostile-enclave';
import {
  answerHistory,
  askOk,
  configure,
  sendChat,
  waitForVault,
  watchAnswers,
} from './support/panel';
import { type BrowserStack, startBrowserStack, waitForRelayLog } from './support/stack';
import { startTamperProxy, type Tampering, type TamperProxy } from './support/tamper-proxy';

interface Conversation {
  id: string;
  kind: string;
}
interface Message {
  role: string;
  content: string;
  status: string;
}

const FLOW_TIMEOUT_MS = 180_000;
const letters = (s: string) => s.replace(/[^A-Za-z]+/g, '');

async function waitForFreshAnswer(panel: Page, states: string[]) {
  await panel.waitForFunction(
    (s: string[]) => {
      const a = (window as unknown as { __answers: { state: string }[] }).__answers;
      const last = a[a.length - 1];
      return a.some((x) => x.state === 'streaming') && !!last && s.includes(last.state);
    },
    { timeout: 120_000, polling: 'mutation' },
    states,
  );
  return (await answerHistory(panel)).at(-1)!;
}

async function newChat(panel: Page): Promise<void> {
  await panel.click('[data-testid="new-chat"]');
  await panel.waitForSelector('[data-testid="empty-state"]');
}

describe.skipIf(!hasChromium)('when things go wrong (flows 7-9)', () => {
  const canary = makeCanary();
  let stack: BrowserStack;
  let site: ArticleServer;
  let ext: ExtensionBrowser | undefined;
  let panel: Page;
  let cdp: CDPSession;
  let tamper: TamperProxy | undefined;
  let tamperRecorder: RecordingProxy | undefined;
  let hostile: HostileEnclave | undefined;
  let hostileRelay: RelayProcess | undefined;

  beforeAll(async () => {
    let extensionDir: string;
    [stack, site, extensionDir] = await Promise.all([
      // Two threads: slow enough to kill the enclave while it is still answering.
      startBrowserStack({ SOTTO_THREADS: '2' }),
      startArticleServer(canary),
      testExtension(),
    ]);
    ext = await launchBrowser(extensionDir, mkdtempSync(join(tmpdir(), 'sotto-e2e-profile-')));
    panel = await ext.openPanel();
    cdp = await panel.createCDPSession();
    await addAuthenticator(cdp);
    await panel.click('[data-testid="create-passkey"]');
    await waitForVault(panel, 'unlocked');
  }, 180_000);

  saveArtifactsOnFailure('failures', () => ({
    browser: ext,
    logs: {
      relay: () => stack.relay.output(),
      enclave: () => stack.enclaveOutput(),
      'hostile-relay': () => hostileRelay?.output() ?? '',
      'hostile-enclave': () => hostile?.output() ?? '',
    },
  }));

  afterAll(async () => {
    await ext?.close();
    await tamperRecorder?.close();
    await tamper?.close();
    await hostileRelay?.stop();
    await hostile?.stop();
    await site?.close();
    await stack?.stop();
  });

  it(
    '7. tampered evidence: the extension refuses, shows why, and sends no request',
    async () => {
      tamper = await startTamperProxy(stack.relay.url, 'flip-report-bit');
      tamperRecorder = await startRecordingProxy({ host: '127.0.0.1', port: tamper.port });
      await configure(panel, tamperRecorder.url, { maxTokens: 40, temperature: 0 });
      for (const mode of ['flip-report-bit', 'swap-key-config'] as Tampering[]) {
        tamper.setMode(mode);
        const before = tamper.tampered();
        await newChat(panel);
        await watchAnswers(panel);
        await sendChat(panel, `Once upon a time ${canary}`);
        const failed = await waitForFreshAnswer(panel, ['error', 'done']);
        expect({ mode, state: failed.state }).toEqual({ mode, state: 'error' });
        expect(tamper.tampered()).toBeGreaterThan(before);
        const code = await panel.$eval('[data-testid="error"]', (e) => e.getAttribute('data-code'));
        expect({ mode, code }).toEqual({ mode, code: 'evidence-refused' });
        const reasons = await panel.$$eval('[data-testid="error-reasons"] li', (l) =>
          l.map((e) => e.textContent ?? ''),
        );
        expect(reasons.length).toBeGreaterThan(0);
        await panel.waitForSelector('[data-testid="lock-badge"][data-state="refused"]');
      }
      const seen = tamperRecorder.recorded().toString('latin1');
      expect(seen).toContain('GET /v1/evidence');
      expect(seen).not.toContain('POST /v1/ohttp');
      expect(findCanary(tamperRecorder.recorded(), canary)).toEqual([]);
      // Nothing was stored for the refused requests either.
      const list = await askOk<Conversation[]>(panel, 'history/list');
      for (const c of list) {
        const { messages } = await askOk<{ messages: Message[] }>(panel, 'history/get', {
          conversationId: c.id,
        });
        expect(messages.filter((m) => m.role === 'assistant')).toEqual([]);
      }
    },
    FLOW_TIMEOUT_MS,
  );

  it(
    '8. the enclave dies mid-answer: a clear error; Retry after restart works; nothing partial stored',
    async () => {
      await configure(panel, stack.clientProxy.url, { maxTokens: 400, temperature: 0 });
      await newChat(panel);
      await watchAnswers(panel);
      await sendChat(panel, `Once upon a time ${canary}`);
      await panel.waitForFunction(
        () => {
          const a = document.querySelector('[data-testid="answer"]');
          return (
            a?.getAttribute('data-state') === 'streaming' &&
            (a.querySelector('[data-testid="answer-text"]')?.textContent ?? '').length > 0
          );
        },
        { timeout: 120_000, polling: 'mutation' },
      );
      const beforeKill = stack.relay.logs().length;
      await stack.enclave.stop('SIGKILL');
      const failed = await waitForFreshAnswer(panel, ['error', 'done']);
      expect(failed.state).toBe('error');
      const error = await panel.$eval('[data-testid="error"]', (e) => ({
        code: e.getAttribute('data-code'),
        text: e.textContent ?? '',
      }));
      expect(['truncated', 'service', 'relay-unreachable', 'enclave-unavailable']).toContain(
        error.code,
      );
      expect(error.text.length).toBeGreaterThan(10);
      expect(await panel.$('[data-testid="retry"]')).not.toBeNull();
      // The cut answer is not in the history, as complete or otherwise.
      const chat = (await askOk<Conversation[]>(panel, 'history/list')).find(
        (c) => c.kind === 'chat',
      );
      if (chat) {
        const { messages } = await askOk<{ messages: Message[] }>(panel, 'history/get', {
          conversationId: chat.id,
        });
        expect(messages.filter((m) => m.role === 'assistant')).toEqual([]);
      }

      // Back up (new process, new key): once the relay has seen it gone and back, Retry.
      const health = (healthy: boolean) => (l: Record<string, unknown>) =>
        l.event === 'enclave_health' && l.healthy === healthy;
      await waitForRelayLog(stack.relay, health(false), beforeKill);
      const skip = stack.relay.logs().length;
      await stack.restartEnclave();
      await waitForRelayLog(stack.relay, health(true), skip);
      await askOk(panel, 'settings/set', { generation: { maxTokens: 40, temperature: 0 } });
      await watchAnswers(panel);
      await panel.click('[data-testid="retry"]');
      const done = await waitForFreshAnswer(panel, ['done', 'error']);
      expect(done.state).toBe('done');
      const list = await askOk<Conversation[]>(panel, 'history/list');
      const retried = list.find((c) => c.kind === 'chat')!;
      const { messages } = await askOk<{ messages: Message[] }>(panel, 'history/get', {
        conversationId: retried.id,
      });
      const answers = messages.filter((m) => m.role === 'assistant');
      expect(answers).toHaveLength(1);
      expect(answers[0]!.status).toBe('complete');
      // The panel shows it rendered as markdown ("1. x" becomes a list): compare the letters.
      expect(letters(answers[0]!.content)).toBe(letters(done.text));
    },
    FLOW_TIMEOUT_MS,
  );

  it(
    '9. a hostile model answer renders inert: no script, no handler, no navigation, no remote load',
    async () => {
      const remote = site.url;
      const answer = [
        `Here you go <img src="${remote}/onerror.png" onerror="window.__pwned = 'img'">`,
        '',
        `<script>window.__pwned = 'script'</script>`,
        '',
        `[click me](javascript:window.__pwned='link') and <a href="javascript:window.__pwned='a'">raw link</a>`,
        '',
        `![remote](${remote}/remote.png) <iframe src="${remote}/frame"></iframe>`,
        '',
        `<svg><image href="${remote}/svg.png" onload="window.__pwned='svg'"/></svg>`,
        '',
        '**the end**',
      ].join('\n');
      hostile = await startHostileEnclave(answer);
      hostileRelay = await startRelayProcess({
        SOTTO_ENCLAVES: hostile.url,
        SOTTO_HEALTH_INTERVAL: '300ms',
      });
      const panelRequests: string[] = [];
      panel.on('request', (r) => panelRequests.push(r.url()));
      await configure(panel, hostileRelay.url, { maxTokens: 40, temperature: 0 });
      await newChat(panel);
      await watchAnswers(panel);
      await sendChat(panel, `Show me something ${canary}`);
      const done = await waitForFreshAnswer(panel, ['done', 'error']);
      expect(done.state).toBe('done');
      expect(hostile.completions()).toBe(1);
      expect(done.text).toContain('the end');

      const body = '[data-testid="answer-text"]';
      expect(
        await panel.$$eval(
          `${body} img, ${body} script, ${body} iframe, ${body} svg`,
          (e) => e.length,
        ),
      ).toBe(0);
      expect(
        await panel.$$eval(
          `${body} [onerror], ${body} [onload], ${body} [onclick]`,
          (e) => e.length,
        ),
      ).toBe(0);
      const hrefs = await panel.$$eval(`${body} a`, (as) => as.map((a) => a.getAttribute('href')));
      expect(hrefs.every((h) => h === null || !/^\s*javascript:/i.test(h))).toBe(true);
      // Clicking every link does not run anything or leave the panel.
      const targetsBefore = (await ext!.browser.targets()).length;
      for (const link of await panel.$$(`${body} a`)) await link.click();
      expect(panel.url()).toBe(`${EXTENSION_ORIGIN}/sidepanel.html`);
      expect(await panel.evaluate('window.__pwned')).toBeUndefined();
      expect((await ext!.browser.targets()).length).toBe(targetsBefore);
      // No request left the panel for the "remote" host, and that host saw none.
      expect(panelRequests.filter((u) => !u.startsWith(EXTENSION_ORIGIN))).toEqual([]);
      expect(site.requests().filter((p) => /onerror|remote|frame|svg/.test(p))).toEqual([]);
    },
    FLOW_TIMEOUT_MS,
  );

  it("privacy: no canary between browser, relay and enclaves, or in the relays' logs", () => {
    const places = {
      'browser ↔ relay': stack.clientProxy.recorded(),
      'browser ↔ tampering relay': tamperRecorder?.recorded() ?? Buffer.alloc(0),
      'relay ↔ enclave': stack.enclaveProxy.recorded(),
      'relay logs': Buffer.from(stack.relay.output()),
      'hostile relay logs': Buffer.from(hostileRelay?.output() ?? ''),
    };
    expect(places['browser ↔ relay'].length).toBeGreaterThan(1000);
    expect(places['relay ↔ enclave'].length).toBeGreaterThan(1000);
    for (const [where, bytes] of Object.entries(places)) {
      expect({ where, found: findCanary(bytes, canary) }).toEqual({ where, found: [] });
    }
  });
});

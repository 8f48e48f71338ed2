/**
 * Issue 6, flows 1-6 and the privacy canary: one person's journey in headless
 * Debian Chromium with the built extension, against the real relay and the
 * real enclave running the test model. Onboarding with a PRF passkey, a page
 * summary that streams, rewrites inserted into a textarea and a
 * contenteditable, a three-turn chat stopped mid-answer, a browser restart on
 * the same profile, and a second passkey that cannot unlock. Every prompt and
 * page carries a random canary, which must show nowhere between the browser
 * and the enclave, in the relay's logs, or in the extension's storage.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CDPSession, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_MODEL_SHA256 } from '../../enclave/test/support/enclave-process';
import { findCanary, makeCanary } from '../support/canary';
import {
  type ArticleServer,
  EDITABLE_TEXT,
  startArticleServer,
  TEXTAREA_TEXT,
} from './support/article-server';
import { saveArtifactsOnFailure, stackLogs } from './support/artifacts';
import {
  addAuthenticator,
  addCredential,
  credentialsOf,
  type PrfRecord,
  recordedPrf,
  recordPrf,
  removeAuthenticator,
  replayPrf,
  type VirtualCredential,
} from './support/authenticator';
import {
  clickMenu,
  EXTENSION_ID,
  EXTENSION_ORIGIN,
  type ExtensionBrowser,
  hasChromium,
  launchBrowser,
} from './support/browser';
import { testExtension } from './support/extension-build';
import {
  answerHistory,
  ask,
  askOk,
  configure,
  createVault,
  dumpDatabase,
  sendChat,
  waitForAnswer,
  waitForVault,
  watchAnswers,
} from './support/panel';
import { extensionStorageFiles } from './support/profile';
import { type BrowserStack, startBrowserStack } from './support/stack';

interface Conversation {
  id: string;
  title: string;
  kind: string;
  pageUrl?: string;
  messageCount: number;
}
interface Message {
  role: string;
  content: string;
  status: string;
}

const GENERATION = { maxTokens: 40, temperature: 0 };
/** One flow on a loaded 2-core machine: the model, the browser and the relay share it. */
const FLOW_TIMEOUT_MS = 180_000;

const squash = (s: string) => s.replace(/\s+/g, '');
const letters = (s: string) => s.replace(/[^A-Za-z]+/g, '');

/** Waits for a new answer to start streaming (after `watchAnswers`), then to reach one of `states`. */
async function waitForFreshAnswer(
  panel: Page,
  states: string[],
): Promise<{ state: string; text: string }> {
  await panel.waitForFunction(
    (s: string[]) => {
      const a = (window as unknown as { __answers: { state: string }[] }).__answers;
      const started = a.findIndex((x) => x.state === 'streaming');
      const last = a[a.length - 1];
      return started >= 0 && !!last && s.includes(last.state);
    },
    // 'mutation': a tab in the background paints no frames, so requestAnimationFrame polling would stall.
    { timeout: 120_000, polling: 'mutation' },
    states,
  );
  const all = await answerHistory(panel);
  return all[all.length - 1]!;
}

describe.skipIf(!hasChromium)(
  'a person using Sotto in Chromium (flows 1-6, privacy canary)',
  () => {
    const canary = makeCanary();
    let stack: BrowserStack;
    let site: ArticleServer;
    let extensionDir: string;
    let profileDir: string;
    let ext: ExtensionBrowser | undefined;
    let panel: Page;
    let cdp: CDPSession;
    let authenticatorId: string;
    let credential: VirtualCredential;
    let prf: PrfRecord[] = [];
    const answers: string[] = [];
    const storage: { where: string; bytes: Buffer }[] = [];

    beforeAll(async () => {
      [stack, site, extensionDir] = await Promise.all([
        // Two threads on the tiny model: slow enough to press Stop while it is still answering.
        startBrowserStack({ SOTTO_THREADS: '2' }),
        startArticleServer(canary),
        testExtension(),
      ]);
      profileDir = mkdtempSync(join(tmpdir(), 'sotto-e2e-profile-'));
      ext = await launchBrowser(extensionDir, profileDir);
      panel = await ext.openPanel();
      cdp = await panel.createCDPSession();
      authenticatorId = await addAuthenticator(cdp);
    }, 180_000);

    saveArtifactsOnFailure('journey', () => ({
      browser: ext,
      logs: stackLogs(stack),
    }));

    afterAll(async () => {
      await ext?.close();
      await site?.close();
      await stack?.stop();
    });

    it(
      '1. onboarding: a PRF passkey is created, the vault is made, the worker reports unlocked',
      async () => {
        await createVault(panel);
        const status = await askOk<{ state: string; credentialId: string }>(panel, 'vault/status');
        expect(status.state).toBe('unlocked');
        const creds = await credentialsOf(cdp, authenticatorId);
        expect(creds).toHaveLength(1);
        expect(creds[0]).toMatchObject({ rpId: EXTENSION_ORIGIN, isResidentCredential: true });
        expect(status.credentialId).toBe(
          Buffer.from(creds[0]!.credentialId, 'base64').toString('base64url'),
        );
        credential = creds[0]!;
        await configure(panel, stack.clientProxy.url, GENERATION);
      },
      FLOW_TIMEOUT_MS,
    );

    it(
      '2. summarize a page: the panel streams the answer, the lock badge shows dev and the model hash',
      async () => {
        await ext!.openPage(site.articleUrl);
        await panel.bringToFront();
        await watchAnswers(panel);
        await clickMenu(ext!.worker, site.articleUrl, { menuItemId: 'sotto-summarize' });
        const final = await waitForFreshAnswer(panel, ['done']);
        const seen = (await answerHistory(panel)).filter((a) => a.state === 'streaming' && a.text);
        // Several renders while streaming, each extending the last, then the final text.
        // Compared by their letters: the markdown renderer lays out paragraphs, list numbers
        // and emphasis as they complete, so spacing and markers may change between renders.
        const texts = [...seen.map((a) => letters(a.text)), letters(final.text)];
        expect(seen.length).toBeGreaterThanOrEqual(3);
        for (let i = 1; i < texts.length; i++) {
          expect({ i, extends: texts[i]!.startsWith(texts[i - 1]!), texts }).toMatchObject({
            i,
            extends: true,
          });
        }
        expect(texts.at(-1)!.length).toBeGreaterThan(texts[0]!.length);
        answers.push(final.text);

        const badge = await panel.waitForSelector('[data-testid="lock-badge"][data-state="dev"]');
        expect(await badge!.evaluate((e) => e.getAttribute('data-platform'))).toBe('dev');
        expect(await badge!.evaluate((e) => e.getAttribute('data-model-sha256'))).toBe(
          TEST_MODEL_SHA256,
        );
        // Clicking the badge shows the full evidence: platform, model hash.
        await badge!.click();
        const dialog = await panel.waitForSelector('[data-testid="evidence-dialog"][open]');
        const evidence = await dialog!.evaluate((e) => e.textContent ?? '');
        expect(evidence).toContain(TEST_MODEL_SHA256);
        expect(evidence).toMatch(/no hardware/i);
        // The enclave's bound list offers X-Wing, so the request was sealed with it.
        expect(await panel.$eval('[data-testid="evidence-kem"]', (e) => e.textContent)).toMatch(
          /^post-quantum: X-Wing/,
        );
        await panel.click('[data-testid="evidence-close"]');
        await panel.waitForSelector('[data-testid="evidence-dialog"][open]', { hidden: true });
        expect(await panel.$('[data-testid="dev-banner"]')).not.toBeNull();
        // The transcript labels the request instead of printing the page back.
        const label = await panel.$eval(
          '[data-testid="message"][data-role="user"]',
          (e) => e.textContent ?? '',
        );
        expect(label).toContain('Garden notes');
        const list = await askOk<Conversation[]>(panel, 'history/list');
        expect(list).toHaveLength(1);
        expect(list[0]).toMatchObject({
          kind: 'summarize',
          pageUrl: site.articleUrl,
          messageCount: 2,
        });
      },
      FLOW_TIMEOUT_MS,
    );

    it(
      '3. rewrite a selection in a textarea and in a contenteditable, then Insert',
      async () => {
        const editor = await ext!.openPage(site.editorUrl);
        await panel.bringToFront();
        const cases = [
          {
            selector: '#draft',
            original: TEXTAREA_TEXT(canary),
            style: 'shorter',
            select: () =>
              editor.$eval('#draft', (e) => {
                const t = e as HTMLTextAreaElement;
                t.focus();
                t.setSelectionRange(0, t.value.length);
              }),
            read: () => editor.$eval('#draft', (e) => (e as HTMLTextAreaElement).value),
          },
          {
            selector: '#note',
            original: EDITABLE_TEXT(canary),
            style: 'grammar',
            select: () =>
              editor.$eval('#note', (e) => {
                (e as HTMLElement).focus();
                const r = document.createRange();
                r.selectNodeContents(e);
                const s = window.getSelection()!;
                s.removeAllRanges();
                s.addRange(r);
              }),
            read: () => editor.$eval('#note', (e) => e.textContent ?? ''),
          },
        ];
        for (const c of cases) {
          await c.select();
          await watchAnswers(panel);
          await clickMenu(ext!.worker, site.editorUrl, {
            menuItemId: `sotto-rewrite:${c.style}`,
            selectionText: c.original,
            editable: true,
          });
          const done = await waitForFreshAnswer(panel, ['done']);
          expect(done.text.trim().length).toBeGreaterThan(0);
          expect(await c.read()).toBe(c.original);
          await panel.click('[data-testid="insert"]');
          await editor.bringToFront();
          await editor.waitForFunction(
            (sel: string, before: string) => {
              const e = document.querySelector(sel) as HTMLTextAreaElement | HTMLElement;
              const v =
                'value' in e && e.tagName === 'TEXTAREA'
                  ? (e as HTMLTextAreaElement).value
                  : e.textContent;
              return v !== before;
            },
            {},
            c.selector,
            c.original,
          );
          await panel.bringToFront();
          const list = await askOk<Conversation[]>(panel, 'history/list');
          // The newest conversation is this rewrite, with its request and one answer.
          expect(list[0]).toMatchObject({ kind: 'rewrite', messageCount: 2 });
          const stored = await askOk<{ messages: Message[] }>(panel, 'history/get', {
            conversationId: list[0]!.id,
          });
          const inserted = stored.messages.find((m) => m.role === 'assistant')!.content;
          // A contenteditable keeps line breaks as elements: compare the text without whitespace.
          expect(squash(await c.read())).toBe(squash(inserted));
          answers.push(inserted);
        }
      },
      FLOW_TIMEOUT_MS,
    );

    it(
      '4. a three-turn chat, and Stop mid-answer stops it',
      async () => {
        await panel.bringToFront();
        await panel.click('[data-testid="new-chat"]');
        for (const [i, text] of [
          `Once upon a time ${canary}`,
          `Tell me about the cat ${canary}`,
        ].entries()) {
          await watchAnswers(panel);
          await sendChat(panel, text);
          const a = await waitForAnswer(panel, i + 1, ['done']);
          expect(a.text.length).toBeGreaterThan(0);
          answers.push(a.text);
        }
        // The third answer may be long: it is stopped after its first words arrive.
        await askOk(panel, 'settings/set', { generation: { maxTokens: 400, temperature: 0 } });
        await watchAnswers(panel);
        await sendChat(panel, `And then the dog said ${canary}`);
        await panel.waitForFunction(
          () => {
            const all = document.querySelectorAll('[data-testid="answer"]');
            const a = all[all.length - 1];
            return (
              all.length === 3 &&
              a?.getAttribute('data-state') === 'streaming' &&
              (a.querySelector('[data-testid="answer-text"]')?.textContent ?? '').length > 0
            );
          },
          { timeout: 120_000, polling: 'mutation' },
        );
        await panel.click('[data-testid="stop"]');
        const stopped = await waitForAnswer(panel, 3, ['stopped']);
        expect(await panel.$('[data-testid="stopped-note"]')).not.toBeNull();
        await panel.waitForSelector('[data-testid="send"]');
        // The enclave saw the request end early: the client went away.
        await stack.enclave.waitForLog((l) => l.outcome === 'client-gone');
        const list = await askOk<Conversation[]>(panel, 'history/list');
        const chat = list.find((c) => c.kind === 'chat')!;
        const { messages } = await askOk<{ messages: Message[] }>(panel, 'history/get', {
          conversationId: chat.id,
        });
        expect(messages.map((m) => [m.role, m.status])).toEqual([
          ['user', 'complete'],
          ['assistant', 'complete'],
          ['user', 'complete'],
          ['assistant', 'complete'],
          ['user', 'complete'],
          ['assistant', 'stopped'],
        ]);
        expect(letters(stopped.text).startsWith(letters(messages[5]!.content).slice(0, 8))).toBe(
          true,
        );
        await askOk(panel, 'settings/set', { generation: GENERATION });
      },
      FLOW_TIMEOUT_MS,
    );

    it(
      '5. restart with the same profile: history is back after unlock; no plaintext at rest',
      async () => {
        // Lock and unlock once in the panel, noting the PRF output the virtual authenticator gives.
        await panel.click('[data-testid="lock"]');
        await waitForVault(panel, 'locked');
        await recordPrf(panel);
        await panel.click('[data-testid="unlock-button"]');
        await waitForVault(panel, 'unlocked');
        prf = await recordedPrf(panel);
        expect(prf).toHaveLength(1);
        const before = await askOk<Conversation[]>(panel, 'history/list');
        expect(before.length).toBe(4);

        await ext!.close();
        ext = undefined;
        const files = extensionStorageFiles(profileDir, EXTENSION_ID);
        const idb = files.filter((f) => f.path.includes('indexeddb'));
        expect(idb.length).toBeGreaterThan(0);
        for (const f of files) {
          storage.push({ where: `disk: ${f.path}`, bytes: f.bytes });
          expect({ file: f.path, found: findCanary(f.bytes, canary) }).toEqual({
            file: f.path,
            found: [],
          });
        }
        // Control: what Sotto keeps in clear (the relay URL setting) is findable in the same files.
        const all = Buffer.concat(idb.map((f) => f.bytes));
        expect(findCanary(all, stack.clientProxy.url).length).toBeGreaterThan(0);

        ext = await launchBrowser(extensionDir, profileDir);
        panel = await ext.openPanel((p) => replayPrf(p, prf));
        await waitForVault(panel, 'locked');
        cdp = await panel.createCDPSession();
        authenticatorId = await addAuthenticator(cdp);
        await addCredential(cdp, authenticatorId, credential);
        await panel.click('[data-testid="unlock-button"]');
        await waitForVault(panel, 'unlocked');
        const after = await askOk<Conversation[]>(panel, 'history/list');
        expect(after.map((c) => c.id).sort()).toEqual(before.map((c) => c.id).sort());
        await panel.click('[data-testid="history-toggle"]');
        await panel.waitForSelector(
          `[data-testid="conversation-results"][data-count="${before.length}"]`,
        );
        const chat = after.find((c) => c.kind === 'chat')!;
        const { messages } = await askOk<{ messages: Message[] }>(panel, 'history/get', {
          conversationId: chat.id,
        });
        expect(messages[0]!.content).toContain(canary);

        // The Dexie tables as the browser holds them: sealed, no canary, no answer text.
        const db = await dumpDatabase(panel);
        expect(db.counts).toMatchObject({ conversations: 4, vault: 1 });
        storage.push({ where: 'IndexedDB tables', bytes: db.bytes });
        expect(findCanary(db.bytes, canary)).toEqual([]);
        expect(findCanary(db.bytes, stack.clientProxy.url).length).toBeGreaterThan(0);
      },
      FLOW_TIMEOUT_MS,
    );

    it(
      '6. another passkey cannot unlock: a clear message, nothing decrypted, nothing erased',
      async () => {
        await panel.click('[data-testid="lock"]');
        await waitForVault(panel, 'locked');
        const status = await askOk(panel, 'vault/status');
        const before = await dumpDatabase(panel);

        await removeAuthenticator(cdp, authenticatorId);
        const other = await addAuthenticator(cdp);
        // The person's other passkey for this extension, made on another authenticator.
        await panel.evaluate(`navigator.credentials.create({ publicKey: {
      rp: { id: ${JSON.stringify(EXTENSION_ID)}, name: 'Sotto' },
      user: { id: crypto.getRandomValues(new Uint8Array(16)), name: 'other', displayName: 'other' },
      challenge: crypto.getRandomValues(new Uint8Array(32)),
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      extensions: { prf: {} },
    } }).then(() => true)`);
        await panel.click('[data-testid="unlock-button"]');
        const error = await panel.waitForSelector('[data-testid="unlock-error"]');
        const text = await error!.evaluate((e) => e.textContent ?? '');
        expect(text).toMatch(/does not unlock/);
        expect(text).toMatch(/Nothing was decrypted and nothing was erased/);
        expect(await askOk(panel, 'vault/status')).toEqual(status);
        expect(await ask(panel, 'history/list')).toMatchObject({
          ok: false,
          error: { code: 'locked' },
        });
        const after = await dumpDatabase(panel);
        expect(after.counts).toEqual(before.counts);
        expect(after.bytes.equals(before.bytes)).toBe(true);

        // The right passkey still opens everything.
        await removeAuthenticator(cdp, other);
        authenticatorId = await addAuthenticator(cdp);
        await addCredential(cdp, authenticatorId, credential);
        await panel.click('[data-testid="unlock-button"]');
        await waitForVault(panel, 'unlocked');
        expect(await askOk<Conversation[]>(panel, 'history/list')).toHaveLength(4);
      },
      FLOW_TIMEOUT_MS,
    );

    it(
      'privacy: the canary and the answers appear nowhere between browser and enclave, in relay logs or at rest',
      async () => {
        const places: { where: string; bytes: Buffer }[] = [
          { where: 'browser ↔ relay', bytes: stack.clientProxy.recorded() },
          { where: 'relay ↔ enclave', bytes: stack.enclaveProxy.recorded() },
          { where: 'relay logs', bytes: Buffer.from(stack.relay.output()) },
          ...storage,
        ];
        expect(places[0]!.bytes.length).toBeGreaterThan(10_000);
        expect(places[1]!.bytes.length).toBeGreaterThan(10_000);
        expect(answers.length).toBeGreaterThanOrEqual(5);
        for (const { where, bytes } of places) {
          expect({ where, found: findCanary(bytes, canary) }).toEqual({ where, found: [] });
          for (const a of answers.filter((x) => x.trim().length >= 24)) {
            expect({ where, answer: bytes.includes(Buffer.from(a.trim().slice(0, 24))) }).toEqual({
              where,
              answer: false,
            });
          }
        }
      },
      FLOW_TIMEOUT_MS,
    );

    it(
      'control: the same scan finds the canary in a deliberately unencrypted sample',
      async () => {
        const page = await ext!.openPage(site.articleUrl);
        const before = stack.clientProxy.recorded().length;
        // Plain HTTP from a page to the same proxy: the canary in a body, a URL, base64 and hex.
        await page.evaluate(
          async (url: string, c: string) => {
            const body = `${c} ${btoa(`x${c}`)} ${Array.from(new TextEncoder().encode(c), (b) => b.toString(16).padStart(2, '0')).join('')}`;
            await fetch(`${url}/v1/control?q=${encodeURIComponent(`${c} x`)}`, {
              method: 'POST',
              body,
            }).catch(() => undefined);
          },
          stack.clientProxy.url,
          canary,
        );
        await new Promise<void>((resolve) => {
          const check = () =>
            stack.clientProxy.recorded().length > before ? resolve() : setImmediate(check);
          check();
        });
        const sample = stack.clientProxy.recorded().subarray(before);
        expect(findCanary(sample, canary)).toEqual(
          expect.arrayContaining(['raw', 'hex', 'url', expect.stringMatching(/^base64/)]),
        );
      },
      FLOW_TIMEOUT_MS,
    );
  },
);

/**
 * Issue 19, the staples of a side-panel assistant, in headless Debian Chromium with the
 * built extension against the real relay and enclave (test model): code blocks
 * highlighted with Copy, a language label and a wrap toggle; Regenerate keeping
 * versions (1/3 ‹ ›) through a reload from history; history snippets, date groups,
 * pin, bulk delete and the open conversation back after unlock; a temporary
 * conversation that is never stored and is gone after a lock; saved prompts. The
 * test model writes children's stories and never a code fence, so the code-block
 * flow alone is answered by the scripted engine of `support/hostile-enclave.ts`
 * (the real gateway, key ring, dev attestation and protocol; only the model is fixed).
 * Every prompt carries a random canary that no stored row may show in clear.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCanary, makeCanary } from '../support/canary';
import { type RelayProcess, startRelayProcess } from '../support/relay-process';
import { type ArticleServer, startArticleServer, TEXTAREA_TEXT } from './support/article-server';
import { saveArtifactsOnFailure } from './support/artifacts';
import { addAuthenticator } from './support/authenticator';
import {
  clickMenu,
  EXTENSION_ORIGIN,
  type ExtensionBrowser,
  hasChromium,
  launchBrowser,
} from './support/browser';
import { testExtension } from './support/extension-build';
import { type HostileEnclave, startHostileEnclave } from './support/hostile-enclave';
import {
  askOk,
  configure,
  createVault,
  dumpDatabase,
  sendChat,
  waitForAnswer,
  waitForVault,
} from './support/panel';
import { type BrowserStack, startBrowserStack } from './support/stack';

interface Conversation {
  id: string;
  title: string;
  pinned?: boolean;
  snippet?: { before: string; match: string; after: string };
}
interface Message {
  role: string;
  content: string;
}

const GENERATION = { maxTokens: 24, temperature: 0.9 };
const FLOW_TIMEOUT_MS = 240_000;

const CODE = 'const greet = (name: string): string => `hello ${name}`;\n';
const LONG_LINE = `print(${'"word", '.repeat(40)}"end")\n`;

async function answerCount(panel: Page): Promise<number> {
  return panel.$$eval('[data-testid="answer"]', (a) => a.length);
}

async function newChat(panel: Page): Promise<void> {
  await panel.click('[data-testid="new-chat"]');
  await panel.waitForSelector('[data-testid="empty-state"]');
}

/** Opens a conversation from the history list, once the list (filled after it opens) shows it. */
async function openConversation(panel: Page, id: string): Promise<void> {
  const open = `[data-testid="conversation-item"][data-id="${id}"] .conv-open`;
  await panel.waitForSelector(open);
  await panel.click(open);
}

async function openHistory(panel: Page): Promise<void> {
  if (!(await panel.$('[data-testid="conversation-list"]')))
    await panel.click('[data-testid="history-toggle"]');
  await panel.waitForSelector('[data-testid="conversation-list"]');
}

async function lockAndUnlock(panel: Page): Promise<void> {
  await panel.click('[data-testid="lock"]');
  await waitForVault(panel, 'locked');
  await panel.click('[data-testid="unlock-button"]');
  await waitForVault(panel, 'unlocked');
}

/** Whether the worker's context menu has an item with this id (`update` refuses an unknown one). */
async function menuExists(ext: ExtensionBrowser, id: string): Promise<boolean> {
  return (await ext.worker.evaluate(
    `chrome.contextMenus.update(${JSON.stringify(id)}, {}).then(() => true, () => false)`,
  )) as boolean;
}

/**
 * Waits until the newest user turn is of this shape (`.plain` chat text, or a page or
 * rewrite `.turn-label`) and mentions `text`, then for its answer to end.
 */
async function waitForTurn(
  panel: Page,
  shape: '.plain' | '.turn-label',
  text: string,
): Promise<string> {
  await panel.waitForFunction(
    (sel: string, t: string) => {
      const users = document.querySelectorAll('[data-role="user"]');
      return users[users.length - 1]?.querySelector(sel)?.textContent?.includes(t) === true;
    },
    { timeout: 120_000, polling: 'mutation' },
    shape,
    text,
  );
  return (await waitForAnswer(panel, await answerCount(panel), ['done', 'error'])).state;
}

describe.skipIf(!hasChromium)(
  'staples: code, versions, history, temporary, prompts (issue 19)',
  () => {
    const canary = makeCanary();
    let stack: BrowserStack;
    let site: ArticleServer;
    let ext: ExtensionBrowser | undefined;
    let panel: Page;
    let scripted: HostileEnclave | undefined;
    let scriptedRelay: RelayProcess | undefined;

    beforeAll(async () => {
      let extensionDir: string;
      [stack, site, extensionDir] = await Promise.all([
        startBrowserStack(),
        startArticleServer(canary),
        testExtension(),
      ]);
      ext = await launchBrowser(extensionDir, mkdtempSync(join(tmpdir(), 'sotto-e2e-profile-')));
      await ext.browser
        .defaultBrowserContext()
        .overridePermissions(EXTENSION_ORIGIN, ['clipboard-read', 'clipboard-sanitized-write']);
      panel = await ext.openPanel();
      await addAuthenticator(await panel.createCDPSession());
      await createVault(panel);
      await configure(panel, stack.clientProxy.url, GENERATION);
    }, 180_000);

    saveArtifactsOnFailure('staples', () => ({
      browser: ext,
      logs: {
        relay: () => stack.relay.output(),
        enclave: () => stack.enclaveOutput(),
        'scripted-relay': () => scriptedRelay?.output() ?? '',
        'scripted-enclave': () => scripted?.output() ?? '',
      },
    }));

    afterAll(async () => {
      await ext?.close();
      await scriptedRelay?.stop();
      await scripted?.stop();
      await site?.close();
      await stack?.stop();
    });

    it(
      '1. code in an answer: highlighted, labelled, Copy gives the code, Wrap toggles; a hostile fence stays inert',
      async () => {
        const answer = [
          'Here is some code:',
          '',
          '```typescript',
          CODE.trimEnd(),
          '```',
          '',
          '```python',
          LONG_LINE.trimEnd(),
          '```',
          '',
          `\`\`\`js" onmouseover="window.__pwned='fence'" class="lock-badge`,
          'let inert = true;',
          '```',
          '',
          '**the end**',
        ].join('\n');
        scripted = await startHostileEnclave(answer);
        scriptedRelay = await startRelayProcess({
          SOTTO_ENCLAVES: scripted.url,
          SOTTO_HEALTH_INTERVAL: '300ms',
        });
        await configure(panel, scriptedRelay.url, GENERATION);
        await sendChat(panel, `Show me code ${canary}`);
        const done = await waitForAnswer(panel, 1, ['done', 'error']);
        expect(done.state).toBe('done');
        expect(done.text).toContain('the end');

        const body = '[data-testid="answer-text"]';
        const shape = await panel.$$eval(`${body} pre`, (pres) =>
          pres.map((pre) => ({
            label: pre.previousElementSibling?.querySelector('[data-testid="code-lang"]')
              ?.textContent,
            code: pre.querySelector('code')?.textContent,
            tokens: pre.querySelectorAll('span[class^="hljs-"]').length,
            classes: [...pre.querySelectorAll('[class]')].flatMap((e) => [...e.classList]),
          })),
        );
        expect(shape.map((s) => s.label)).toEqual(['typescript', 'python', 'js']);
        expect(shape[0]?.code).toBe(CODE);
        expect(shape[0]!.tokens).toBeGreaterThan(3);
        expect(shape[1]!.tokens).toBeGreaterThan(0);
        expect(shape[2]?.code).toBe('let inert = true;\n');
        // Only the highlighter's classes inside answers: nothing of the extension's UI.
        expect(
          shape.flatMap((s) => s.classes).filter((c) => !/^(hljs|hljs-|language-)|_$/.test(c)),
        ).toEqual([]);
        expect(await panel.$$eval(`${body} [onmouseover]`, (e) => e.length)).toBe(0);
        expect(await panel.$$eval(`${body} .lock-badge`, (e) => e.length)).toBe(0);

        // Copy on the first block puts exactly its code on the clipboard.
        await panel.bringToFront();
        const copies = await panel.$$('[data-testid="code-copy"]');
        expect(copies).toHaveLength(3);
        await copies[0]!.click();
        await panel.waitForFunction(
          () => document.querySelector('[data-testid="code-copy"]')?.textContent === 'Copied',
          { polling: 100 },
        );
        expect(await panel.evaluate(() => navigator.clipboard.readText())).toBe(CODE);

        // Wrap: the long python line fits the panel once wrapped.
        const pyPre = (await panel.$$(`${body} pre`))[1]!;
        const scrolls = () => pyPre.evaluate((pre) => pre.scrollWidth > pre.clientWidth + 1);
        expect(await scrolls()).toBe(true);
        const wraps = await panel.$$('[data-testid="code-wrap"]');
        await wraps[1]!.click();
        expect(await wraps[1]!.evaluate((b) => b.getAttribute('aria-pressed'))).toBe('true');
        expect(await scrolls()).toBe(false);
        await wraps[1]!.click();
        expect(await scrolls()).toBe(true);
        await pyPre.hover();
        expect(await panel.evaluate('window.__pwned')).toBeUndefined();

        await configure(panel, stack.clientProxy.url, GENERATION);
        await newChat(panel);
      },
      FLOW_TIMEOUT_MS,
    );

    it(
      '2. Regenerate keeps every version: 3/3, ‹ shows the earlier one, and all three come back from history',
      async () => {
        await sendChat(panel, `Once upon a time ${canary}`);
        const texts = [(await waitForAnswer(panel, 1, ['done', 'error'])).text];
        for (let i = 2; i <= 3; i++) {
          await panel.click('[data-testid="regenerate"]');
          await panel.waitForSelector(`[data-testid="answer"][data-state="streaming"]`);
          const a = await waitForAnswer(panel, 1, ['done', 'error']);
          expect(a.state).toBe('done');
          texts.push(a.text);
          expect(await panel.$eval('[data-testid="version-label"]', (e) => e.textContent)).toBe(
            `${i}/${i}`,
          );
        }
        expect(await answerCount(panel)).toBe(1);
        await panel.click('[data-testid="version-prev"]');
        await panel.waitForSelector('[data-testid="answer"][data-version="2"]');
        expect(await panel.$eval('[data-testid="version-label"]', (e) => e.textContent)).toBe(
          '2/3',
        );
        expect(await panel.$eval('[data-testid="answer-text"]', (e) => e.textContent)).toBe(
          texts[1],
        );
        await panel.click('[data-testid="version-prev"]');
        await panel.waitForSelector('[data-testid="answer"][data-version="1"]');
        expect(
          await panel.$eval(
            '[data-testid="version-prev"]',
            (b) => (b as HTMLButtonElement).disabled,
          ),
        ).toBe(true);

        const [c] = await askOk<Conversation[]>(panel, 'history/search', { query: canary });
        const { messages } = await askOk<{ messages: Message[] }>(panel, 'history/get', {
          conversationId: c!.id,
        });
        expect(messages.map((m) => m.role)).toEqual([
          'user',
          'assistant',
          'assistant',
          'assistant',
        ]);
        expect(messages.slice(1).map((m) => m.content.replace(/\s+/g, ''))).toEqual(
          texts.map((t) => t.replace(/\s+/g, '')),
        );

        // Reopened from the list: one answer, three versions, the newest shown.
        await newChat(panel);
        await openHistory(panel);
        await openConversation(panel, c!.id);
        await panel.waitForSelector('[data-testid="version-label"]');
        expect(await panel.$eval('[data-testid="version-label"]', (e) => e.textContent)).toBe(
          '3/3',
        );
        expect(await answerCount(panel)).toBe(1);
      },
      FLOW_TIMEOUT_MS,
    );

    it(
      '3. history: the match highlighted in a snippet, grouped under Today, pin, bulk delete, and the open conversation back after unlock',
      async () => {
        // Two more conversations, one about a word only its prompt carries.
        for (const prompt of [`A dragon named Zorblax ${canary}`, `The small cat ${canary}`]) {
          await newChat(panel);
          await sendChat(panel, prompt);
          await waitForAnswer(panel, 1, ['done', 'error']);
        }
        const all = await askOk<Conversation[]>(panel, 'history/list');
        expect(all.length).toBe(4);

        await openHistory(panel);
        await panel.type('[data-testid="search-input"]', 'zorbl');
        // Each keystroke searches: wait for the answer to the whole word, not to "zor".
        await panel.waitForFunction(
          () => document.querySelector('[data-testid="snippet-match"]')?.textContent === 'Zorbl',
          // Interval polling: a changed text node is a characterData mutation, which
          // puppeteer's mutation poller does not watch.
          { polling: 100 },
        );
        expect(
          await panel.$eval('[data-testid="conversation-results"]', (e) =>
            e.getAttribute('data-count'),
          ),
        ).toBe('1');
        expect(await panel.$eval('[data-testid="snippet"]', (e) => e.textContent)).toContain(
          'Zorblax',
        );
        await panel.$eval('[data-testid="search-input"]', (e) => {
          (e as HTMLInputElement).value = '';
          e.dispatchEvent(new Event('input', { bubbles: true }));
        });
        await panel.waitForSelector('[data-testid="conversation-results"][data-count="4"]');
        const groupsOf = () =>
          panel.$$eval('[data-testid="history-group"]', (gs) =>
            gs.map((g) => [
              g.getAttribute('data-group'),
              g.querySelector('h3')?.textContent,
              g.querySelectorAll('[data-testid="conversation-item"]').length,
            ]),
          );
        expect(await groupsOf()).toEqual([['today', 'Today', 4]]);

        // Pin the oldest: it leads the list, under Pinned, and stays pinned in the sealed row.
        const oldest = all[all.length - 1]!;
        await panel.click(
          `[data-testid="conversation-item"][data-id="${oldest.id}"] [data-testid="pin"]`,
        );
        await panel.waitForSelector(
          `[data-testid="conversation-item"][data-id="${oldest.id}"][data-pinned="true"]`,
        );
        expect(await groupsOf()).toEqual([
          ['pinned', 'Pinned', 1],
          ['today', 'Today', 3],
        ]);
        expect(
          (await askOk<Conversation[]>(panel, 'history/list')).find((c) => c.id === oldest.id)
            ?.pinned,
        ).toBe(true);

        // Bulk delete the two newest.
        const [newest, second] = all;
        for (const c of [newest!, second!])
          await panel.click(
            `[data-testid="conversation-item"][data-id="${c.id}"] [data-testid="select"]`,
          );
        expect(await panel.$eval('[data-testid="bulk-count"]', (e) => e.textContent)).toBe(
          '2 selected',
        );
        await panel.click('[data-testid="bulk-delete"]');
        await panel.click('[data-testid="bulk-delete-confirm"]');
        await panel.waitForSelector('[data-testid="conversation-results"][data-count="2"]');
        const left = await askOk<Conversation[]>(panel, 'history/list');
        expect(left.map((c) => c.id).sort()).toEqual(
          all
            .slice(2)
            .map((c) => c.id)
            .sort(),
        );

        // Open one, lock, unlock: the panel is back in it, not in an empty chat.
        const target = left.find((c) => c.id !== oldest.id)!;
        await openConversation(panel, target.id);
        await panel.waitForFunction(
          (t: string) =>
            document.querySelector('[data-testid="conversation-title"]')?.textContent === t,
          { polling: 100 },
          target.title,
        );
        // The worker has noted it (the panel tells it as the conversation opens).
        await expect
          .poll(() => askOk(panel, 'history/get-open'), { timeout: 30_000 })
          .toEqual({ conversationId: target.id });
        await lockAndUnlock(panel);
        await panel.waitForFunction(
          (t: string) =>
            document.querySelector('[data-testid="conversation-title"]')?.textContent === t,
          { polling: 100 },
          target.title,
        );
        expect(await answerCount(panel)).toBe(1);
        // A new chat is remembered as such: the next unlock shows an empty chat.
        await newChat(panel);
        await expect
          .poll(() => askOk(panel, 'history/get-open'), { timeout: 30_000 })
          .toEqual({ conversationId: null });
        await lockAndUnlock(panel);
        await panel.waitForSelector('[data-testid="empty-state"]');
      },
      FLOW_TIMEOUT_MS,
    );

    it(
      '4. a temporary conversation (Alt+T): marked, answered, never stored, gone after a lock',
      async () => {
        const before = await askOk<Conversation[]>(panel, 'history/list');
        const rows = (await dumpDatabase(panel)).counts;
        await panel.click('[data-testid="composer-input"]');
        await panel.keyboard.down('Alt');
        await panel.keyboard.press('KeyT');
        await panel.keyboard.up('Alt');
        await panel.waitForSelector('[data-testid="chat"][data-temporary="true"]');
        await panel.waitForSelector('[data-testid="temporary-note"]');
        expect(
          await panel.$eval('[data-testid="temporary-toggle"]', (b) =>
            b.getAttribute('aria-pressed'),
          ),
        ).toBe('true');
        const secret = `Temporary tale ${makeCanary()}`;
        await sendChat(panel, secret);
        expect((await waitForAnswer(panel, 1, ['done', 'error'])).state).toBe('done');
        await sendChat(panel, 'And then?');
        expect((await waitForAnswer(panel, 2, ['done', 'error'])).state).toBe('done');
        // Still temporary after two turns; nothing new anywhere in the database.
        await panel.waitForSelector('[data-testid="chat"][data-temporary="true"]');
        expect(await askOk<Conversation[]>(panel, 'history/list')).toEqual(before);
        expect((await dumpDatabase(panel)).counts).toEqual(rows);

        await lockAndUnlock(panel);
        await panel.waitForSelector('[data-testid="chat"][data-temporary="false"]');
        await panel.waitForSelector('[data-testid="empty-state"]');
        expect(await panel.evaluate(() => document.body.textContent)).not.toContain(secret);
      },
      FLOW_TIMEOUT_MS,
    );

    it(
      '5. saved prompts: saved, reordered, run in chat and from the context menu on a page and a selection; a system prompt kept with its conversation; in the backup',
      async () => {
        await newChat(panel);
        await panel.click('[data-testid="prompts-toggle"]');
        await panel.waitForSelector('[data-testid="prompts-panel"]');
        const explain = `Explain like I am 12 ${canary}`;
        for (const [name, text] of [
          [`Explain ${canary}`, explain],
          ['Polite', 'Reply politely.'],
        ] as const) {
          await panel.type('[data-testid="prompt-name-input"]', name);
          await panel.type('[data-testid="prompt-text-input"]', text);
          await panel.click('[data-testid="prompt-save"]');
          await panel.waitForFunction(
            (n: string) =>
              [...document.querySelectorAll('[data-testid="prompt-name"]')].some(
                (e) => e.textContent === n,
              ),
            { polling: 'mutation' },
            name,
          );
        }
        const names = () =>
          panel.$$eval('[data-testid="prompt-name"]', (es) => es.map((e) => e.textContent));
        expect(await names()).toEqual([`Explain ${canary}`, 'Polite']);
        await (await panel.$$('[data-testid="prompt-up"]'))[1]!.click();
        await panel.waitForFunction(
          () => document.querySelector('[data-testid="prompt-name"]')?.textContent === 'Polite',
          { polling: 100 },
        );
        const saved = await askOk<{ id: string; name: string; text: string }[]>(
          panel,
          'prompts/list',
        );
        expect(saved.map((p) => p.name)).toEqual(['Polite', `Explain ${canary}`]);
        const [polite, explainPrompt] = saved;
        // Listed in the context menu while the vault is open.
        expect(await menuExists(ext!, `sotto-prompt:${explainPrompt!.id}`)).toBe(true);

        // A system prompt for this conversation, then the prompt run in chat.
        const system = `Speak simply ${canary}`;
        await panel.type('[data-testid="system-prompt-input"]', system);
        await panel.click('[data-testid="system-prompt-save"]');
        await (await panel.$$('[data-testid="prompt-run-chat"]'))[1]!.click();
        expect(await waitForTurn(panel, '.plain', explain)).toBe('done');
        const [chatConv] = await askOk<Conversation[]>(panel, 'history/list');
        const got = await askOk<{ conversation: { systemPrompt?: string }; messages: Message[] }>(
          panel,
          'history/get',
          { conversationId: chatConv!.id },
        );
        expect(got.conversation.systemPrompt).toBe(system);
        expect(got.messages.map((m) => [m.role, m.role === 'user' ? m.content : ''])).toEqual([
          ['user', explain],
          ['assistant', ''],
        ]);

        // From the context menu, on a page: the instruction over the fenced page text.
        await ext!.openPage(site.articleUrl);
        await panel.bringToFront();
        await clickMenu(ext!.worker, site.articleUrl, {
          menuItemId: `sotto-prompt:${explainPrompt!.id}`,
        });
        expect(await waitForTurn(panel, '.turn-label', explain)).toBe('done');
        const [pageConv] = await askOk<(Conversation & { kind: string })[]>(panel, 'history/list');
        expect(pageConv!.kind).toBe('summarize');
        const pageTurn = (
          await askOk<{ messages: Message[] }>(panel, 'history/get', {
            conversationId: pageConv!.id,
          })
        ).messages[0]!.content;
        expect(pageTurn.split('\n')[1]).toBe(explain);
        expect(pageTurn).toContain('<page>');

        // On a selection in a textarea: a custom rewrite with the prompt as its instruction.
        const editor = await ext!.openPage(site.editorUrl);
        await editor.$eval('#draft', (e) => {
          const t = e as HTMLTextAreaElement;
          t.focus();
          t.setSelectionRange(0, t.value.length);
        });
        await panel.bringToFront();
        await clickMenu(ext!.worker, site.editorUrl, {
          menuItemId: `sotto-prompt:${polite!.id}`,
          selectionText: TEXTAREA_TEXT(canary),
          editable: true,
        });
        expect(await waitForTurn(panel, '.turn-label', 'Reply politely.')).toBe('done');
        const [rewriteConv] = await askOk<(Conversation & { kind: string })[]>(
          panel,
          'history/list',
        );
        expect(rewriteConv!.kind).toBe('rewrite');
        expect(await panel.$('[data-testid="insert"]')).not.toBeNull();

        // The encrypted backup carries both prompts.
        expect((await askOk<{ prompts: number }>(panel, 'history/export')).prompts).toBe(2);
        // Locked, the menu no longer lists them (their names are sealed).
        await panel.click('[data-testid="lock"]');
        await waitForVault(panel, 'locked');
        await expect.poll(() => menuExists(ext!, 'sotto-prompts'), { timeout: 30_000 }).toBe(false);
        await panel.click('[data-testid="unlock-button"]');
        await waitForVault(panel, 'unlocked');
        // Unlocked again, the worker lists them again (it rebuilds the menu after the unlock).
        await expect
          .poll(() => menuExists(ext!, `sotto-prompt:${polite!.id}`), { timeout: 30_000 })
          .toBe(true);
      },
      FLOW_TIMEOUT_MS,
    );

    it('privacy: no stored row carries a prompt, an answer, a title or a pin in clear', async () => {
      const db = await dumpDatabase(panel);
      expect(db.counts.conversations).toBeGreaterThan(0);
      expect(findCanary(db.bytes, canary)).toEqual([]);
      expect(findCanary(db.bytes, 'Zorblax')).toEqual([]);
      // Control: a clear value Sotto keeps (the relay URL setting) is found the same way.
      expect(findCanary(db.bytes, stack.clientProxy.url).length).toBeGreaterThan(0);
    });
  },
);

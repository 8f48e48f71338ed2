/**
 * Sync between two Chromium profiles (issue 14), each with its own CDP virtual
 * authenticator (PRF), through the real sync service process, with the real
 * relay and enclave for the answers:
 *
 *   A onboards, chats, turns sync on → B, with no vault, shows a pairing code
 *   and its QR code → A enters the code → both screens show one SAS → A
 *   approves → B makes its own passkey → B has A's conversation → B chats →
 *   A has B's conversation: both lists agree; A's options list both devices → A
 *   removes B, chosen from that list (the vault key rotates under A's passkey) →
 *   B is told, and A's later messages never reach it.
 *   Each side panel's badge row shows the sync state (synced, then removed on B).
 *
 * Waits are on DOM attributes and elements, never on time.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedTarget, type StoreTarget } from '../../backend/test/support/sync-stores';
import { startSyncProcess, type SyncProcess } from '../support/sync-process';
import { addAuthenticator, credentialsOf } from './support/authenticator';
import {
  EXTENSION_ORIGIN,
  type ExtensionBrowser,
  hasChromium,
  launchBrowser,
} from './support/browser';
import { testExtension } from './support/extension-build';
import { askOk, configure, sendChat, waitForAnswer, waitForVault } from './support/panel';
import { type BrowserStack, startBrowserStack } from './support/stack';

const GENERATION = { maxTokens: 24, temperature: 0 };
const FLOW_TIMEOUT_MS = 240_000;

interface Conversation {
  id: string;
  title: string;
  messageCount: number;
}

async function openOptions(ext: ExtensionBrowser): Promise<Page> {
  const page = await ext.browser.newPage();
  await page.goto(`${EXTENSION_ORIGIN}/options.html`);
  await page.waitForSelector('#sync-state:not([data-state=""])');
  return page;
}

async function setUrl(page: Page, url: string): Promise<void> {
  await page.$eval('#sync-url', (e) => {
    (e as HTMLInputElement).value = '';
  });
  await page.type('#sync-url', url);
}

async function list(page: Page): Promise<Conversation[]> {
  const all = await askOk<Conversation[]>(page, 'history/list');
  return all
    .map(({ id, title, messageCount }) => ({ id, title, messageCount }))
    .sort((x, y) => x.id.localeCompare(y.id));
}

describe.skipIf(!hasChromium)('two Chromium profiles paired through the sync service', () => {
  let stack: BrowserStack;
  let target: StoreTarget;
  let sync: SyncProcess;
  let extensionDir: string;
  let a: ExtensionBrowser;
  let b: ExtensionBrowser;
  let panelA: Page;
  let panelB: Page;
  let optionsA: Page;
  let optionsB: Page;

  beforeAll(async () => {
    target = embeddedTarget();
    [stack, extensionDir, sync] = await Promise.all([
      startBrowserStack({}),
      testExtension(),
      startSyncProcess(target.env),
    ]);
    a = await launchBrowser(extensionDir, mkdtempSync(join(tmpdir(), 'sotto-sync-a-')));
    b = await launchBrowser(extensionDir, mkdtempSync(join(tmpdir(), 'sotto-sync-b-')));
  }, 240_000);

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await sync?.stop();
    await stack?.stop();
    await target?.cleanup();
  });

  it(
    'A onboards, chats and turns sync on',
    async () => {
      panelA = await a.openPanel();
      await addAuthenticator(await panelA.createCDPSession());
      await waitForVault(panelA, 'no-vault');
      await panelA.click('[data-testid="create-passkey"]');
      await waitForVault(panelA, 'unlocked');
      await configure(panelA, stack.clientProxy.url, GENERATION);
      await sendChat(panelA, 'Once upon a time');
      await waitForAnswer(panelA, 1, ['done'], FLOW_TIMEOUT_MS);
      optionsA = await openOptions(a);
      await setUrl(optionsA, sync.url);
      await optionsA.click('#sync-on');
      await optionsA.waitForSelector('#sync-state[data-state="synced"]');
      expect(await list(optionsA)).toHaveLength(1);
      // the side panel shows it too, in its badge row (it asks the worker every 15 s)
      const badge = await panelA.waitForSelector('[data-testid="sync-badge"][data-state="synced"]');
      expect(await badge!.evaluate((e) => e.textContent)).toMatch(/Synced \d+ (s|min) ago/);
    },
    FLOW_TIMEOUT_MS,
  );

  it(
    'B pairs: a code and its QR, the same SAS on both screens, then its own passkey',
    async () => {
      optionsB = await b.browser.newPage();
      const cdpB = await optionsB.createCDPSession();
      const authB = await addAuthenticator(cdpB);
      await optionsB.goto(`${EXTENSION_ORIGIN}/options.html`);
      await optionsB.waitForSelector('#pair-join');
      await setUrl(optionsB, sync.url);
      await optionsB.click('#pair-join');
      const codeEl = await optionsB.waitForSelector('#pair-shown-code');
      const code = await codeEl!.evaluate((e) => e.textContent ?? '');
      expect(code).toMatch(/^[0-9A-Z]{8}$/);
      const qr = await optionsB.$eval('#pair-offer img', (e) => (e as HTMLImageElement).src);
      expect(qr).toMatch(/^data:image\/png;base64,/);

      await setUrl(optionsA, sync.url);
      await optionsA.type('#pair-code', code);
      await optionsA.click('#pair-accept');
      const sasA = await (await optionsA.waitForSelector('#pair-sas-code'))!.evaluate(
        (e) => e.textContent,
      );
      const sasB = await (await optionsB.waitForSelector('#pair-sas-code'))!.evaluate(
        (e) => e.textContent,
      );
      expect(sasA).toMatch(/^\d{6}$/);
      expect(sasB).toBe(sasA);
      expect(await optionsB.$('#pair-approve')).toBeNull(); // only the unlocked device approves

      await optionsA.click('#pair-approve');
      await optionsB.waitForSelector('#pair-passkey');
      await optionsB.click('#pair-passkey');
      await optionsB.waitForSelector('#pair-done');
      expect(await credentialsOf(cdpB, authB)).toHaveLength(1);
      expect((await askOk<{ state: string }>(optionsB, 'vault/status')).state).toBe('unlocked');
      expect((await askOk<{ state: string }>(optionsB, 'sync/now')).state).toBe('synced');
      expect(await list(optionsB)).toEqual(await list(optionsA));
    },
    FLOW_TIMEOUT_MS,
  );

  it(
    'B chats; after a sync each side has both conversations, message for message',
    async () => {
      panelB = await b.openPanel();
      await waitForVault(panelB, 'unlocked');
      await configure(panelB, stack.clientProxy.url, GENERATION);
      await sendChat(panelB, 'The little dog');
      await waitForAnswer(panelB, 1, ['done'], FLOW_TIMEOUT_MS);
      expect((await askOk<{ state: string }>(optionsB, 'sync/now')).state).toBe('synced');
      expect((await askOk<{ state: string }>(optionsA, 'sync/now')).state).toBe('synced');
      const listA = await list(optionsA);
      expect(listA).toHaveLength(2);
      expect(await list(optionsB)).toEqual(listA);
      // Options lists both devices by their sealed names, this one marked
      await optionsA.click('#sync-now');
      await optionsA.waitForSelector('#sync-devices li:nth-child(2)');
      const names = await optionsA.$$eval('#sync-devices li', (l) => l.map((e) => e.textContent));
      expect(names).toHaveLength(2);
      expect(names.filter((n) => n?.includes('(this device)'))).toHaveLength(1);
      for (const c of listA) {
        const fromA = await askOk<{ messages: { content: string }[] }>(optionsA, 'history/get', {
          conversationId: c.id,
        });
        const fromB = await askOk<{ messages: { content: string }[] }>(optionsB, 'history/get', {
          conversationId: c.id,
        });
        expect(fromB.messages.map((m) => m.content)).toEqual(fromA.messages.map((m) => m.content));
        expect(fromA.messages.length).toBe(2);
      }
    },
    FLOW_TIMEOUT_MS,
  );

  it(
    'A removes B: B is told, and what A writes afterwards is not readable there',
    async () => {
      // The passkey ceremony a device's "Remove" button runs, here in A's panel
      // (its virtual authenticator lives on that page): one assertion for the vault's PRF.
      const devices = await askOk<{ deviceId: string; self: boolean }[]>(optionsA, 'sync/devices');
      const other = devices.find((d) => !d.self)!.deviceId;
      await panelA.bringToFront(); // WebAuthn answers a focused page only
      const removed = (await panelA.evaluate(`(async () => {
        const status = (await chrome.runtime.sendMessage({ type: 'vault/status' })).value;
        const bytes = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
        const text = (b) => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
        const cred = await navigator.credentials.get({ publicKey: {
          challenge: crypto.getRandomValues(new Uint8Array(32)),
          rpId: location.host,
          allowCredentials: [{ type: 'public-key', id: bytes(status.credentialId) }],
          userVerification: 'required',
          extensions: { prf: { eval: { first: bytes(status.prfSalt) } } },
        } });
        const prf = cred.getClientExtensionResults().prf.results.first;
        return chrome.runtime.sendMessage({ type: 'sync/remove-device', deviceId: ${JSON.stringify(other)}, prf: text(prf), credentialId: text(cred.rawId) });
      })()`)) as { ok: boolean; value: { state: string } };
      expect(removed).toMatchObject({ ok: true, value: { state: 'synced' } });
      const before = await list(optionsB);

      await sendChat(panelA, 'Then the cat');
      await waitForAnswer(panelA, 2, ['done'], FLOW_TIMEOUT_MS);
      expect((await askOk<{ state: string }>(optionsA, 'sync/now')).state).toBe('synced');
      expect((await askOk<{ state: string }>(optionsB, 'sync/now')).state).toBe('removed');
      await panelB.waitForSelector('[data-testid="sync-badge"][data-state="error"]');
      // B keeps what it had; nothing written after the removal reaches it
      expect(await list(optionsB)).toEqual(before);
      const grown = (await list(optionsA)).find((c) => c.messageCount === 4);
      expect(grown).toBeDefined();
      expect(before.find((c) => c.id === grown!.id)?.messageCount).toBe(2);
    },
    FLOW_TIMEOUT_MS,
  );
});

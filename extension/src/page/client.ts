/**
 * Side-panel side of channel 3 (`messaging.ts`): finds the page the user is
 * looking at, injects the content script when it is not there yet (allowed
 * by the activeTab grant of a context-menu click or keyboard command, or by
 * an optional host permission the user gave), and sends it typed messages.
 * Nothing here runs unless the user acted (a click, a menu, a shortcut).
 */

import { i18n } from '../i18n';
import { browser } from 'wxt/browser';
import {
  CONTENT_SCRIPT_FILE,
  MessageError,
  type PageEnvelope,
  type PageMessageMap,
  type PageMessageType,
  type PageReply,
} from '../messaging';

/**
 * Sotto cannot reach the page. `no-tab`: no normal tab is active;
 * `restricted`: a browser page (chrome://, the Web Store, a PDF viewer…);
 * `no-access`: the site has not been granted (use the menu or shortcut, or allow it).
 */
export class PageAccessError extends Error {
  readonly reason: 'no-tab' | 'restricted' | 'no-access';
  /** The page's origin when known, for a permission request. */
  readonly origin: string | undefined;
  constructor(reason: PageAccessError['reason'], origin?: string) {
    super(
      reason === 'no-tab'
        ? i18n.t('page.noTab')
        : reason === 'restricted'
          ? i18n.t('page.restricted')
          : origin
            ? i18n.t('page.noAccessOrigin', { origin, menu: i18n.t('menus.summarize') })
            : i18n.t('page.noAccess', { menu: i18n.t('menus.summarize') }),
    );
    this.name = 'PageAccessError';
    this.reason = reason;
    this.origin = origin;
  }
}

export interface TabRef {
  tabId: number;
  frameId: number;
  url?: string;
  title?: string;
}

const RESTRICTED =
  /^(?:chrome|chrome-extension|edge|about|devtools|view-source|moz-extension|resource):/i;
const STORE = /^https:\/\/(?:chrome\.google\.com\/webstore|chromewebstore\.google\.com)\//i;

function originOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The active tab of this window (the one beside the panel).
 * @throws {PageAccessError} `no-tab` when there is none.
 */
export async function activeTab(): Promise<TabRef> {
  // In the side panel there is no current tab; when the panel page is opened as a
  // tab of its own, act on the page the user was on last (active elsewhere first).
  const self = await browser.tabs.getCurrent().catch(() => undefined);
  const candidates = self
    ? (await browser.tabs.query({ windowType: 'normal' }))
        .filter((t) => t.id !== self.id)
        .sort(
          (a, b) =>
            Number(b.active) - Number(a.active) || (b.lastAccessed ?? 0) - (a.lastAccessed ?? 0),
        )
    : await browser.tabs.query({ active: true, currentWindow: true });
  const tab = candidates[0];
  if (tab?.id === undefined || tab.id < 0) throw new PageAccessError('no-tab');
  return {
    tabId: tab.id,
    frameId: 0,
    ...(tab.url ? { url: tab.url } : {}),
    ...(tab.title ? { title: tab.title } : {}),
  };
}

async function rawSend(tab: TabRef, envelope: PageEnvelope): Promise<PageReply | undefined> {
  try {
    return (await browser.tabs.sendMessage(tab.tabId, envelope, { frameId: tab.frameId })) as
      PageReply | undefined;
  } catch {
    // "Receiving end does not exist": the content script is not in that frame yet.
    return undefined;
  }
}

/**
 * Makes sure the content script answers in `tab`'s frame, injecting it if needed.
 * @throws {PageAccessError} `restricted` or `no-access` when the browser refuses.
 */
export async function ensureContentScript(tab: TabRef): Promise<void> {
  const pong = await rawSend(tab, { type: 'page/ping' });
  if (pong?.ok) return;
  if (tab.url && (RESTRICTED.test(tab.url) || STORE.test(tab.url))) {
    throw new PageAccessError('restricted');
  }
  try {
    await browser.scripting.executeScript({
      target: { tabId: tab.tabId, frameIds: [tab.frameId] },
      files: [CONTENT_SCRIPT_FILE],
    });
  } catch (e) {
    const text = e instanceof Error ? e.message : String(e);
    if (
      /cannot (?:access|be scripted)|extensions gallery|chrome:\/\//i.test(text) &&
      !/permission/i.test(text)
    ) {
      throw new PageAccessError('restricted', originOf(tab.url));
    }
    throw new PageAccessError('no-access', originOf(tab.url));
  }
}

/**
 * Sends a channel-3 message to the content script in `tab` (injecting it first).
 * @throws {PageAccessError} the page cannot be reached.
 * @throws {MessageError} the content script answered with an error, or not at all.
 */
export async function sendPageMessage<K extends PageMessageType>(
  tab: TabRef,
  type: K,
  payload: PageMessageMap[K]['request'],
): Promise<PageMessageMap[K]['response']> {
  await ensureContentScript(tab);
  const reply = (await rawSend(tab, { ...payload, type } as PageEnvelope)) as
    PageReply<K> | undefined;
  if (!reply) {
    throw new MessageError({
      code: 'not-found',
      message: 'The page did not answer. Reload it and try again.',
      messageKey: 'page.noAnswer',
      retryable: true,
    });
  }
  if (!reply.ok) throw new MessageError(reply.error);
  return reply.value;
}

/**
 * Every site Sotto may be allowed to read: the manifest's `optional_host_permissions`
 * (wxt.config.ts). Asked for when the tab's origin is unknown — without a grant the
 * browser hides a tab's URL (`tabs.query` gives none), so there is no origin to name.
 */
export const ALL_SITES = ['http://*/*', 'https://*/*'] as const;

/** The match patterns a site-access request asks for: `origin` alone, or {@link ALL_SITES}. */
export function siteAccessOrigins(origin: string | undefined): string[] {
  return origin ? [`${origin}/*`] : [...ALL_SITES];
}

/**
 * Asks the user to let Sotto read `origin` (an optional host permission), or every
 * site when the origin is unknown. Call it first thing in a click handler, before any
 * other `await`: the browser needs the user gesture. Returns whether it was granted.
 */
export async function requestSiteAccess(origin: string | undefined): Promise<boolean> {
  try {
    return await browser.permissions.request({ origins: siteAccessOrigins(origin) });
  } catch {
    return false;
  }
}

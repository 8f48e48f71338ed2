/**
 * Page actions from the browser's own UI: the context menu ("Summarize this page
 * privately", "Rewrite selection privately" → shorter / clearer / more formal /
 * fix grammar / custom), the keyboard commands, and the toolbar button. Each one
 * opens the side panel inside the user's gesture (before any `await`, or Chrome
 * refuses) and hands the panel an action; nothing is sent until the panel, on the
 * user's behalf, starts a request.
 */
import type { Browser } from 'wxt/browser';
import { i18n, label } from '../i18n';
import type { PageAction, SavedPrompt } from '../messaging';
import { REWRITE_STYLES } from '../page/prompts';
import type { PanelHub } from './panel-hub';

export const MENU_SUMMARIZE = 'sotto-summarize';
export const MENU_REWRITE = 'sotto-rewrite';
/** The "Saved prompts" submenu; its items are `sotto-prompt:<id>`. */
export const MENU_PROMPTS = 'sotto-prompts';
const PROMPT_ITEM = 'sotto-prompt:';
export const COMMAND_SUMMARIZE = 'summarize-page';
export const COMMAND_TOGGLE = 'toggle-panel';

type Tab = Browser.tabs.Tab;

/** The browser APIs used here (Chrome's `sidePanel`, or Firefox's `sidebarAction`). */
export interface MenuBrowser {
  contextMenus: typeof Browser.contextMenus;
  commands: typeof Browser.commands;
  sidePanel?: typeof Browser.sidePanel;
  sidebarAction?: { open(): Promise<void>; close(): Promise<void> };
}

/** MV2's toolbar button (Firefox); MV3 calls it `action`. */
export interface ToolbarBrowser {
  browserAction?: { onClicked: { addListener(fn: (tab: Tab) => void): void } };
}

/**
 * Opens the panel for `tab`'s window: Chrome's side panel, or Firefox's sidebar.
 * Call synchronously from the gesture's handler (toolbar click, menu, command).
 */
export function openPanel(b: MenuBrowser, tab: Tab | undefined): void {
  if (b.sidePanel && tab?.windowId !== undefined) {
    b.sidePanel.open({ windowId: tab.windowId }).catch(() => {});
  } else if (b.sidebarAction) {
    b.sidebarAction.open().catch(() => {});
  }
}

function summarize(tab: Tab): PageAction {
  return {
    type: 'action/summarize',
    actionId: crypto.randomUUID(),
    tabId: tab.id!,
    ...(tab.url ? { pageUrl: tab.url } : {}),
    ...(tab.title ? { pageTitle: tab.title } : {}),
  };
}

/** Creates the menus (call from `runtime.onInstalled`). */
export async function createMenus(b: MenuBrowser): Promise<void> {
  await b.contextMenus.removeAll();
  b.contextMenus.create({
    id: MENU_SUMMARIZE,
    title: i18n.t('menus.summarize'),
    contexts: ['page', 'frame'],
  });
  b.contextMenus.create({
    id: MENU_REWRITE,
    title: i18n.t('menus.rewrite'),
    contexts: ['selection', 'editable'],
  });
  for (const { style, labelKey } of REWRITE_STYLES) {
    b.contextMenus.create({
      id: `${MENU_REWRITE}:${style}`,
      parentId: MENU_REWRITE,
      title: label(labelKey),
      contexts: ['selection', 'editable'],
    });
  }
}

/**
 * Lists the saved prompts in the context menu, on the page and on a selection, or
 * removes the submenu (`[]`: none saved, or the vault is locked: the names are the
 * user's writing and show only while it is open).
 */
export async function updatePromptMenus(b: MenuBrowser, prompts: SavedPrompt[]): Promise<void> {
  // Removing the parent removes its items; it may not exist (first run, worker restart).
  await Promise.resolve()
    .then(() => b.contextMenus.remove(MENU_PROMPTS))
    .catch(() => undefined);
  if (prompts.length === 0) return;
  const contexts: ['page', 'frame', 'selection', 'editable'] = [
    'page',
    'frame',
    'selection',
    'editable',
  ];
  b.contextMenus.create({ id: MENU_PROMPTS, title: i18n.t('menus.savedPrompts'), contexts });
  for (const p of prompts) {
    b.contextMenus.create({
      id: `${PROMPT_ITEM}${p.id}`,
      parentId: MENU_PROMPTS,
      title: p.name,
      contexts,
    });
  }
}

/** Wires menu clicks and commands to the panel hub. */
export function listenForActions(b: MenuBrowser, panels: PanelHub): void {
  b.contextMenus.onClicked.addListener((info, tab) => {
    if (!tab || tab.id === undefined || tab.id < 0) return;
    const id = String(info.menuItemId);
    if (id === MENU_SUMMARIZE) {
      openPanel(b, tab);
      panels.deliver(tab.windowId, summarize(tab));
      return;
    }
    if (id.startsWith(PROMPT_ITEM)) {
      openPanel(b, tab);
      const selection = info.selectionText ?? '';
      panels.deliver(tab.windowId, {
        type: 'action/prompt',
        actionId: crypto.randomUUID(),
        tabId: tab.id,
        frameId: info.frameId ?? 0,
        promptId: id.slice(PROMPT_ITEM.length),
        target: selection ? 'selection' : 'page',
        ...(selection ? { selectionText: selection } : {}),
        ...(tab.url ? { pageUrl: tab.url } : {}),
        ...(tab.title ? { pageTitle: tab.title } : {}),
      });
      return;
    }
    const style = id.startsWith(`${MENU_REWRITE}:`)
      ? REWRITE_STYLES.find((s) => `${MENU_REWRITE}:${s.style}` === id)?.style
      : undefined;
    if (!style) return;
    openPanel(b, tab);
    panels.deliver(tab.windowId, {
      type: 'action/rewrite',
      actionId: crypto.randomUUID(),
      tabId: tab.id,
      frameId: info.frameId ?? 0,
      style,
      selectionText: info.selectionText ?? '',
      ...(tab.url ? { pageUrl: tab.url } : {}),
      ...(tab.title ? { pageTitle: tab.title } : {}),
    });
  });

  b.commands.onCommand.addListener((command, tab) => {
    if (command === COMMAND_TOGGLE) {
      if (!panels.close(tab?.windowId)) openPanel(b, tab);
      return;
    }
    if (command === COMMAND_SUMMARIZE && tab && tab.id !== undefined && tab.id >= 0) {
      openPanel(b, tab);
      panels.deliver(tab.windowId, summarize(tab));
    }
  });
}

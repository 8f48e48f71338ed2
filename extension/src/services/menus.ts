/**
 * Page actions from the browser's own UI: the context menu ("Summarize this page
 * privately", "Ask about this page privately", "Rewrite selection privately" →
 * shorter / clearer / more formal / fix grammar / custom, "Explain selection
 * privately", "Translate selection privately" → the browser's language or another),
 * the keyboard commands, and the toolbar button. Each one
 * opens the side panel inside the user's gesture (before any `await`, or Chrome
 * refuses) and hands the panel an action; nothing is sent until the panel, on the
 * user's behalf, starts a request.
 */
import type { Browser } from 'wxt/browser';
import { i18n, label, uiLanguage } from '../i18n';
import type { PageAction, SavedPrompt } from '../messaging';
import {
  displayLanguage,
  languageName,
  REWRITE_STYLES,
  TRANSLATE_LANGUAGES,
} from '../page/prompts';
import type { PanelHub } from './panel-hub';

export const MENU_SUMMARIZE = 'sotto-summarize';
export const MENU_REWRITE = 'sotto-rewrite';
export const MENU_ASK = 'sotto-ask';
export const MENU_EXPLAIN = 'sotto-explain';
export const MENU_TRANSLATE = 'sotto-translate';
/** `sotto-translate:<tag>`; `sotto-translate:ui` is the browser's own language. */
export const TRANSLATE_UI = 'ui';
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

/** "Into German", in the UI's language (the language named in it too). */
function into(tag: string): string {
  return i18n.t('menus.translateInto', { language: displayLanguage(tag, i18n.t('ext.locale')) });
}

/** The translation targets the menu offers: the browser's language first, then the others. */
export function translateTargets(uiLanguage: string): { id: string; title: string }[] {
  const ui = languageName(uiLanguage);
  return [
    { id: `${MENU_TRANSLATE}:${TRANSLATE_UI}`, title: into(uiLanguage) },
    ...TRANSLATE_LANGUAGES.filter((tag) => languageName(tag) !== ui).map((tag) => ({
      id: `${MENU_TRANSLATE}:${tag}`,
      title: into(tag),
    })),
  ];
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
  // After the rewrite group, so the page menu reads Summarize, Ask (rewrite shows on selections only).
  b.contextMenus.create({
    id: MENU_ASK,
    title: i18n.t('menus.ask'),
    contexts: ['page', 'frame'],
  });
  b.contextMenus.create({
    id: MENU_EXPLAIN,
    title: i18n.t('menus.explain'),
    contexts: ['selection'],
  });
  b.contextMenus.create({
    id: MENU_TRANSLATE,
    title: i18n.t('menus.translate'),
    contexts: ['selection'],
  });
  // The language the panel translates into when the menu names none (src/i18n.ts).
  for (const { id, title } of translateTargets(uiLanguage())) {
    b.contextMenus.create({ id, parentId: MENU_TRANSLATE, title, contexts: ['selection'] });
  }
}

function selectionAction(
  type: 'action/explain' | 'action/translate',
  info: Browser.contextMenus.OnClickData,
  tab: Tab & { id: number },
  language?: string,
): PageAction {
  return {
    type,
    actionId: crypto.randomUUID(),
    tabId: tab.id,
    frameId: info.frameId ?? 0,
    selectionText: info.selectionText ?? '',
    ...(language ? { language } : {}),
    ...(tab.url ? { pageUrl: tab.url } : {}),
    ...(tab.title ? { pageTitle: tab.title } : {}),
  };
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
    if (id === MENU_ASK) {
      openPanel(b, tab);
      panels.deliver(tab.windowId, { ...summarize(tab), type: 'action/ask' });
      return;
    }
    const t = tab as Tab & { id: number };
    if (id === MENU_EXPLAIN) {
      openPanel(b, tab);
      panels.deliver(tab.windowId, selectionAction('action/explain', info, t));
      return;
    }
    // The parent item itself (Firefox lets it be clicked): the browser's language.
    if (id === MENU_TRANSLATE || id.startsWith(`${MENU_TRANSLATE}:`)) {
      const tag = id.slice(MENU_TRANSLATE.length + 1);
      openPanel(b, tab);
      panels.deliver(
        tab.windowId,
        selectionAction(
          'action/translate',
          info,
          t,
          tag && tag !== TRANSLATE_UI && TRANSLATE_LANGUAGES.includes(tag) ? tag : undefined,
        ),
      );
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

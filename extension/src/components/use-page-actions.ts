/**
 * Page actions in the side panel (issue 5 item 4, issue 15): "Summarize this
 * page privately" (panel button, or `action/summarize` from the worker's context
 * menu / shortcut), "Ask about this page" (`action/ask`), "Rewrite selection
 * privately" (`action/rewrite`), "Explain" and "Translate" a selection
 * (`action/explain`, `action/translate`). Reads the page through the content
 * script (`page/client.ts`) or, for a PDF, with pdf.js here in the panel
 * (`page/pdf.ts`, with page progress), starts a new conversation with the fenced
 * prompt, and inserts a rewrite back into the original selection only when the
 * user presses Insert.
 */

import { i18n, label, type PlainMessageKey, uiLanguage } from '../i18n';
import { useCallback, useRef, useState } from 'preact/hooks';
import {
  MessageError,
  type PageAction,
  type PageInsertResult,
  type PageText,
  type RewriteStyle,
  type SavedPrompt,
} from '../messaging';
import {
  activeTab,
  PageAccessError,
  requestSiteAccess,
  sendPageMessage,
  type TabRef,
} from '../page/client';
import { PdfError } from '../page/pdf-limits';
import { readTab } from '../page/read-tab';
import {
  askTurn,
  pageTurn,
  explainTurn,
  languageName,
  rewriteTurn,
  summaryTurn,
  translateTurn,
} from '../page/prompts';
import type { InsertTarget } from './chat-state';
import { errorMessage, formatCount, saidMessage } from './format';
import type { Chat } from './use-chat';

/** A problem reaching the page, shown above the composer. */
export interface PageProblem {
  message: string;
  /** Offer "Allow" (a site-access request): for `origin` when known, else for every site. */
  needsAccess?: boolean;
  /** The tab's origin, when the browser showed it. */
  origin?: string;
  /** What to run again once allowed. */
  again?: () => void;
}

/** A rewrite waiting for the user's custom instruction. */
export interface PendingRewrite {
  text: string;
  style: RewriteStyle;
  target?: InsertTarget;
  pageUrl?: string;
  pageTitle?: string;
}

/** "Ask about this page": the page is read, the question not typed yet. */
export interface PendingAsk {
  page: PageText;
}

/** A selection waiting for the user to pick the language to translate it into. */
export interface PendingTranslate {
  text: string;
  /** BCP 47 tag preselected: the browser's UI language. */
  language: string;
  pageUrl?: string;
  pageTitle?: string;
}

type SelectionAction = Extract<PageAction, { type: 'action/explain' | 'action/translate' }>;

export interface PageActions {
  busy: boolean;
  /** What reading the page is doing now, e.g. "Reading the PDF: page 3 of 12". */
  progress: string | undefined;
  problem: PageProblem | undefined;
  pendingRewrite: PendingRewrite | undefined;
  pendingAsk: PendingAsk | undefined;
  pendingTranslate: PendingTranslate | undefined;
  /** Reads the page (the active tab, or `tab`), then asks for the question. */
  ask(tab?: TabRef): Promise<void>;
  submitAsk(question: string): void;
  cancelAsk(): void;
  /** Explain the selection (from the menu's `action`, or the active tab's). */
  explain(action?: SelectionAction): Promise<void>;
  /** From the menu: translate at once. From the panel: let the user pick the language. */
  translate(action?: SelectionAction): Promise<void>;
  submitTranslate(language: string): void;
  cancelTranslate(): void;
  /** Summarizes the page, or (`instruction`) applies a saved prompt to it. */
  summarize(tab?: TabRef, instruction?: string): Promise<void>;
  /**
   * Runs a saved prompt on the page or on the selection: of the tab a menu click named, or
   * of the active tab (the panel's own buttons).
   */
  runPrompt(
    prompt: SavedPrompt,
    target: 'page' | 'selection',
    from?: Extract<PageAction, { type: 'action/prompt' }>,
  ): Promise<void>;
  rewrite(action: Extract<PageAction, { type: 'action/rewrite' }>): Promise<void>;
  /** The panel's own "Rewrite selection" button: capture, then let the user pick a style. */
  rewriteSelection(): Promise<void>;
  submitRewrite(style: RewriteStyle, instruction: string): void;
  cancelRewrite(): void;
  insert(target: InsertTarget, text: string): Promise<PageInsertResult>;
  allowSite(): Promise<void>;
  dismiss(): void;
}

const INSERT_REASONS: Record<string, PlainMessageKey> = {
  gone: 'page.insertGone',
  changed: 'page.insertChanged',
  'read-only': 'page.insertReadOnly',
  'already-inserted': 'page.insertAlready',
  'unknown-selection': 'page.insertReloaded',
};

/** The user-facing reason an insert failed. */
export function insertFailure(r: PageInsertResult): string | undefined {
  if (r.ok) return undefined;
  const key = Object.hasOwn(INSERT_REASONS, r.reason) ? INSERT_REASONS[r.reason] : undefined;
  return key ? label(key) : i18n.t('page.insertFailed');
}

function describe(e: unknown): PageProblem {
  if (e instanceof PdfError) return { message: saidMessage(e.message, e.said) };
  if (e instanceof PageAccessError) {
    return {
      message: e.message,
      ...(e.reason === 'no-access' ? { needsAccess: true } : {}),
      ...(e.origin ? { origin: e.origin } : {}),
    };
  }
  if (e instanceof MessageError) return { message: errorMessage(e.info) };
  return { message: i18n.t('page.unreadable') };
}

export function usePageActions(chat: Chat): PageActions {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<PageProblem>();
  const [pendingRewrite, setPending] = useState<PendingRewrite>();
  const [pendingAsk, setPendingAsk] = useState<PendingAsk>();
  const [pendingTranslate, setPendingTranslate] = useState<PendingTranslate>();
  const [progress, setProgress] = useState<string>();
  const rewriteSelectionRef = useRef<() => Promise<void>>();

  const summarize = useCallback(
    async (given?: TabRef, instruction?: string) => {
      setProblem(undefined);
      setBusy(true);
      let tab: TabRef | undefined = given;
      try {
        tab ??= await activeTab();
        const page = await readTab(tab, setProgress);
        if (!page.text.trim()) {
          setProblem({ message: i18n.t('page.noText') });
          return;
        }
        const note = page.truncated
          ? i18n.t('page.cutNote', {
              included: formatCount(page.text.length),
              total: formatCount(page.totalChars),
            })
          : undefined;
        chat.newChat();
        chat.send(instruction === undefined ? summaryTurn(page) : pageTurn(page, instruction), {
          context: {
            kind: 'summarize',
            pageUrl: page.url,
            pageTitle: page.title,
            truncated: page.truncated,
          },
          ...(note ? { note } : {}),
        });
      } catch (e) {
        // Again on the same tab for a menu action; on whatever tab is active then for the button.
        setProblem({ ...describe(e), again: () => void summarize(given, instruction) });
      } finally {
        setBusy(false);
        setProgress(undefined);
      }
    },
    [chat],
  );

  const ask = useCallback(async (given?: TabRef) => {
    setProblem(undefined);
    setPendingAsk(undefined);
    setBusy(true);
    try {
      const tab = given ?? (await activeTab());
      const page = await readTab(tab, setProgress);
      if (!page.text.trim()) {
        setProblem({ message: i18n.t('page.noTextAsk') });
        return;
      }
      setPendingAsk({ page });
    } catch (e) {
      setProblem({ ...describe(e), again: () => void askRef.current?.(given) });
    } finally {
      setBusy(false);
      setProgress(undefined);
    }
  }, []);
  const askRef = useRef(ask);
  askRef.current = ask;

  const submitAsk = useCallback(
    (question: string) => {
      const p = pendingAsk;
      if (!p || !question.trim()) return;
      setPendingAsk(undefined);
      chat.newChat();
      chat.send(askTurn(p.page, question), {
        context: {
          kind: 'summarize',
          pageUrl: p.page.url,
          pageTitle: p.page.title,
          truncated: p.page.truncated,
        },
      });
    },
    [chat, pendingAsk],
  );

  /** The selection: the menu's frame (or the active tab), else the menu's own copy of it. */
  const selected = useCallback(
    async (
      action: SelectionAction | undefined,
      verb: string,
    ): Promise<PendingTranslate | undefined> => {
      setProblem(undefined);
      setBusy(true);
      let tab: TabRef | undefined;
      let text = action?.selectionText ?? '';
      try {
        tab = action ? { tabId: action.tabId, frameId: action.frameId } : await activeTab();
        const sel = await sendPageMessage(tab, 'page/selection', {});
        if (sel?.text.trim()) text = sel.text;
      } catch (e) {
        // From the menu, its copy of the selection is enough; from the panel, say why not.
        if (!action) {
          setProblem({ ...describe(e) });
          return undefined;
        }
      } finally {
        setBusy(false);
      }
      if (!text.trim()) {
        setProblem({ message: i18n.t('page.selectFirstFor', { action: verb }) });
        return undefined;
      }
      const pageUrl = action?.pageUrl ?? tab?.url;
      const pageTitle = action?.pageTitle ?? tab?.title;
      return {
        text,
        language: action?.language ?? uiLanguage(),
        ...(pageUrl ? { pageUrl } : {}),
        ...(pageTitle ? { pageTitle } : {}),
      };
    },
    [],
  );

  const startSelection = useCallback(
    (p: PendingTranslate, turn: ReturnType<typeof explainTurn>) => {
      chat.newChat();
      chat.send(turn, {
        context: {
          kind: 'rewrite',
          ...(p.pageUrl ? { pageUrl: p.pageUrl } : {}),
          ...(p.pageTitle ? { pageTitle: p.pageTitle } : {}),
        },
      });
    },
    [chat],
  );

  const explain = useCallback(
    async (action?: SelectionAction) => {
      const p = await selected(action, i18n.t('composer.explain'));
      if (p) startSelection(p, explainTurn(p.text));
    },
    [selected, startSelection],
  );

  const translate = useCallback(
    async (action?: SelectionAction) => {
      setPendingTranslate(undefined);
      const p = await selected(action, i18n.t('composer.translate'));
      if (!p) return;
      if (action) startSelection(p, translateTurn(p.text, languageName(p.language)));
      else setPendingTranslate(p);
    },
    [selected, startSelection],
  );

  const submitTranslate = useCallback(
    (language: string) => {
      const p = pendingTranslate;
      if (!p) return;
      setPendingTranslate(undefined);
      startSelection(p, translateTurn(p.text, languageName(language)));
    },
    [pendingTranslate, startSelection],
  );

  const start = useCallback(
    (p: PendingRewrite, instruction: string) => {
      setPending(undefined);
      chat.newChat();
      chat.send(rewriteTurn(p.text, p.style, instruction), {
        context: {
          kind: 'rewrite',
          ...(p.pageUrl ? { pageUrl: p.pageUrl } : {}),
          ...(p.pageTitle ? { pageTitle: p.pageTitle } : {}),
        },
        ...(p.target ? { insert: p.target } : {}),
      });
    },
    [chat],
  );

  const rewrite = useCallback(
    async (action: Extract<PageAction, { type: 'action/rewrite' }>, instruction?: string) => {
      setProblem(undefined);
      setBusy(true);
      const tab: TabRef = { tabId: action.tabId, frameId: action.frameId };
      let pending: PendingRewrite = {
        text: action.selectionText,
        style: action.style,
        ...(action.pageUrl ? { pageUrl: action.pageUrl } : {}),
        ...(action.pageTitle ? { pageTitle: action.pageTitle } : {}),
      };
      try {
        const sel = await sendPageMessage(tab, 'page/selection', {});
        if (sel) {
          pending = {
            ...pending,
            text: sel.text,
            target: { ...tab, selectionId: sel.selectionId, editable: sel.editable },
          };
        }
      } catch (e) {
        // The menu's copy of the selection still works; only Insert is lost.
        setProblem({
          message: i18n.t('page.copyOnly', { problem: describe(e).message }),
        });
      } finally {
        setBusy(false);
      }
      if (!pending.text.trim()) {
        setProblem({ message: i18n.t('page.nothingSelected') });
        return;
      }
      if (instruction !== undefined) start(pending, instruction);
      else if (action.style === 'custom') setPending(pending);
      else start(pending, '');
    },
    [start],
  );

  const runPrompt: PageActions['runPrompt'] = useCallback(
    async (prompt, target, from) => {
      if (target === 'page') {
        await summarize(from ? { tabId: from.tabId, frameId: 0 } : undefined, prompt.text);
        return;
      }
      if (from) {
        await rewrite(
          {
            type: 'action/rewrite',
            actionId: from.actionId,
            tabId: from.tabId,
            frameId: from.frameId,
            style: 'custom',
            selectionText: from.selectionText ?? '',
            ...(from.pageUrl ? { pageUrl: from.pageUrl } : {}),
            ...(from.pageTitle ? { pageTitle: from.pageTitle } : {}),
          },
          prompt.text,
        );
        return;
      }
      setProblem(undefined);
      setBusy(true);
      try {
        const tab = await activeTab();
        const sel = await sendPageMessage(tab, 'page/selection', {});
        if (!sel?.text.trim()) {
          setProblem({ message: i18n.t('prompts.selectFirst') });
          return;
        }
        start(
          {
            text: sel.text,
            style: 'custom',
            target: { ...tab, selectionId: sel.selectionId, editable: sel.editable },
            ...(tab.url ? { pageUrl: tab.url } : {}),
            ...(tab.title ? { pageTitle: tab.title } : {}),
          },
          prompt.text,
        );
      } catch (e) {
        setProblem(describe(e));
      } finally {
        setBusy(false);
      }
    },
    [summarize, rewrite, start],
  );

  const rewriteSelection = useCallback(async () => {
    setProblem(undefined);
    setBusy(true);
    try {
      const tab = await activeTab();
      const sel = await sendPageMessage(tab, 'page/selection', {});
      if (!sel?.text.trim()) {
        setProblem({
          message: i18n.t('page.selectFirst'),
        });
        return;
      }
      setPending({
        text: sel.text,
        style: 'shorter',
        target: { ...tab, selectionId: sel.selectionId, editable: sel.editable },
        ...(tab.url ? { pageUrl: tab.url } : {}),
        ...(tab.title ? { pageTitle: tab.title } : {}),
      });
    } catch (e) {
      setProblem({ ...describe(e), again: () => void rewriteSelectionRef.current?.() });
    } finally {
      setBusy(false);
    }
  }, []);
  rewriteSelectionRef.current = rewriteSelection;

  const submitRewrite = useCallback(
    (style: RewriteStyle, instruction: string) => {
      if (pendingRewrite) start({ ...pendingRewrite, style }, instruction);
    },
    [pendingRewrite, start],
  );

  const insert = useCallback(
    async (target: InsertTarget, text: string): Promise<PageInsertResult> => {
      try {
        return await sendPageMessage(target, 'page/insert', {
          selectionId: target.selectionId,
          text,
        });
      } catch {
        return { ok: false, reason: 'unknown-selection' };
      }
    },
    [],
  );

  const allowSite = useCallback(async () => {
    const p = problem;
    if (!p?.needsAccess) return;
    // First await in the click handler: the permission prompt needs the user gesture.
    const granted = await requestSiteAccess(p.origin);
    if (granted) {
      setProblem(undefined);
      p.again?.();
    }
  }, [problem]);

  return {
    busy,
    progress,
    problem,
    pendingRewrite,
    pendingAsk,
    pendingTranslate,
    summarize,
    ask,
    submitAsk,
    cancelAsk: () => setPendingAsk(undefined),
    explain,
    translate,
    submitTranslate,
    cancelTranslate: () => setPendingTranslate(undefined),
    runPrompt,
    rewrite,
    rewriteSelection,
    submitRewrite,
    cancelRewrite: () => setPending(undefined),
    insert,
    allowSite,
    dismiss: () => setProblem(undefined),
  };
}

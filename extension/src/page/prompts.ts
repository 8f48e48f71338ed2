/**
 * The turns the side panel sends for page actions. Page text and selections
 * are wrapped in tags and labelled as data: the model is told not to follow
 * instructions found inside them (issue 5 item 8 — page text is never an
 * instruction to the extension; this also tells the model). `describeTurn`
 * turns a stored user turn back into a short label for the transcript, so a
 * long page is not printed back at the user. "Ask about this page"
 * (the page as data, the user's question after it), "Explain" and "Translate"
 * (a selection as data) follow the same fence.
 */

import { DATA_NOTE, fence, type PlanDocument } from '@sotto/protocol/client/plan/prompts';
import type { PlainMessageKey } from '../i18n';
import type { ChatTurn, PageText, RewriteStyle } from '../messaging';

export interface RewriteStyleInfo {
  readonly style: RewriteStyle;
  /** The UI's name for the style (a locale key: the panel and the context menu show it). */
  readonly labelKey: PlainMessageKey;
  /** What the model is told (English: data for the model, not UI). */
  readonly instruction: string;
}

export const REWRITE_STYLES: readonly RewriteStyleInfo[] = [
  {
    style: 'shorter',
    labelKey: 'rewrite.shorter',
    instruction: 'Make it shorter, keeping the meaning.',
  },
  {
    style: 'clearer',
    labelKey: 'rewrite.clearer',
    instruction: 'Make it clearer and easier to read.',
  },
  { style: 'formal', labelKey: 'rewrite.formal', instruction: 'Make it more formal and polite.' },
  {
    style: 'grammar',
    labelKey: 'rewrite.grammar',
    instruction: 'Fix spelling and grammar only; change nothing else.',
  },
  { style: 'custom', labelKey: 'rewrite.custom', instruction: '' },
];

/** What Continue sends after an answer cut at the token limit (to the model; the transcript shows a label). */
export const CONTINUE_PROMPT = 'Continue.';

const PAGE_OPEN = '<page>';
const PAGE_CLOSE = '</page>';
const TEXT_OPEN = '<text>';
const TEXT_CLOSE = '</text>';
const SUMMARY_HEAD = 'Summarize this web page in a few short paragraphs.';
const PAGE_PROMPT_HEAD = 'Do what the next line asks with the web page below.';
const REWRITE_HEAD = 'Rewrite the text below.';
const ASK_HEAD = 'Answer the question below about this web page.';
const EXPLAIN_HEAD = 'Explain the text below in simple words.';
const TRANSLATE_HEAD = 'Translate the text below into ';
const QUESTION = 'Question: ';
// DATA_NOTE and fence come from the planner's prompts (protocol client/plan/prompts.ts), so
// a page sent whole and a page read in parts are fenced the same way.

/** One line, at most `max` characters: a title, address or language cannot open a new line of prompt. */
function oneLine(text: string, max: number): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, max);
}

function pageBlock(page: PageText): string[] {
  const cut = page.truncated
    ? `\nOnly the first ${page.text.length} of ${page.totalChars} characters are included.`
    : '';
  return [
    `Title: ${oneLine(page.title, 300) || '(none)'}`,
    `Address: ${oneLine(page.url, 2000)}${cut}`,
    PAGE_OPEN,
    fence(page.text, PAGE_CLOSE),
    PAGE_CLOSE,
  ];
}

/** The user turn that asks for a summary of `page`. */
export function summaryTurn(page: PageText): ChatTurn {
  return { role: 'user', content: [SUMMARY_HEAD, DATA_NOTE, ...pageBlock(page)].join('\n') };
}

/**
 * The user turn that asks `question` about `page`: the page is data, the question
 * (the user's own words) comes after it, fenced too so it cannot reopen the block.
 */
export function askTurn(page: PageText, question: string): ChatTurn {
  return {
    role: 'user',
    content: [
      ASK_HEAD,
      DATA_NOTE,
      ...pageBlock(page),
      `${QUESTION}${fence(question.trim(), PAGE_CLOSE)}`,
    ].join('\n'),
  };
}

/** The user turn that asks to explain `text` (a selection). */
export function explainTurn(text: string): ChatTurn {
  return {
    role: 'user',
    content: [EXPLAIN_HEAD, DATA_NOTE, TEXT_OPEN, fence(text, TEXT_CLOSE), TEXT_CLOSE].join('\n'),
  };
}

/** The user turn that asks to translate `text` into `language` (its English name, e.g. `German`). */
export function translateTurn(text: string, language: string): ChatTurn {
  return {
    role: 'user',
    content: [
      `${TRANSLATE_HEAD}${oneLine(language, 60) || 'English'}.`,
      'Reply with the translation only, no preface.',
      DATA_NOTE,
      TEXT_OPEN,
      fence(text, TEXT_CLOSE),
      TEXT_CLOSE,
    ].join('\n'),
  };
}

/** The user turn that applies a saved prompt's `instruction` to `page` (one line of it). */
export function pageTurn(page: PageText, instruction: string): ChatTurn {
  const summary = summaryTurn(page).content.split('\n');
  return {
    role: 'user',
    content: [
      PAGE_PROMPT_HEAD,
      instruction.replace(/\s+/g, ' ').trim() || 'Summarize it.',
      ...summary.slice(1),
    ].join('\n'),
  };
}

/** Languages offered for Translate besides the browser's own (BCP 47 tags). */
export const TRANSLATE_LANGUAGES: readonly string[] = [
  'en',
  'de',
  'fr',
  'es',
  'it',
  'pt',
  'nl',
  'pl',
  'ru',
  'uk',
  'tr',
  'ar',
  'hi',
  'zh',
  'ja',
  'ko',
];

/**
 * The name of the language `tag` names in the UI's language (`de` → `Deutsch` in a
 * German UI), for menus and the panel; the prompt uses {@link languageName}.
 */
export function displayLanguage(tag: string, uiLanguage: string): string {
  const base = tag.split(/[-_]/)[0]?.toLowerCase() ?? '';
  try {
    return new Intl.DisplayNames([uiLanguage], { type: 'language' }).of(base) ?? tag;
  } catch {
    return languageName(tag);
  }
}

/**
 * The English name of the language `tag` names (`de-AT` → `German`), for the prompt
 * and the menu. The region is dropped: the model is asked for the language.
 */
export function languageName(tag: string): string {
  const base = tag.split(/[-_]/)[0]?.toLowerCase() ?? '';
  if (!/^[a-z]{2,3}$/.test(base)) return 'English';
  try {
    return new Intl.DisplayNames(['en'], { type: 'language' }).of(base) ?? 'English';
  } catch {
    return 'English';
  }
}

/** The user turn that asks to rewrite `text` in `style` (`instruction` for `custom`). */
export function rewriteTurn(text: string, style: RewriteStyle, instruction = ''): ChatTurn {
  const how =
    style === 'custom'
      ? instruction.trim() || 'Improve it.'
      : (REWRITE_STYLES.find((s) => s.style === style)?.instruction ?? '');
  return {
    role: 'user',
    content: [
      REWRITE_HEAD,
      how,
      'Reply with the rewritten text only, no preface.',
      DATA_NOTE,
      TEXT_OPEN,
      fence(text, TEXT_CLOSE),
      TEXT_CLOSE,
    ].join('\n'),
  };
}

/**
 * A stored user turn for display. The English around the user's text (the prompt
 * lines) is not shown: `style`, `cut` and `continue` let the UI say it in its own language.
 */
/** Characters sent, of the page's total, when only the start of the page was sent. */
export interface PageCut {
  included: number;
  total: number;
}

export type TurnDescription =
  | { kind: 'plain'; text: string }
  | { kind: 'continue' }
  | {
      kind: 'summary';
      title: string;
      url: string;
      chars: number;
      note: string;
      /** A saved prompt's instruction run on the page (absent: a plain summary). */
      how?: string;
      cut?: PageCut;
    }
  | { kind: 'rewrite'; how: string; text: string; style: RewriteStyle }
  | {
      kind: 'ask';
      question: string;
      title: string;
      url: string;
      chars: number;
      note: string;
      /** A saved prompt's instruction run on the page (absent: a plain summary). */
      how?: string;
      /** Set when only the start of the page was sent: characters sent, of the page's total. */
      cut?: PageCut;
    }
  | { kind: 'explain'; text: string }
  | { kind: 'translate'; language: string; text: string };

function between(content: string, open: string, close: string): string | undefined {
  const a = content.indexOf(`\n${open}\n`);
  const b = content.lastIndexOf(`\n${close}`);
  if (a < 0 || b < a) return undefined;
  return content.slice(a + open.length + 2, b);
}

function pageParts(content: string) {
  const body = between(content, PAGE_OPEN, PAGE_CLOSE);
  if (body === undefined) return undefined;
  const cut = /\n(Only the first (\d+) of (\d+) characters are included\.)\n/.exec(content);
  return {
    title: /\nTitle: (.*)\n/.exec(content)?.[1] ?? '',
    url: /\nAddress: (\S*)/.exec(content)?.[1] ?? '',
    chars: body.length,
    note: cut?.[1] ?? '',
    ...(cut ? { cut: { included: Number(cut[2]), total: Number(cut[3]) } } : {}),
  };
}

/** What a stored user turn was, for display. Never throws; unknown shapes are `plain`. */
export function describeTurn(content: string): TurnDescription {
  if (content.startsWith(`${SUMMARY_HEAD}\n`) || content.startsWith(`${PAGE_PROMPT_HEAD}\n`)) {
    const how = content.startsWith(PAGE_PROMPT_HEAD) ? (content.split('\n')[1] ?? '') : undefined;
    const parts = pageParts(content);
    if (parts) return { kind: 'summary', ...parts, ...(how !== undefined ? { how } : {}) };
  }
  if (content.startsWith(`${ASK_HEAD}\n`)) {
    const at = content.lastIndexOf(`\n${PAGE_CLOSE}\n${QUESTION}`);
    const parts = at < 0 ? undefined : pageParts(content.slice(0, at + PAGE_CLOSE.length + 1));
    if (parts) {
      const question = content.slice(at + PAGE_CLOSE.length + 2 + QUESTION.length);
      return { kind: 'ask', question, ...parts };
    }
  }
  if (content.startsWith(`${EXPLAIN_HEAD}\n`)) {
    const body = between(content, TEXT_OPEN, TEXT_CLOSE);
    if (body !== undefined) return { kind: 'explain', text: body };
  }
  if (content.startsWith(TRANSLATE_HEAD)) {
    const language = /^Translate the text below into (.*)\.\n/.exec(content)?.[1];
    const body = between(content, TEXT_OPEN, TEXT_CLOSE);
    if (language !== undefined && body !== undefined)
      return { kind: 'translate', language, text: body };
  }
  if (content.startsWith(`${REWRITE_HEAD}\n`)) {
    const body = between(content, TEXT_OPEN, TEXT_CLOSE);
    const how = content.split('\n')[1] ?? '';
    const style = REWRITE_STYLES.find((s) => s.style !== 'custom' && s.instruction === how)?.style;
    if (body !== undefined) return { kind: 'rewrite', how, text: body, style: style ?? 'custom' };
  }
  if (content === CONTINUE_PROMPT) return { kind: 'continue' };
  return { kind: 'plain', text: content };
}

/**
 * The page a summary, ask or saved-prompt turn carries and the request about it, for the planner
 * (protocol client/plan/): a page too long for the model is read in parts. For an
 * ask turn the request is the question, the user's own words (they stay outside the
 * page's fence, as in the whole turn). `undefined` for any other turn.
 */
export function pageOfTurn(
  content: string,
): { doc: PlanDocument; instruction: string } | undefined {
  let instruction = SUMMARY_HEAD;
  let page = content;
  if (content.startsWith(`${PAGE_PROMPT_HEAD}\n`)) {
    // A saved prompt run on the page: its one line of instruction is the request.
    instruction = content.split('\n')[1] ?? '';
  } else if (content.startsWith(`${ASK_HEAD}\n`)) {
    const at = content.lastIndexOf(`\n${PAGE_CLOSE}\n${QUESTION}`);
    if (at < 0) return undefined;
    const question = content.slice(at + PAGE_CLOSE.length + 2 + QUESTION.length);
    instruction = `${ASK_HEAD} ${QUESTION}${oneLine(question, 2000)}`;
    page = content.slice(0, at + PAGE_CLOSE.length + 1);
  } else if (!content.startsWith(`${SUMMARY_HEAD}\n`)) return undefined;
  const text = between(page, PAGE_OPEN, PAGE_CLOSE);
  if (text === undefined) return undefined;
  const title = /\nTitle: (.*)\n/.exec(page)?.[1] ?? '';
  const url = /\nAddress: (\S*)/.exec(page)?.[1] ?? '';
  return { doc: { title: title === '(none)' ? '' : title, url, text }, instruction };
}

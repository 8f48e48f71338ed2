/**
 * The history list's date groups: Pinned, Today, Yesterday, Last 7 days, then one per
 * month, by the browser's time zone and locale. "Today" and "Yesterday" come from
 * `Intl.RelativeTimeFormat` and the month names from `Intl.DateTimeFormat`, so they are
 * in the browser's language without a string of ours. Pure (the clock is passed in).
 */
import type { ConversationSummary } from '../messaging';

export type DateGroupKey = 'pinned' | 'today' | 'yesterday' | 'week' | `month-${string}`;

export interface DateGroup<T> {
  key: DateGroupKey;
  label: string;
  items: T[];
}

const DAY_MS = 86_400_000;

/** Local midnight of the day `at` falls on. */
function startOfDay(at: number): number {
  const d = new Date(at);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

/** Whole local days from `at`'s day to `now`'s day (DST-safe: calendar days, not 24 h). */
function daysAgo(at: number, now: number): number {
  return Math.round((startOfDay(now) - startOfDay(at)) / DAY_MS);
}

export function dateGroupOf(at: number, now: number): DateGroupKey {
  const days = daysAgo(at, now);
  if (days <= 0) return 'today';
  if (days === 1) return 'yesterday';
  if (days < 7) return 'week';
  const d = new Date(at);
  return `month-${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
}

function capitalize(text: string, locale: string | undefined): string {
  return text.charAt(0).toLocaleUpperCase(locale) + text.slice(1);
}

/** Labels for the groups Intl has no word for: the panel passes the UI language's (`history.*`). */
export interface GroupWords {
  pinned: string;
  week: string;
}
export const ENGLISH_GROUP_WORDS: GroupWords = { pinned: 'Pinned', week: 'Last 7 days' };

export function groupLabel(
  key: DateGroupKey,
  locale: string | undefined,
  words: GroupWords = ENGLISH_GROUP_WORDS,
): string {
  if (key === 'pinned') return words.pinned;
  if (key === 'week') return words.week;
  if (key === 'today' || key === 'yesterday') {
    const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
    return capitalize(rtf.format(key === 'today' ? 0 : -1, 'day'), locale);
  }
  const [, y, m] = key.split('-');
  const month = new Date(Number(y), Number(m) - 1, 1);
  return capitalize(
    new Intl.DateTimeFormat(locale, { month: 'long', year: 'numeric' }).format(month),
    locale,
  );
}

/**
 * Conversations in groups, in list order within each: pinned first, then by date of
 * last use. `list` is newest first, as the worker sends it.
 */
export function groupConversations<T extends Pick<ConversationSummary, 'updatedAt' | 'pinned'>>(
  list: readonly T[],
  now: number,
  locale: string | undefined,
  words: GroupWords = ENGLISH_GROUP_WORDS,
): DateGroup<T>[] {
  const groups = new Map<DateGroupKey, T[]>();
  for (const c of list) {
    const key = c.pinned ? 'pinned' : dateGroupOf(c.updatedAt, now);
    const items = groups.get(key);
    if (items) items.push(c);
    else groups.set(key, [c]);
  }
  const order = (k: DateGroupKey) =>
    k === 'pinned' ? 0 : k === 'today' ? 1 : k === 'yesterday' ? 2 : k === 'week' ? 3 : 4;
  return [...groups.entries()]
    .sort(([a], [b]) => order(a) - order(b) || (a < b ? 1 : a > b ? -1 : 0))
    .map(([key, items]) => ({ key, label: groupLabel(key, locale, words), items }));
}

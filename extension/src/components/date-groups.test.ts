/** History date groups against a fixed clock, in the machine's own time zone, in two locales. */
import { describe, expect, it } from 'vitest';
import { dateGroupOf, groupConversations, groupLabel } from './date-groups';

// Local times, so the test holds in any time zone.
const NOW = new Date(2026, 11, 4, 9, 30).getTime();
const at = (y: number, m: number, d: number, h = 12) => new Date(y, m, d, h).getTime();

describe('date groups', () => {
  it('puts times in Today, Yesterday, Last 7 days, then months', () => {
    expect(dateGroupOf(at(2026, 11, 4, 0), NOW)).toBe('today');
    expect(dateGroupOf(at(2026, 11, 3, 23), NOW)).toBe('yesterday');
    expect(dateGroupOf(at(2026, 11, 3, 0), NOW)).toBe('yesterday');
    expect(dateGroupOf(at(2026, 10, 28), NOW)).toBe('week');
    expect(dateGroupOf(at(2026, 10, 27), NOW)).toBe('month-2026-11');
    expect(dateGroupOf(at(2025, 0, 1), NOW)).toBe('month-2025-01');
    // A clock that went back a little still says today.
    expect(dateGroupOf(NOW + 60_000, NOW)).toBe('today');
  });

  it('labels by the locale: Intl words for days and months', () => {
    expect(groupLabel('today', 'en')).toBe('Today');
    expect(groupLabel('yesterday', 'en')).toBe('Yesterday');
    expect(groupLabel('today', 'de')).toBe('Heute');
    expect(groupLabel('yesterday', 'de')).toBe('Gestern');
    expect(groupLabel('month-2026-11', 'en')).toBe('November 2026');
    expect(groupLabel('month-2026-03', 'de')).toBe('März 2026');
    expect(groupLabel('week', 'en')).toBe('Last 7 days');
  });

  it('groups a newest-first list: pinned first, then days, then months newest first', () => {
    const list = [
      { id: 1, updatedAt: at(2026, 11, 4) },
      { id: 2, updatedAt: at(2026, 11, 3), pinned: true },
      { id: 3, updatedAt: at(2026, 11, 3) },
      { id: 4, updatedAt: at(2026, 10, 30) },
      { id: 5, updatedAt: at(2026, 9, 2) },
      { id: 6, updatedAt: at(2025, 11, 31) },
    ];
    const groups = groupConversations(list, NOW, 'en');
    expect(groups.map((g) => [g.label, g.items.map((c) => c.id)])).toEqual([
      ['Pinned', [2]],
      ['Today', [1]],
      ['Yesterday', [3]],
      ['Last 7 days', [4]],
      ['October 2026', [5]],
      ['December 2025', [6]],
    ]);
  });
});

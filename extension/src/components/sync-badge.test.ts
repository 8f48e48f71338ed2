/** What the side panel's sync badge says for each worker sync status. */
import { describe, expect, it, vi } from 'vitest';

// The labels come from the locale files: English, through chrome.i18n, bound before imports.
await vi.hoisted(async () => {
  const { installChromeI18n } = await import('../../test/support/locale-messages');
  installChromeI18n('en');
});

import { syncBadgeView } from './sync-badge';

const NOW = 1_700_000_000_000;

describe('syncBadgeView', () => {
  it('is absent while sync is off', () => {
    expect(syncBadgeView({ state: 'off', pending: 0 }, NOW)).toBeNull();
  });

  it('says how long ago the last sync finished, and that a copy was kept after a conflict', () => {
    expect(syncBadgeView({ state: 'synced', pending: 0, syncedAt: NOW - 120_000 }, NOW)).toEqual({
      state: 'synced',
      label: 'Synced 2 min ago',
      look: 'badge-ok',
    });
    expect(
      syncBadgeView({ state: 'conflict', pending: 0, syncedAt: NOW - 5_000 }, NOW)?.label,
    ).toBe('Synced 5 s ago · copy kept');
  });

  it('shows a running sync over the last outcome', () => {
    expect(syncBadgeView({ state: 'unreachable', pending: 2, syncing: true }, NOW)?.state).toBe(
      'syncing',
    );
  });

  it('tells waiting, offline, locked and the errors apart', () => {
    const state = (s: Parameters<typeof syncBadgeView>[0]['state']) =>
      syncBadgeView({ state: s, pending: 3 }, NOW);
    expect(state('pending')).toMatchObject({ state: 'waiting', label: 'Sync: 3 waiting' });
    expect(state('unreachable')).toMatchObject({ state: 'offline', label: 'Sync offline' });
    expect(state('locked')?.state).toBe('locked');
    expect(state('tampered')).toMatchObject({ state: 'error', look: 'badge-bad' });
    expect(state('removed')).toMatchObject({ state: 'error', look: 'badge-bad' });
  });
});

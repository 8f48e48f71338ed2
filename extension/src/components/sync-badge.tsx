/**
 * Sync state in the side panel (issue 14), beside the lock badge: compact —
 * synced (how long ago), syncing, waiting, offline, or an error — and absent
 * while sync is off. A click syncs now; Options holds the details and pairing.
 * The worker is asked again every {@link SYNC_BADGE_POLL_MS} (its alarm syncs once a minute).
 */

import { useCallback, useEffect, useState } from 'preact/hooks';
import { i18n, label as text, type PlainMessageKey } from '../i18n';
import { sendMessage } from '../messaging';
import type { SyncStatus } from '../sync-messaging';
import { formatAge } from './format';
import { Icon } from './icons';

export const SYNC_BADGE_POLL_MS = 15_000;

/** What the badge says; `look` picks the colours of the lock badge's states. */
export type SyncBadgeState = 'synced' | 'syncing' | 'waiting' | 'offline' | 'error' | 'locked';

/** The longer sentence for each state: Options shows it, the badge uses it as its tooltip. */
export const SYNC_STATE_TEXT: Record<SyncStatus['state'], PlainMessageKey> = {
  off: 'sync.off',
  synced: 'sync.synced',
  pending: 'sync.pending',
  conflict: 'sync.conflict',
  unreachable: 'sync.unreachable',
  tampered: 'sync.tampered',
  removed: 'sync.removed',
  locked: 'sync.locked',
  rekey: 'sync.rekey',
};

export function syncBadgeView(
  s: SyncStatus,
  now: number,
): { state: SyncBadgeState; label: string; look: string } | null {
  if (s.state === 'off') return null;
  if (s.syncing)
    return { state: 'syncing', label: text('sync.badge.syncing'), look: 'badge-pending' };
  switch (s.state) {
    case 'synced':
    case 'conflict': {
      const synced =
        s.syncedAt === undefined
          ? text('sync.badge.synced')
          : i18n.t('sync.badge.syncedAgo', {
              age: formatAge(Math.max(0, now - s.syncedAt) / 1000),
            });
      const label =
        s.state === 'conflict' ? i18n.t('sync.badge.copyKept', { state: synced }) : synced;
      return { state: 'synced', label, look: 'badge-ok' };
    }
    case 'pending':
      return {
        state: 'waiting',
        label: i18n.t('sync.badge.waiting', { count: String(s.pending) }),
        look: 'badge-pending',
      };
    case 'unreachable':
      return { state: 'offline', label: text('sync.badge.offline'), look: 'badge-pending' };
    case 'locked':
      return { state: 'locked', label: text('sync.badge.locked'), look: 'badge-pending' };
    case 'tampered':
      return { state: 'error', label: text('sync.badge.tampered'), look: 'badge-bad' };
    case 'removed':
      return { state: 'error', label: text('sync.badge.removed'), look: 'badge-bad' };
    case 'rekey':
      return { state: 'error', label: text('sync.badge.rekey'), look: 'badge-bad' };
  }
}

export function SyncBadge() {
  const [status, setStatus] = useState<SyncStatus | undefined>();
  const [busy, setBusy] = useState(false);
  const refresh = useCallback(async () => {
    try {
      setStatus(await sendMessage('sync/status'));
    } catch {
      // the worker restarts; the next poll asks again
    }
  }, []);
  useEffect(() => {
    void refresh();
    const t = setInterval(() => void refresh(), SYNC_BADGE_POLL_MS);
    return () => clearInterval(t);
  }, [refresh]);
  const view = status && syncBadgeView(busy ? { ...status, syncing: true } : status, Date.now());
  if (!status || !view) return null;
  const syncNow = async () => {
    setBusy(true);
    try {
      setStatus(await sendMessage('sync/now'));
    } catch {
      void refresh();
    } finally {
      setBusy(false);
    }
  };
  return (
    <button
      type="button"
      class={`badge ${view.look}`}
      data-testid="sync-badge"
      data-state={view.state}
      title={text(SYNC_STATE_TEXT[status.state])}
      aria-label={i18n.t('sync.badge.action', { state: view.label })}
      disabled={view.state === 'syncing'}
      onClick={() => void syncNow()}
    >
      {view.look === 'badge-bad' && <Icon name="warn" />} {view.label}
    </button>
  );
}

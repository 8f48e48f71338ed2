/**
 * Sync state in the side panel (issue 14), beside the lock badge: compact —
 * synced (how long ago), syncing, waiting, offline, or an error — and absent
 * while sync is off. A click syncs now; Options holds the details and pairing.
 * The worker is asked again every {@link SYNC_BADGE_POLL_MS} (its alarm syncs once a minute).
 */

import { useCallback, useEffect, useState } from 'preact/hooks';
import { sendMessage } from '../messaging';
import type { SyncStatus } from '../sync-messaging';
import { formatAge } from './format';
import { Icon } from './icons';

export const SYNC_BADGE_POLL_MS = 15_000;

/** What the badge says; `look` picks the colours of the lock badge's states. */
export type SyncBadgeState = 'synced' | 'syncing' | 'waiting' | 'offline' | 'error' | 'locked';

export function syncBadgeView(
  s: SyncStatus,
  now: number,
): { state: SyncBadgeState; label: string; look: string } | null {
  if (s.state === 'off') return null;
  if (s.syncing) return { state: 'syncing', label: 'Syncing…', look: 'badge-pending' };
  switch (s.state) {
    case 'synced':
    case 'conflict': {
      const ago =
        s.syncedAt === undefined ? '' : ` ${formatAge(Math.max(0, now - s.syncedAt) / 1000)} ago`;
      const copy = s.state === 'conflict' ? ' · copy kept' : '';
      return { state: 'synced', label: `Synced${ago}${copy}`, look: 'badge-ok' };
    }
    case 'pending':
      return { state: 'waiting', label: `Sync: ${s.pending} waiting`, look: 'badge-pending' };
    case 'unreachable':
      return { state: 'offline', label: 'Sync offline', look: 'badge-pending' };
    case 'locked':
      return { state: 'locked', label: 'Sync paused (locked)', look: 'badge-pending' };
    case 'tampered':
      return { state: 'error', label: 'Sync error: server changed history', look: 'badge-bad' };
    case 'removed':
      return { state: 'error', label: 'Sync: device removed', look: 'badge-bad' };
    case 'rekey':
      return { state: 'error', label: 'Sync: confirm the new key in Options', look: 'badge-bad' };
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
  if (!view) return null;
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
      title={status?.detail}
      aria-label={`Sync: ${view.label}. Sync now.`}
      disabled={view.state === 'syncing'}
      onClick={() => void syncNow()}
    >
      {view.look === 'badge-bad' && <Icon name="warn" />} {view.label}
    </button>
  );
}

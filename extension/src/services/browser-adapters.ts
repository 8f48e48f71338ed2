/**
 * The vault's platform parts in the extension: the unwrapped key in
 * `storage.session` (memory only; cleared when the browser closes; trusted
 * extension contexts only), and the idle lock as an `alarms` alarm (survives
 * the worker being stopped while idle).
 */
import type { Browser } from 'wxt/browser';
import { fromBase64Url, toBase64Url } from '../messaging';
import type { IdleTimer, KeyHolder } from './vault';

const KEY_ITEM = 'sotto.vaultKey';
export const IDLE_LOCK_ALARM = 'sotto-idle-lock';

/** A {@link KeyHolder} over `storage.session`. */
export function sessionKeyHolder(storage: typeof Browser.storage): KeyHolder {
  // Session storage is trusted-contexts-only by default; say so explicitly.
  storage.session.setAccessLevel?.({ accessLevel: 'TRUSTED_CONTEXTS' }).catch(() => {});
  return {
    async load() {
      const got = await storage.session.get(KEY_ITEM);
      const v = got[KEY_ITEM];
      return typeof v === 'string' && v.length > 0 ? fromBase64Url(v) : undefined;
    },
    async save(key) {
      await storage.session.set({ [KEY_ITEM]: toBase64Url(key) });
    },
    async clear() {
      await storage.session.remove(KEY_ITEM);
    },
  };
}

/** An {@link IdleTimer} over `alarms`; wire `onAlarm` for {@link IDLE_LOCK_ALARM} to `vault.lock()`. */
export function alarmIdleTimer(alarms: typeof Browser.alarms): IdleTimer {
  return {
    async arm(minutes) {
      await alarms.create(IDLE_LOCK_ALARM, { delayInMinutes: Math.max(0.5, minutes) });
    },
    async disarm() {
      await alarms.clear(IDLE_LOCK_ALARM);
    },
  };
}

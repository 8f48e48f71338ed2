/**
 * The sync messages (issue 14), added to messaging.ts's typed map by module
 * augmentation so the shared file stays untouched. Only extension pages ask.
 */
import type { VaultStatus } from './messaging';

/** What the UI shows about sync. */
export type SyncState =
  | 'off'
  | 'synced'
  | 'pending'
  | 'conflict'
  | 'unreachable'
  | 'tampered'
  | 'removed'
  | 'locked'
  /** Another device removed a device and handed this one the new key: confirm with the passkey. */
  | 'rekey';

export interface SyncStatus {
  state: SyncState;
  /** Local conversations not yet on the server. */
  pending: number;
  /** A short sentence for a person (never record content). */
  detail?: string;
  /** The sync service in use, when on. */
  url?: string;
  /** A sync is running now (the state is the last one's outcome). */
  syncing?: boolean;
  /** When this device last finished a sync without error (ms since the epoch). */
  syncedAt?: number;
}

/** One device of the sync account. */
export interface SyncDevice {
  deviceId: string;
  /** The name it gave itself (sealed in the account; the server never sees it). */
  label: string;
  addedAt: number;
  /** This device. */
  self: boolean;
}

declare module './messaging' {
  interface MessageMap {
    'sync/status': { request: Record<string, never>; response: SyncStatus };
    /** Turns sync on with a sync service URL, or off with null (history stays). */
    'sync/configure': { request: { url: string | null; label?: string }; response: SyncStatus };
    /** The account's devices as of the last sync. */
    'sync/devices': { request: Record<string, never>; response: SyncDevice[] };
    /**
     * Removes one device: rotates the vault key under this device's passkey (PRF output, as
     * for `vault/unlock`), uploads under it, retires the old account with handovers for the rest.
     */
    'sync/remove-device': {
      request: { deviceId: string; prf: string; credentialId: string };
      response: SyncStatus;
    };
    /** Confirms, with this device's passkey, the new key another device's removal handed over. */
    'sync/follow-removal': { request: { prf: string; credentialId: string }; response: SyncStatus };
    /** Pulls, merges and pushes now; never fails: the outcome is the status. */
    'sync/now': { request: Record<string, never>; response: SyncStatus };
    /** New device: opens a pairing slot; returns the code to show (and draw as a QR code). */
    'sync/pair-offer': { request: { url: string }; response: { code: string } };
    /** New device: waits for the other device; the SAS to show. */
    'sync/pair-offer-sas': { request: Record<string, never>; response: { sas: string } };
    /** New device: waits for approval; then `vault/create` wraps the received key with a new passkey. */
    'sync/pair-receive': { request: Record<string, never>; response: { syncUrl: string } };
    /** Unlocked device: the code the new device shows; returns the SAS to compare. */
    'sync/pair-accept': { request: { url: string; code: string }; response: { sas: string } };
    /** Unlocked device: the person saw the same SAS on both screens. */
    'sync/pair-approve': { request: Record<string, never>; response: Record<string, never> };
    'sync/pair-cancel': { request: Record<string, never>; response: Record<string, never> };
    /**
     * Removes every other device: rotates the vault key under this device's passkey (its
     * PRF output, as for `vault/unlock`), re-seals history, retires the old account.
     */
    'sync/remove-others': { request: { prf: string; credentialId: string }; response: SyncStatus };
  }
}

export type { VaultStatus };

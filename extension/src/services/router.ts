/**
 * The worker's side of messaging.ts channel 1: one typed handler per message
 * type, every reply a {@link Reply}. Only extension pages may ask (side panel,
 * options, onboarding); content scripts run beside untrusted pages and get
 * nothing (DESIGN: page text is data, never instructions).
 */
import {
  type Envelope,
  fromBase64Url,
  isEnvelope,
  type MessageMap,
  type MessageType,
  type Reply,
  type RequestOf,
  type ResponseOf,
  toBase64Url,
} from '../messaging';
import { type BackupService, backupEnvelope } from './backup';
import type { DevTrustStore } from './dev-trust';
import type { EvidenceService } from './evidence';
import { ServiceFailure, toErrorInfo } from './failure';
import type { HistoryService } from './history';
import type { PanelHub } from './panel-hub';
import type { SavedPromptsService } from './saved-prompts';
import type { SettingsStore } from './settings-store';
import { syncHandlers } from './sync/handlers';
import type { PairingService } from './sync/pairing-service';
import type { SyncService } from './sync/sync-service';
import type { VaultService } from './vault';

export type Handlers = {
  [K in MessageType]: (request: RequestOf<K>) => Promise<ResponseOf<K>>;
};

export interface Services {
  vault: VaultService;
  history: HistoryService;
  backup: BackupService;
  prompts: SavedPromptsService;
  evidence: EvidenceService;
  settings: SettingsStore;
  panels: PanelHub;
  devTrust: DevTrustStore;
  /** Sync and pairing (issue 14); absent where not wired, and the sync messages say so. */
  sync?: SyncService;
  pairing?: PairingService;
  now?: () => number;
}

/** A per-relay development choice is only ever made for the relay in use now. */
async function currentRelay(s: Services, relayUrl: unknown): Promise<string> {
  const current = (await s.settings.get()).relayUrl;
  if (relayUrl !== current) {
    throw new ServiceFailure({
      code: 'invalid',
      message: 'The relay changed meanwhile; try again.',
      messageKey: 'errors.relayChanged',
      retryable: false,
    });
  }
  return current;
}

/** A vault key received by pairing, for the new device's `vault/create`. */
function withPairedKey(pairing: PairingService | undefined): { vaultKey?: Uint8Array } {
  const vaultKey = pairing?.takeVaultKey();
  return vaultKey ? { vaultKey } : {};
}

/** The handlers, wired to the services. */
export function createHandlers(s: Services): Handlers {
  return {
    'vault/status': () => s.vault.status(),
    'vault/create': (r) =>
      s.vault.create({
        prf: fromBase64Url(r.prf),
        salt: fromBase64Url(r.salt),
        credentialId: fromBase64Url(r.credentialId),
        ...withPairedKey(s.pairing),
      }),
    'vault/unlock': (r) =>
      s.vault.unlock({ prf: fromBase64Url(r.prf), credentialId: fromBase64Url(r.credentialId) }),
    'vault/lock': () => s.vault.lock(),
    'vault/restore': async (r) => {
      const data = fromBase64Url(r.data);
      const envelope = backupEnvelope(data);
      const status = await s.vault.restore({
        prf: fromBase64Url(r.prf),
        salt: fromBase64Url(r.salt),
        credentialId: fromBase64Url(r.credentialId),
        locked: envelope.locked,
      });
      const imported = await s.backup.import(data);
      return { status, ...imported };
    },
    'evidence/use-dev': async (r) => {
      await s.devTrust.accept(await currentRelay(s, r.relayUrl));
      s.evidence.invalidate();
      return {};
    },
    'evidence/trust-dev-key': async (r) => {
      const relayUrl = await currentRelay(s, r.relayUrl);
      try {
        await s.devTrust.pin(relayUrl, String(r.devKeySha256));
      } catch {
        throw new ServiceFailure({
          code: 'invalid',
          message: 'That is not a key fingerprint.',
          retryable: false,
        });
      }
      s.evidence.invalidate();
      return {};
    },
    'evidence/dev-list': () => s.devTrust.list(),
    'evidence/dev-forget': async (r) => {
      await s.devTrust.forget(String(r.relayUrl));
      s.evidence.invalidate();
      return {};
    },
    'evidence/get': async (r) => {
      try {
        return (await s.evidence.current({ fresh: Boolean(r?.fresh) })).summary;
      } catch (e) {
        return { error: toErrorInfo(e) };
      }
    },
    'history/list': () => s.history.list(),
    'history/get': (r) => s.history.get(String(r.conversationId)),
    'history/rename': (r) => s.history.rename(String(r.conversationId), String(r.title)),
    'history/delete': async (r) => {
      await s.history.delete(String(r.conversationId));
      return {};
    },
    'history/delete-many': async (r) => ({
      deleted: await s.history.deleteMany(r.conversationIds),
    }),
    'history/pin': (r) => s.history.setPinned(String(r.conversationId), r.pinned === true),
    'history/set-open': async (r) => {
      await s.history.setOpen(typeof r.conversationId === 'string' ? r.conversationId : null);
      return {};
    },
    'history/get-open': async () => ({ conversationId: await s.history.getOpen() }),
    'history/search': (r) => s.history.search(String(r.query ?? '')),
    'history/export': async () => {
      const out = await s.backup.export();
      const day = new Date((s.now ?? Date.now)()).toISOString().slice(0, 10);
      return {
        fileName: `sotto-history-${day}.sotto-backup`,
        data: toBase64Url(out.bytes),
        conversations: out.conversations,
        messages: out.messages,
        prompts: out.prompts,
      };
    },
    'history/import': (r) => s.backup.import(fromBase64Url(r.data)),
    'history/erase-all': async () => {
      await s.history.clear();
      await s.prompts.clear();
      await s.vault.erase();
      await s.settings.reset();
      await s.devTrust.clear();
      return s.vault.status();
    },
    'prompts/list': () => s.prompts.list(),
    'prompts/save': (r) => s.prompts.save(r?.prompt),
    'prompts/delete': (r) => s.prompts.delete(r?.id),
    'prompts/reorder': (r) => s.prompts.reorder(r?.ids),
    'settings/get': () => s.settings.get(),
    'settings/set': (r) => s.settings.set(r),
    'action/take': async (r) => s.panels.take(r?.windowId),
    ...syncHandlers(s.sync, s.pairing),
  };
}

/** Where a message came from (a subset of `runtime.MessageSender`). */
export interface SenderInfo {
  id?: string;
  url?: string;
  tab?: unknown;
}

/**
 * Whether this worker answers `message` at all: a known type from one of Sotto's
 * own pages. Anything else is left unanswered, so messages meant for other
 * listeners (a panel talking to its content script) are not intercepted.
 */
export function isForWorker(
  handlers: Handlers,
  message: unknown,
  sender: SenderInfo,
  extensionOrigin: string,
): boolean {
  return (
    isEnvelope(message) &&
    Object.hasOwn(handlers, message.type) &&
    Boolean(sender.url?.startsWith(extensionOrigin))
  );
}

/**
 * Answers one message. `extensionOrigin` is `chrome-extension://<id>/`; senders
 * outside it (content scripts, other extensions) are refused.
 */
export async function dispatch(
  handlers: Handlers,
  message: unknown,
  sender: SenderInfo,
  extensionOrigin: string,
): Promise<Reply> {
  try {
    if (!sender.url?.startsWith(extensionOrigin)) {
      throw new ServiceFailure({
        code: 'invalid',
        message: 'Only Sotto’s own pages may ask the worker.',
        retryable: false,
      });
    }
    if (!isEnvelope(message) || !Object.hasOwn(handlers, message.type)) {
      throw new ServiceFailure({ code: 'invalid', message: 'Unknown request.', retryable: false });
    }
    const { type, ...request } = message as Envelope;
    const handler = handlers[type] as (r: unknown) => Promise<MessageMap[typeof type]['response']>;
    return { ok: true, value: await handler(request) };
  } catch (e) {
    return { ok: false, error: toErrorInfo(e) };
  }
}

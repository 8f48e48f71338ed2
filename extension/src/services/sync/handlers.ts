/** The worker's handlers for the sync messages (sync-messaging.ts). */
import { fromBase64Url, type MessageType, type RequestOf, type ResponseOf } from '../../messaging';
import type {} from '../../sync-messaging';
import { ServiceFailure } from '../failure';
import type { PairingService } from './pairing-service';
import type { SyncService } from './sync-service';

type SyncType = Extract<MessageType, `sync/${string}`>;
export type SyncHandlers = { [K in SyncType]: (request: RequestOf<K>) => Promise<ResponseOf<K>> };

const off = () =>
  new ServiceFailure({ code: 'invalid', message: 'Sync is not available here.', retryable: false });

export function syncHandlers(sync?: SyncService, pairing?: PairingService): SyncHandlers {
  const need = <T>(x: T | undefined): T => {
    if (!x) throw off();
    return x;
  };
  return {
    'sync/status': async () => (sync ? sync.status() : { state: 'off', pending: 0 }),
    'sync/configure': async (r) =>
      need(sync).configure(
        r.url === null ? null : String(r.url),
        typeof r.label === 'string' ? r.label : undefined,
      ),
    'sync/devices': async () => need(sync).devices(),
    'sync/remove-device': async (r) =>
      need(sync).removeDevice(String(r.deviceId), {
        prf: fromBase64Url(String(r.prf)),
        credentialId: fromBase64Url(String(r.credentialId)),
      }),
    'sync/follow-removal': async (r) =>
      need(sync).followRemoval({
        prf: fromBase64Url(String(r.prf)),
        credentialId: fromBase64Url(String(r.credentialId)),
      }),
    'sync/now': async () => need(sync).syncNow(),
    'sync/pair-offer': async (r) => need(pairing).offer(String(r.url)),
    'sync/pair-offer-sas': async () => need(pairing).offerSas(),
    'sync/pair-receive': async () => need(pairing).receive(),
    'sync/pair-accept': async (r) => need(pairing).accept(String(r.url), String(r.code)),
    'sync/pair-approve': async () => need(pairing).approve(),
    'sync/pair-cancel': async () => need(pairing).cancel(),
    'sync/remove-others': async (r) =>
      need(sync).removeOtherDevices({
        prf: fromBase64Url(String(r.prf)),
        credentialId: fromBase64Url(String(r.credentialId)),
      }),
  };
}

/**
 * Sync in the options page (issue 14): the sync service, the state (synced /
 * pending / conflict / server unreachable / tampered), and pairing — on a new
 * device a short code and its QR code, on the unlocked device a field for that
 * code, and on both the same six-digit SAS before anything is approved. The
 * account's devices by the names they gave themselves, each removable; a
 * removal made elsewhere is followed after a passkey confirmation.
 */
import { browser } from 'wxt/browser';
import { useEffect, useState } from 'preact/hooks';
import QRCode from 'qrcode';
import { i18n, label } from '../i18n';
import { MessageError, sendMessage, type VaultState } from '../messaging';
import { createPasskeyVault, PasskeyError, unlockWithPasskey } from '../passkey';
import type { SyncDevice, SyncStatus } from '../sync-messaging';
import { errorMessage, passkeyMessage } from './format';
import { interleave, SLOT } from './interleave';
import { SYNC_STATE_TEXT } from './sync-badge';

function message(e: unknown): string {
  if (e instanceof MessageError) return errorMessage(e.info);
  return e instanceof PasskeyError ? passkeyMessage(e) : i18n.t('sync.wrong');
}

async function allow(url: string): Promise<boolean> {
  const origins = [`${new URL(url).origin}/*`];
  if (await browser.permissions.contains({ origins })) return true;
  return browser.permissions.request({ origins });
}

type Pairing =
  | { step: 'idle' }
  | { step: 'code'; code: string; qr: string }
  | { step: 'sas'; sas: string; approver: boolean }
  | { step: 'passkey' }
  | { step: 'done'; text: string };

export function SyncSettings(props: { vault: VaultState | null; onVaultChange?: () => void }) {
  const [status, setStatus] = useState<SyncStatus | null>(null);
  const [url, setUrl] = useState('http://127.0.0.1:8789');
  const [code, setCode] = useState('');
  const [pairing, setPairing] = useState<Pairing>({ step: 'idle' });
  const [error, setError] = useState('');
  const [deviceName, setDeviceName] = useState('');
  const [devices, setDevices] = useState<SyncDevice[]>([]);

  const refresh = async () => {
    try {
      const s = await sendMessage('sync/status');
      setStatus(s);
      if (s.url) setUrl(s.url);
      setDevices(
        s.state !== 'off' && props.vault === 'unlocked' ? await sendMessage('sync/devices') : [],
      );
    } catch (e) {
      setError(message(e));
    }
  };
  const show = async (s: SyncStatus) => {
    setStatus(s);
    await refresh();
  };
  useEffect(() => {
    void refresh();
  }, [props.vault]);

  const run = async (f: () => Promise<void>) => {
    setError('');
    try {
      await f();
    } catch (e) {
      setError(message(e));
      setPairing({ step: 'idle' });
    }
  };

  const turnOn = () =>
    run(async () => {
      if (!(await allow(url)))
        throw new MessageError({
          code: 'invalid',
          message: 'Sotto needs access to that server.',
          messageKey: 'sync.needsAccess',
          retryable: false,
        });
      setStatus(
        await sendMessage('sync/configure', {
          url,
          ...(deviceName.trim() ? { label: deviceName.trim() } : {}),
        }),
      );
      await show(await sendMessage('sync/now'));
    });

  // A new device (no vault yet): show the code, then the SAS, then make its own passkey.
  const join = () =>
    run(async () => {
      if (!(await allow(url))) return;
      const { code: shown } = await sendMessage('sync/pair-offer', { url });
      setPairing({
        step: 'code',
        code: shown,
        qr: await QRCode.toDataURL(shown, { margin: 1, width: 160 }),
      });
      const { sas } = await sendMessage('sync/pair-offer-sas');
      setPairing({ step: 'sas', sas, approver: false });
      await sendMessage('sync/pair-receive');
      setPairing({ step: 'passkey' });
    });

  const makePasskey = () =>
    run(async () => {
      await createPasskeyVault();
      setPairing({ step: 'done', text: i18n.t('sync.paired') });
      props.onVaultChange?.();
      await refresh();
    });

  // The unlocked device: enter the new device's code, compare, approve.
  const accept = () =>
    run(async () => {
      if (!(await allow(url))) return;
      const { sas } = await sendMessage('sync/pair-accept', { url, code });
      setPairing({ step: 'sas', sas, approver: true });
    });

  const approve = () =>
    run(async () => {
      await sendMessage('sync/pair-approve');
      setPairing({
        step: 'done',
        text: i18n.t('sync.approvedOther'),
      });
      setCode('');
    });

  // Removing devices, or following a removal: this device's passkey (one assertion, as for
  // unlocking) wraps the new vault key.
  const withPasskey = (
    send: (passkey: { prf: string; credentialId: string }) => Promise<SyncStatus>,
  ) =>
    run(async () => {
      const real = await sendMessage('vault/status');
      let outcome: SyncStatus | undefined;
      await unlockWithPasskey({
        onlyVaultCredential: true,
        ask: (async (type: string, payload: Record<string, string>) => {
          if (type === 'vault/status') return { ...real, state: 'locked' };
          if (type === 'vault/unlock') {
            outcome = await send({ prf: payload.prf!, credentialId: payload.credentialId! });
            return real;
          }
          throw new Error('unexpected request');
        }) as never,
      });
      if (outcome) await show(outcome);
    });
  const removeOthers = () => withPasskey((p) => sendMessage('sync/remove-others', p));
  const removeDevice = (deviceId: string) =>
    withPasskey((p) => sendMessage('sync/remove-device', { deviceId, ...p }));
  const followRemoval = () => withPasskey((p) => sendMessage('sync/follow-removal', p));

  const cancel = () =>
    run(async () => {
      await sendMessage('sync/pair-cancel');
      setPairing({ step: 'idle' });
    });

  return (
    <section aria-labelledby="sync-h">
      <h2 id="sync-h">{i18n.t('sync.title')}</h2>
      <p class="hint">{i18n.t('sync.hint')}</p>
      <p class="status" role="status" id="sync-state" data-state={status?.state ?? ''}>
        {status ? label(SYNC_STATE_TEXT[status.state]) : '…'}
        {status && status.pending > 0
          ? ` ${i18n.t('sync.waiting', { count: String(status.pending) })}`
          : ''}
      </p>
      <div class="row">
        <label for="sync-url">{i18n.t('sync.server')}</label>
        <input
          id="sync-url"
          type="url"
          value={url}
          onInput={(e) => setUrl((e.target as HTMLInputElement).value)}
        />
        {props.vault === 'unlocked' &&
          (status?.state === 'off' ? (
            <>
              <label for="sync-label">{i18n.t('sync.deviceName')}</label>
              <input
                id="sync-label"
                value={deviceName}
                maxLength={64}
                placeholder={i18n.t('sync.deviceNamePlaceholder')}
                onInput={(e) => setDeviceName((e.target as HTMLInputElement).value)}
              />
              <button type="button" id="sync-on" onClick={turnOn}>
                {i18n.t('sync.turnOn')}
              </button>
            </>
          ) : (
            <>
              <button
                type="button"
                id="sync-now"
                onClick={() => run(async () => show(await sendMessage('sync/now')))}
              >
                {i18n.t('sync.now')}
              </button>
              <button
                type="button"
                id="sync-off"
                onClick={() =>
                  run(async () => setStatus(await sendMessage('sync/configure', { url: null })))
                }
              >
                {i18n.t('sync.turnOff')}
              </button>
            </>
          ))}
      </div>

      {props.vault === 'unlocked' && pairing.step === 'idle' && (
        <div class="row">
          <label for="pair-code">{i18n.t('sync.pairCode')}</label>
          <input
            id="pair-code"
            value={code}
            maxLength={9}
            autocomplete="off"
            onInput={(e) => setCode((e.target as HTMLInputElement).value)}
          />
          <button type="button" id="pair-accept" onClick={accept} disabled={code.trim().length < 8}>
            {i18n.t('sync.pair')}
          </button>
        </div>
      )}
      {props.vault === 'unlocked' && status?.state === 'rekey' && (
        <div class="row">
          <button type="button" id="sync-follow" onClick={followRemoval}>
            {i18n.t('sync.follow')}
          </button>
        </div>
      )}
      {props.vault === 'unlocked' &&
        devices.length > 0 &&
        (pairing.step === 'idle' || pairing.step === 'done') && (
          <ul class="devices" id="sync-devices" aria-label={i18n.t('sync.devices')}>
            {devices.map((d) => (
              <li key={d.deviceId} data-device-id={d.deviceId}>
                <span>{d.self ? i18n.t('sync.thisDevice', { label: d.label }) : d.label}</span>
                {!d.self && (
                  <button
                    type="button"
                    class="danger"
                    data-testid="sync-remove-device"
                    aria-label={i18n.t('sync.removeDevice', { label: d.label })}
                    onClick={() => removeDevice(d.deviceId)}
                  >
                    {i18n.t('sync.remove')}
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      {props.vault === 'unlocked' &&
        status &&
        status.state !== 'off' &&
        pairing.step === 'idle' && (
          <div class="row">
            <button type="button" id="sync-remove-others" class="danger" onClick={removeOthers}>
              {i18n.t('sync.removeOthers')}
            </button>
            <span class="hint">{i18n.t('sync.removeHint')}</span>
          </div>
        )}
      {props.vault === 'no-vault' && pairing.step === 'idle' && (
        <div class="row">
          <button type="button" id="pair-join" onClick={join}>
            {i18n.t('sync.join')}
          </button>
        </div>
      )}
      {pairing.step === 'code' && (
        <div class="row" id="pair-offer">
          <img
            src={pairing.qr}
            alt={i18n.t('sync.qrAlt', { code: pairing.code })}
            width={160}
            height={160}
          />
          <p>
            {interleave(
              i18n.t('sync.enterCode', { code: SLOT }),
              <strong id="pair-shown-code">{pairing.code}</strong>,
            )}
          </p>
        </div>
      )}
      {pairing.step === 'sas' && (
        <div class="row" id="pair-sas">
          <p>
            {interleave(
              i18n.t('sync.sas', { sas: SLOT }),
              <strong id="pair-sas-code">{pairing.sas}</strong>,
            )}{' '}
            {pairing.approver ? i18n.t('sync.approveIf') : i18n.t('sync.approveOtherIf')}
          </p>
          {pairing.approver && (
            <button type="button" id="pair-approve" onClick={approve}>
              {i18n.t('sync.match')}
            </button>
          )}
          <button type="button" id="pair-cancel" onClick={cancel}>
            {i18n.t('sync.differ')}
          </button>
        </div>
      )}
      {pairing.step === 'passkey' && (
        <div class="row">
          <p>{i18n.t('sync.makePasskey')}</p>
          <button type="button" id="pair-passkey" onClick={makePasskey}>
            {i18n.t('onboarding.create')}
          </button>
        </div>
      )}
      {pairing.step === 'done' && (
        <p class="status" id="pair-done">
          {pairing.text}
        </p>
      )}
      {error && (
        <p class="status error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

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
import { MessageError, sendMessage, type VaultState } from '../messaging';
import { createPasskeyVault, PasskeyError, unlockWithPasskey } from '../passkey';
import type { SyncDevice, SyncStatus } from '../sync-messaging';

const STATE_TEXT: Record<SyncStatus['state'], string> = {
  off: 'Off: history stays on this device.',
  synced: 'Synced.',
  pending: 'Changes waiting to upload.',
  conflict: 'Synced; a conflicting edit was kept as a copy.',
  unreachable: 'The sync server cannot be reached; changes wait here.',
  tampered: 'The sync server changed or lost history. Nothing from it was applied.',
  removed: 'This device was removed from sync. Pair it again to rejoin.',
  locked: 'Unlock Sotto to sync.',
  rekey:
    'Another device removed a device and changed the sync key. Confirm with your passkey to keep syncing.',
};

function message(e: unknown): string {
  return e instanceof MessageError || e instanceof PasskeyError
    ? e.message
    : 'Something went wrong.';
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
  const [label, setLabel] = useState('');
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
          retryable: false,
        });
      setStatus(
        await sendMessage('sync/configure', {
          url,
          ...(label.trim() ? { label: label.trim() } : {}),
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
      setPairing({ step: 'done', text: 'This device is paired. History will appear as it syncs.' });
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
        text: 'Approved. The other device now asks for its own passkey.',
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
      <h2 id="sync-h">Sync</h2>
      <p class="hint">
        Your devices share history through a sync server that stores only ciphertext. No account, no
        e-mail: your vault key is the account.
      </p>
      <p class="status" role="status" id="sync-state" data-state={status?.state ?? ''}>
        {status ? STATE_TEXT[status.state] : '…'}
        {status && status.pending > 0 ? ` (${status.pending} waiting)` : ''}
      </p>
      <div class="row">
        <label for="sync-url">Sync server</label>
        <input
          id="sync-url"
          type="url"
          value={url}
          onInput={(e) => setUrl((e.target as HTMLInputElement).value)}
        />
        {props.vault === 'unlocked' &&
          (status?.state === 'off' ? (
            <>
              <label for="sync-label">This device’s name</label>
              <input
                id="sync-label"
                value={label}
                maxLength={64}
                placeholder="Laptop"
                onInput={(e) => setLabel((e.target as HTMLInputElement).value)}
              />
              <button type="button" id="sync-on" onClick={turnOn}>
                Turn on
              </button>
            </>
          ) : (
            <>
              <button
                type="button"
                id="sync-now"
                onClick={() => run(async () => show(await sendMessage('sync/now')))}
              >
                Sync now
              </button>
              <button
                type="button"
                id="sync-off"
                onClick={() =>
                  run(async () => setStatus(await sendMessage('sync/configure', { url: null })))
                }
              >
                Turn off
              </button>
            </>
          ))}
      </div>

      {props.vault === 'unlocked' && pairing.step === 'idle' && (
        <div class="row">
          <label for="pair-code">Add a device: its code</label>
          <input
            id="pair-code"
            value={code}
            maxLength={9}
            autocomplete="off"
            onInput={(e) => setCode((e.target as HTMLInputElement).value)}
          />
          <button type="button" id="pair-accept" onClick={accept} disabled={code.trim().length < 8}>
            Pair
          </button>
        </div>
      )}
      {props.vault === 'unlocked' && status?.state === 'rekey' && (
        <div class="row">
          <button type="button" id="sync-follow" onClick={followRemoval}>
            Confirm the new key with your passkey
          </button>
        </div>
      )}
      {props.vault === 'unlocked' &&
        devices.length > 0 &&
        (pairing.step === 'idle' || pairing.step === 'done') && (
          <ul class="devices" id="sync-devices" aria-label="Devices">
            {devices.map((d) => (
              <li key={d.deviceId} data-device-id={d.deviceId}>
                <span>{d.self ? `${d.label} (this device)` : d.label}</span>
                {!d.self && (
                  <button
                    type="button"
                    class="danger"
                    data-testid="sync-remove-device"
                    aria-label={`Remove ${d.label}`}
                    onClick={() => removeDevice(d.deviceId)}
                  >
                    Remove
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
              Remove all other devices
            </button>
            <span class="hint">
              A new vault key for what is written from now on; devices you keep pair again.
            </span>
          </div>
        )}
      {props.vault === 'no-vault' && pairing.step === 'idle' && (
        <div class="row">
          <button type="button" id="pair-join" onClick={join}>
            Join from another device
          </button>
        </div>
      )}
      {pairing.step === 'code' && (
        <div class="row" id="pair-offer">
          <img src={pairing.qr} alt={`Pairing code ${pairing.code}`} width={160} height={160} />
          <p>
            On your other device, open Sotto’s options and enter{' '}
            <strong id="pair-shown-code">{pairing.code}</strong>.
          </p>
        </div>
      )}
      {pairing.step === 'sas' && (
        <div class="row" id="pair-sas">
          <p>
            Both screens must show <strong id="pair-sas-code">{pairing.sas}</strong>.
            {pairing.approver
              ? ' Approve only if they do.'
              : ' Approve on the other device if they do.'}
          </p>
          {pairing.approver && (
            <button type="button" id="pair-approve" onClick={approve}>
              They match: approve
            </button>
          )}
          <button type="button" id="pair-cancel" onClick={cancel}>
            They differ: cancel
          </button>
        </div>
      )}
      {pairing.step === 'passkey' && (
        <div class="row">
          <p>Approved. Make this device’s own passkey to keep the vault key here.</p>
          <button type="button" id="pair-passkey" onClick={makePasskey}>
            Create passkey
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

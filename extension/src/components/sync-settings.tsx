/**
 * Sync in the options page (issue 14): the sync service, the state (synced /
 * pending / conflict / server unreachable / tampered), and pairing — on a new
 * device a short code and its QR code, on the unlocked device a field for that
 * code, and on both the same six-digit SAS before anything is approved.
 */
import { browser } from 'wxt/browser';
import { useEffect, useState } from 'preact/hooks';
import QRCode from 'qrcode';
import { i18n, type PlainMessageKey, label } from '../i18n';
import { MessageError, sendMessage, type VaultState } from '../messaging';
import { createPasskeyVault, PasskeyError, unlockWithPasskey } from '../passkey';
import type { SyncStatus } from '../sync-messaging';
import { errorMessage, passkeyMessage } from './format';
import { interleave, SLOT } from './interleave';

const STATE_TEXT: Record<SyncStatus['state'], PlainMessageKey> = {
  off: 'sync.off',
  synced: 'sync.synced',
  pending: 'sync.pending',
  conflict: 'sync.conflict',
  unreachable: 'sync.unreachable',
  tampered: 'sync.tampered',
  removed: 'sync.removed',
  locked: 'sync.locked',
};

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

  const refresh = async () => {
    try {
      const s = await sendMessage('sync/status');
      setStatus(s);
      if (s.url) setUrl(s.url);
    } catch (e) {
      setError(message(e));
    }
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
      setStatus(await sendMessage('sync/configure', { url }));
      setStatus(await sendMessage('sync/now'));
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

  // Removing devices: this device's passkey (one assertion, as for unlocking) wraps a new vault key.
  const removeOthers = () =>
    run(async () => {
      const real = await sendMessage('vault/status');
      let outcome: SyncStatus | undefined;
      await unlockWithPasskey({
        onlyVaultCredential: true,
        ask: (async (type: string, payload: Record<string, string>) => {
          if (type === 'vault/status') return { ...real, state: 'locked' };
          if (type === 'vault/unlock') {
            outcome = await sendMessage('sync/remove-others', {
              prf: payload.prf!,
              credentialId: payload.credentialId!,
            });
            return real;
          }
          throw new Error('unexpected request');
        }) as never,
      });
      if (outcome) setStatus(outcome);
    });

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
        {status ? label(STATE_TEXT[status.state]) : '…'}
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
            <button type="button" id="sync-on" onClick={turnOn}>
              {i18n.t('sync.turnOn')}
            </button>
          ) : (
            <>
              <button
                type="button"
                id="sync-now"
                onClick={() => run(async () => setStatus(await sendMessage('sync/now')))}
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

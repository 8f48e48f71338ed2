/**
 * Passkey ceremonies for the vault, run on an extension page (the side panel or
 * onboarding; the service worker has no `navigator.credentials`), with
 * `@simplewebauthn/browser` and the WebAuthn `prf` extension (WebAuthn L3 §10.1.4).
 *
 * - RP ID = the extension id (`chrome-extension://<id>` origins use it), fixed by the
 *   manifest `key` (wxt.config.ts), so passkeys survive reinstalls and checkouts.
 * - Challenges are 32 random bytes. There is no server to verify an assertion: the
 *   challenge only has to be fresh; what proves the user is the PRF output itself,
 *   which unwraps the vault key or fails.
 * - The PRF eval input ("salt") is SHA-256("sotto/prf-salt/v1"), stored beside the
 *   wrapped key. It is public and need not be random: the PRF output is secret per
 *   credential, and the KEK's HKDF salt is random per wrap. A fixed input is what
 *   lets a backup be restored on a fresh device with the same (synced) passkey.
 * - No PRF, no vault: if the authenticator cannot give a PRF output the user is told
 *   what works, and nothing is stored — never an unencrypted fallback.
 */
import { startAuthentication, startRegistration } from '@simplewebauthn/browser';
import { readBackupEnvelope } from '@sotto/protocol/sealed/backup';
import {
  fromBase64Url,
  MessageError,
  type MessageType,
  type RequestOf,
  type ResponseOf,
  sendMessage,
  toBase64Url,
  type VaultStatus,
} from '../messaging';
import {
  BROWSER_CANNOT,
  BROWSER_CANNOT_MAKE_VAULT,
  ceremonyError,
  NO_PRF,
  NO_PRF_MESSAGE,
  noPrfLeftBehind,
  noPrfLeftBehindMessage,
  PasskeyError,
} from './errors';
import { prfDisabled, prfOutput } from './prf';

/** How the page talks to the worker (tests pass the worker's handlers directly). */
export type Ask = <K extends MessageType>(type: K, payload: RequestOf<K>) => Promise<ResponseOf<K>>;

const defaultAsk: Ask = (type, payload) =>
  (sendMessage as (t: MessageType, p: unknown) => Promise<never>)(type, payload);

export interface PasskeyOptions {
  /** WebAuthn RP ID; defaults to the extension id (`chrome.runtime.id`). */
  rpId?: string;
  ask?: Ask;
  /** Ceremony timeout in ms. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 120_000;

/** The PRF eval input of version-1 vaults: SHA-256("sotto/prf-salt/v1"). */
export async function prfSaltV1(): Promise<Uint8Array> {
  const digest = await crypto.subtle.digest(
    'SHA-256',
    new TextEncoder().encode('sotto/prf-salt/v1'),
  );
  return new Uint8Array(digest);
}

function random(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

function defaultRpId(): string {
  // Firefox: an extension page's origin is moz-extension://<random per-install UUID>.
  // No RP ID both fits that origin and outlives a reinstall (Firefox 150+ accepts only a
  // domain the extension has host access to, and Sotto has no domain of its own), so
  // say plainly that the vault cannot be made here rather than bind it to a throwaway id.
  if (globalThis.location?.protocol === 'moz-extension:') {
    throw new PasskeyError('unsupported', BROWSER_CANNOT_MAKE_VAULT, { said: BROWSER_CANNOT });
  }
  const id = (globalThis as { chrome?: { runtime?: { id?: string } } }).chrome?.runtime?.id;
  if (!id) {
    throw new PasskeyError('unsupported', 'Passkeys can only be made from Sotto’s own pages.', {
      said: { messageKey: 'passkey.ownPagesOnly' },
    });
  }
  return id;
}

function fromWorker(e: unknown): never {
  if (e instanceof MessageError) {
    if (e.code === 'wrong-passkey')
      throw new PasskeyError('wrong-passkey', e.message, { cause: e });
    if (e.code === 'vault-exists') throw new PasskeyError('vault-exists', e.message, { cause: e });
    if (e.code === 'no-vault') throw new PasskeyError('no-vault', e.message, { cause: e });
    if (e.code === 'backup-invalid')
      throw new PasskeyError('backup-invalid', e.message, { cause: e });
  }
  throw e;
}

/** One assertion asking for the PRF of `salt`; returns the credential id and the output. */
async function assertWithPrf(
  rpId: string,
  salt: Uint8Array,
  timeout: number,
  credentialId?: string,
): Promise<{ credentialId: string; prf: Uint8Array | undefined }> {
  let response: Awaited<ReturnType<typeof startAuthentication>>;
  try {
    response = await startAuthentication({
      optionsJSON: {
        challenge: toBase64Url(random(32)),
        rpId,
        timeout,
        userVerification: 'required',
        allowCredentials: credentialId ? [{ id: credentialId, type: 'public-key' }] : [],
        extensions: { prf: { eval: { first: salt } } } as never,
      },
    });
  } catch (e) {
    throw ceremonyError(e);
  }
  return { credentialId: response.rawId, prf: prfOutput(response.clientExtensionResults) };
}

/**
 * Tells the passkey provider that `credentialId` is of no use to this RP (WebAuthn
 * Level 3 Signal API, `PublicKeyCredential.signalUnknownCredential`), so it may delete
 * it. Returns false where the browser has no Signal API or the call failed.
 */
async function forgetCredential(rpId: string, credentialId: string): Promise<boolean> {
  const signal = (
    globalThis.PublicKeyCredential as unknown as
      | {
          signalUnknownCredential?: (o: { rpId: string; credentialId: string }) => Promise<void>;
        }
      | undefined
  )?.signalUnknownCredential;
  if (typeof signal !== 'function') return false;
  try {
    await signal.call(globalThis.PublicKeyCredential, { rpId, credentialId });
    return true;
  } catch {
    return false;
  }
}

/**
 * Onboarding: creates a discoverable passkey with PRF (user verification required),
 * reads its PRF output (at creation, or by one assertion right after when the
 * authenticator only evaluates PRF on `get`), and asks the worker to make the vault.
 * @throws {PasskeyError} `no-prf` (nothing stored), `cancelled`, `unsupported`,
 *   `vault-exists`, `failed`.
 */
export async function createPasskeyVault(options: PasskeyOptions = {}): Promise<VaultStatus> {
  const ask = options.ask ?? defaultAsk;
  const rpId = options.rpId ?? defaultRpId();
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const status = await ask('vault/status', {});
  if (status.state !== 'no-vault') {
    throw new PasskeyError(
      'vault-exists',
      'Sotto already has a vault. Unlock it, or erase everything in the options first.',
      { said: { messageKey: 'passkey.vaultExists' } },
    );
  }
  const salt = await prfSaltV1();
  let created: Awaited<ReturnType<typeof startRegistration>>;
  try {
    created = await startRegistration({
      optionsJSON: {
        rp: { id: rpId, name: 'Sotto' },
        user: { id: toBase64Url(random(16)), name: 'Sotto vault', displayName: 'Sotto vault' },
        challenge: toBase64Url(random(32)),
        pubKeyCredParams: [
          { type: 'public-key', alg: -7 },
          { type: 'public-key', alg: -257 },
        ],
        timeout,
        attestation: 'none',
        authenticatorSelection: {
          residentKey: 'required',
          requireResidentKey: true,
          userVerification: 'required',
        },
        extensions: { prf: { eval: { first: salt } } } as never,
      },
    });
  } catch (e) {
    throw ceremonyError(e);
  }
  let prf = prfDisabled(created.clientExtensionResults)
    ? undefined
    : prfOutput(created.clientExtensionResults);
  if (!prf && !prfDisabled(created.clientExtensionResults)) {
    prf = (await assertWithPrf(rpId, salt, timeout, created.rawId)).prf;
  }
  if (!prf) {
    const signalled = await forgetCredential(rpId, created.rawId);
    throw new PasskeyError('no-prf', noPrfLeftBehindMessage(signalled), {
      said: noPrfLeftBehind(signalled),
    });
  }
  try {
    return await ask('vault/create', {
      prf: toBase64Url(prf),
      salt: toBase64Url(salt),
      credentialId: created.rawId,
    });
  } catch (e) {
    return fromWorker(e);
  } finally {
    prf.fill(0);
  }
}

/**
 * Unlock: one assertion for the PRF of the vault's stored salt. Any of the user's
 * discoverable passkeys may be picked; another one than the vault's gets a clear
 * `wrong-passkey` (nothing decrypted, nothing erased). `onlyVaultCredential` asks the
 * browser for the vault's credential alone.
 * @throws {PasskeyError} `no-vault`, `wrong-passkey`, `no-prf`, `cancelled`, `failed`.
 */
export async function unlockWithPasskey(
  options: PasskeyOptions & { onlyVaultCredential?: boolean } = {},
): Promise<VaultStatus> {
  const ask = options.ask ?? defaultAsk;
  const status = await ask('vault/status', {});
  if (status.state === 'unlocked') return status;
  if (status.state === 'no-vault' || !status.prfSalt || !status.credentialId) {
    throw new PasskeyError('no-vault', 'Sotto is not set up yet. Create a passkey first.', {
      said: { messageKey: 'passkey.notSetUp' },
    });
  }
  const rpId = options.rpId ?? defaultRpId();
  const asserted = await assertWithPrf(
    rpId,
    fromBase64Url(status.prfSalt),
    options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    options.onlyVaultCredential ? status.credentialId : undefined,
  );
  if (!asserted.prf) {
    if (asserted.credentialId !== status.credentialId) {
      throw new PasskeyError(
        'wrong-passkey',
        'That passkey does not unlock this vault. Use the passkey you set Sotto up with. Nothing was decrypted and nothing was erased.',
        { said: { messageKey: 'passkey.wrong' } },
      );
    }
    throw new PasskeyError('no-prf', NO_PRF_MESSAGE, { said: NO_PRF });
  }
  try {
    return await ask('vault/unlock', {
      prf: toBase64Url(asserted.prf),
      credentialId: asserted.credentialId,
    });
  } catch (e) {
    return fromWorker(e);
  } finally {
    asserted.prf.fill(0);
  }
}

/**
 * Restores a backup on a device with no vault (a new browser, or after "erase
 * everything"): one assertion with the passkey named in the backup's envelope
 * unwraps the vault key it carries; the worker then makes that the vault and
 * imports the history.
 * @throws {PasskeyError} `vault-exists`, `backup-invalid`, `wrong-passkey`, `no-prf`,
 *   `cancelled`, `failed`.
 */
export async function restoreFromBackup(
  file: Uint8Array,
  options: PasskeyOptions = {},
): Promise<{ status: VaultStatus; conversations: number; messages: number }> {
  const ask = options.ask ?? defaultAsk;
  const status = await ask('vault/status', {});
  if (status.state !== 'no-vault') {
    throw new PasskeyError(
      'vault-exists',
      'Sotto already has a vault here: unlock it and import the backup, or erase everything first.',
      { said: { messageKey: 'passkey.restoreVaultExists' } },
    );
  }
  let envelope: ReturnType<typeof readBackupEnvelope>;
  try {
    envelope = readBackupEnvelope(file);
  } catch (e) {
    throw new PasskeyError('backup-invalid', 'This file is not a Sotto history backup.', {
      cause: e,
      said: { messageKey: 'passkey.notBackup' },
    });
  }
  if (!envelope) {
    throw new PasskeyError('backup-invalid', 'This backup carries no vault key to restore.', {
      said: { messageKey: 'passkey.backupNoKey' },
    });
  }
  const salt = await prfSaltV1();
  const asserted = await assertWithPrf(
    options.rpId ?? defaultRpId(),
    salt,
    options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    toBase64Url(envelope.credentialId),
  );
  if (!asserted.prf) throw new PasskeyError('no-prf', NO_PRF_MESSAGE, { said: NO_PRF });
  try {
    return await ask('vault/restore', {
      data: toBase64Url(file),
      prf: toBase64Url(asserted.prf),
      salt: toBase64Url(salt),
      credentialId: asserted.credentialId,
    });
  } catch (e) {
    return fromWorker(e);
  } finally {
    asserted.prf.fill(0);
  }
}

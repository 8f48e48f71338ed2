/**
 * Pairing in the worker (issue 14, "Devices"), over `@sotto/protocol`
 * sync/pairing-flow.ts. The new device shows a code (and a QR of it); the
 * unlocked device enters it; both show the SAS; the person approves on the
 * unlocked device; the vault key arrives sealed end to end and waits here, in
 * memory only, until this device's own passkey wraps it (`vault/create`).
 *
 * Payload (JSON, sealed by HPKE to the new device): { v: 1, vaultKey, syncUrl }.
 */
import {
  acceptPairing,
  decodePairingJson,
  deriveAccountKey,
  fromBase64Url,
  offerPairing,
  type PairingAcceptance,
  type PairingOffer,
  type PollOptions,
  SyncClient,
  toBase64Url,
  utf8,
} from '@sotto/protocol';
import { ServiceFailure } from '../failure';
import type { VaultService } from '../vault';
import type { SyncService } from './sync-service';
import type { MessageKey } from '../../i18n';

/** `key`: the locale key the pages show instead of `message` (when the user can act on it). */
function failure(message: string, cause?: unknown, key?: MessageKey): ServiceFailure {
  return new ServiceFailure(
    { code: 'invalid', message, retryable: false, ...(key ? { messageKey: key } : {}) },
    { cause },
  );
}

export class PairingService {
  readonly #vault: VaultService;
  readonly #sync: SyncService;
  readonly #fetch: typeof fetch | undefined;
  readonly #poll: PollOptions;
  #offer:
    | { url: string; offer: PairingOffer; receive?: (o?: PollOptions) => Promise<Uint8Array> }
    | undefined;
  #received: { vaultKey: Uint8Array; syncUrl: string } | undefined;
  #acceptance: { url: string; acceptance: PairingAcceptance } | undefined;

  constructor(
    vault: VaultService,
    sync: SyncService,
    options: { fetch?: typeof fetch; poll?: PollOptions } = {},
  ) {
    this.#vault = vault;
    this.#sync = sync;
    this.#fetch = options.fetch;
    this.#poll = options.poll ?? {};
  }

  #client(url: string, withAccount?: Uint8Array): SyncClient {
    return new SyncClient({
      baseUrl: url,
      ...(withAccount ? { account: deriveAccountKey(withAccount) } : {}),
      ...(this.#fetch ? { fetch: this.#fetch } : {}),
    });
  }

  /** New device, step 1: a code to show (and to draw as a QR code). */
  async offer(syncUrl: string): Promise<{ code: string }> {
    const url = new URL(syncUrl).origin;
    const offer = await offerPairing(this.#client(url));
    this.#offer = { url, offer };
    this.#received = undefined;
    return { code: offer.code };
  }

  /** New device, step 2: waits for the other device, then the SAS to show. */
  async offerSas(): Promise<{ sas: string }> {
    if (!this.#offer)
      throw failure('Start pairing on this device first.', undefined, 'pairing.startFirst');
    const { sas, receive } = await this.#offer.offer.sas(this.#poll);
    this.#offer.receive = receive;
    return { sas };
  }

  /** New device, step 3: waits for the approval; the vault key then waits for this device's passkey. */
  async receive(): Promise<{ syncUrl: string }> {
    const pending = this.#offer;
    if (!pending?.receive)
      throw failure('Compare the codes on both screens first.', undefined, 'pairing.compareFirst');
    const payload = decodePairingJson(await pending.receive(this.#poll)) as Record<string, unknown>;
    if (
      payload?.v !== 1 ||
      typeof payload.vaultKey !== 'string' ||
      typeof payload.syncUrl !== 'string'
    ) {
      throw failure(
        'The other device sent something that is not a Sotto pairing.',
        undefined,
        'pairing.notPairing',
      );
    }
    const vaultKey = fromBase64Url(payload.vaultKey);
    if (vaultKey.length !== 32)
      throw failure(
        'The other device sent a key of the wrong size.',
        undefined,
        'pairing.wrongKeySize',
      );
    this.#received = { vaultKey, syncUrl: pending.url };
    this.#offer = undefined;
    return { syncUrl: pending.url };
  }

  /** The received vault key, once (for `vault/create`); undefined when none is waiting. */
  takeVaultKey(): Uint8Array | undefined {
    const r = this.#received;
    if (!r) return undefined;
    queueMicrotask(() => {
      void this.#sync.configure(r.syncUrl).then(() => this.#sync.syncNow());
    });
    this.#received = undefined;
    return r.vaultKey;
  }

  /** Unlocked device, step 1: the code the new device shows; returns the SAS to compare. */
  async accept(syncUrl: string, code: string): Promise<{ sas: string }> {
    const url = new URL(syncUrl).origin;
    const key = await this.#vault.key();
    const acceptance = await acceptPairing(this.#client(url, key), code, this.#poll);
    this.#acceptance = { url, acceptance };
    return { sas: acceptance.sas };
  }

  /** Unlocked device, step 2: the person saw the same SAS on both screens. */
  async approve(): Promise<Record<string, never>> {
    const a = this.#acceptance;
    if (!a) throw failure('Enter the other device’s code first.', undefined, 'pairing.enterCode');
    const key = await this.#vault.key();
    await a.acceptance.approve(
      utf8(JSON.stringify({ v: 1, vaultKey: toBase64Url(key), syncUrl: a.url })),
    );
    this.#acceptance = undefined;
    return {};
  }

  /** Either side: the person said the codes differ, or gave up. */
  cancel(): Record<string, never> {
    this.#offer = undefined;
    this.#acceptance = undefined;
    this.#received = undefined;
    return {};
  }
}

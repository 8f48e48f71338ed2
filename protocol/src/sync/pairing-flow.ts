/**
 * The pairing exchange of `pairing.ts` run over the sync API, one function per
 * screen. Each side polls its slot; `wait` is passed in (tests and UIs choose
 * how), and every step is bounded by `maxPolls`.
 *
 * New device:   const p = await offerPairing(client)        → show p.code (and a QR of it)
 *               const s = await p.sas()                      → show s.sas; on "matches": s.receive()
 * Approver:     const a = await acceptPairing(client, code)  → show a.sas; on "matches": a.approve(payload)
 */

import { MalformedError, VerificationError } from '../errors';
import type { RemotePairing, SyncClient } from './client';
import {
  approvePairing,
  checkReveal,
  type NewDevicePairing,
  normalisePairingCode,
  openPairingPayload,
  PAIRING_NONCE_BYTES,
  pairingSas,
  startPairing,
} from './pairing';

export interface PollOptions {
  /** Waits between polls (default 500 ms). */
  wait?: () => Promise<void>;
  /** Polls before giving up (default 600, five minutes at the default wait). */
  maxPolls?: number;
}

const defaultWait = () => new Promise<void>((r) => setTimeout(r, 500));

async function poll<T>(
  client: SyncClient,
  code: string,
  ready: (slot: RemotePairing) => T | undefined,
  options: PollOptions,
): Promise<T> {
  const wait = options.wait ?? defaultWait;
  for (let i = 0; i < (options.maxPolls ?? 600); i++) {
    const slot = await client.pairing(code);
    if (!slot) throw new VerificationError(['pairing-expired']);
    const v = ready(slot);
    if (v !== undefined) return v;
    await wait();
  }
  throw new VerificationError(['pairing-timeout']);
}

/** The new device's screen. */
export interface PairingOffer {
  code: string;
  /** Waits for the approver's commitment, sends this device's nonce, waits for the reveal. */
  sas(
    options?: PollOptions,
  ): Promise<{ sas: string; receive(options?: PollOptions): Promise<Uint8Array> }>;
}

/** Step 1 on the new device: a fresh key, its code, a slot on the server. */
export async function offerPairing(client: SyncClient): Promise<PairingOffer> {
  const pairing: NewDevicePairing = await startPairing();
  const { code } = pairing;
  await client.openPairing(code, pairing.keyPair.publicKey);
  return {
    code,
    async sas(options = {}) {
      const commitment = await poll(client, code, (s) => s.commitment ?? undefined, options);
      const nonce = crypto.getRandomValues(new Uint8Array(PAIRING_NONCE_BYTES));
      await client.setPairingField(code, 'nonce', nonce);
      const slot = await poll(client, code, (s) => (s.enc ? s : undefined), options);
      // Someone else set the nonce first: this exchange is not ours.
      if (
        !slot.nonce ||
        slot.nonce.length !== nonce.length ||
        slot.nonce.some((b, i) => b !== nonce[i])
      ) {
        throw new VerificationError(['pairing-nonce']);
      }
      checkReveal(commitment, slot.enc!);
      const enc = slot.enc!;
      return {
        sas: pairingSas(pairing.keyPair.publicKey, enc, nonce),
        async receive(more = {}) {
          const sealed = await poll(client, code, (s) => s.payload ?? undefined, more);
          return openPairingPayload(pairing, enc, nonce, sealed);
        },
      };
    },
  };
}

/** The approving device's screen. */
export interface PairingAcceptance {
  sas: string;
  /** After the person saw the same SAS on both screens: seals and sends the payload. */
  approve(payload: Uint8Array): Promise<void>;
}

/**
 * Steps 2–5 on the approving device (signed with its account key).
 * @throws {VerificationError} `pairing-code` if the server's key is not the code's.
 */
export async function acceptPairing(
  client: SyncClient,
  typedCode: string,
  options: PollOptions = {},
): Promise<PairingAcceptance> {
  const code = normalisePairingCode(typedCode);
  const slot = await client.pairing(code);
  if (!slot) throw new VerificationError(['pairing-expired']);
  const approver = await approvePairing(code, slot.publicKey);
  await client.setPairingField(code, 'commitment', approver.commitment);
  const nonce = await poll(client, code, (s) => s.nonce ?? undefined, options);
  if (nonce.length !== PAIRING_NONCE_BYTES) throw new MalformedError('pairing: bad nonce');
  await client.setPairingField(code, 'enc', approver.enc);
  return {
    sas: pairingSas(approver.publicKey, approver.enc, nonce),
    approve: async (payload) => {
      await client.setPairingField(code, 'payload', await approver.seal(payload, nonce));
    },
  };
}

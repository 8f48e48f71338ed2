/**
 * Pairing a new device (issue 14, "Devices"): the vault key travels from an
 * unlocked device to a new one sealed end to end, through a sync server that
 * must not be able to insert itself.
 *
 * Roles: N = the new device, A = the approving (unlocked) device. HPKE is RFC 9180
 * base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305.
 *
 *   1. N makes an X25519 key pair (pkN) and shows a short code, the first 40 bits of
 *      SHA-256("sotto/pairing/code/v1" || pkN) in Crockford base32 (8 characters), and a
 *      QR code of the same. The server files pkN under the code.
 *   2. A enters or scans the code, fetches pkN and checks it against the code (a server
 *      that swaps pkN must find another key with the same 40 bits: 2^40 X25519 keys
 *      while a person waits). A sets up HPKE to pkN (info = "sotto/pairing/v1" || pkN)
 *      and posts only commit = SHA-256("sotto/pairing/commit/v1" || enc).
 *   3. N posts a fresh 16-byte nonce after it sees the commitment.
 *   4. A posts enc; N checks it against the commitment.
 *   5. Both show SAS = 6 decimal digits of SHA-256("sotto/pairing/sas/v1" || pkN || enc ||
 *      nonce). Because A committed to enc before N chose the nonce, a server in the
 *      middle matches the two screens with chance 10^-6 per try, not by search.
 *   6. After the person sees the same SAS on both screens and approves on A, A seals
 *      the payload (vault key, and what the new device needs) with AAD = the
 *      transcript hash, and posts it; N opens it.
 */

import { concat, equalBytes, fromUtf8, isBytes, utf8 } from '../bytes';
import { DecryptError, MalformedError, VerificationError } from '../errors';
import { setupRecipient, setupSender } from '../hpke/context';
import { generateX25519KeyPair, type X25519KeyPair } from '../hpke/dhkem-x25519';
import {
  AEAD_CHACHA20_POLY1305,
  hpkeSuite,
  KDF_HKDF_SHA256,
  KEM_X25519_HKDF_SHA256,
} from '../hpke/suite';
import { sha256Digest } from './request-signature';

const SUITE = hpkeSuite(KEM_X25519_HKDF_SHA256, KDF_HKDF_SHA256, AEAD_CHACHA20_POLY1305);
const CODE_LABEL = utf8('sotto/pairing/code/v1');
const COMMIT_LABEL = utf8('sotto/pairing/commit/v1');
const SAS_LABEL = utf8('sotto/pairing/sas/v1');
const INFO_LABEL = utf8('sotto/pairing/v1');
const AAD_LABEL = utf8('sotto/pairing/payload/v1');
/** Crockford base32: no I, L, O, U, so a code read aloud or typed is not mistaken. */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const PAIRING_CODE_CHARS = 8;
export const PAIRING_NONCE_BYTES = 16;
export const PAIRING_SAS_DIGITS = 6;
/** Largest sealed pairing payload either side handles. */
export const MAX_PAIRING_PAYLOAD_BYTES = 4096;

/** The short code of a new device's public key (step 1). */
export function pairingCode(publicKey: Uint8Array): string {
  if (!isBytes(publicKey) || publicKey.length !== 32) {
    throw new MalformedError('pairing: public key must be 32 bytes');
  }
  const h = sha256Digest(CODE_LABEL, publicKey);
  let bits = 0n;
  for (let i = 0; i < 5; i++) bits = (bits << 8n) | BigInt(h[i]!);
  let out = '';
  for (let i = PAIRING_CODE_CHARS - 1; i >= 0; i--)
    out += CROCKFORD[Number((bits >> BigInt(5 * i)) & 31n)];
  return out;
}

/**
 * Normalises a typed code: upper case, no spaces or dashes, O→0, I/L→1.
 * @throws {MalformedError} not 8 Crockford base32 characters.
 */
export function normalisePairingCode(typed: string): string {
  const s = String(typed)
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  if (s.length !== PAIRING_CODE_CHARS || [...s].some((c) => !CROCKFORD.includes(c))) {
    throw new MalformedError('pairing: the code has 8 letters and digits');
  }
  return s;
}

/** Commitment to the HPKE enc (step 2). */
export function pairingCommitment(enc: Uint8Array): Uint8Array {
  return sha256Digest(COMMIT_LABEL, enc);
}

/** The short authentication string both screens show (step 5). */
export function pairingSas(publicKey: Uint8Array, enc: Uint8Array, nonce: Uint8Array): string {
  if (!isBytes(nonce) || nonce.length !== PAIRING_NONCE_BYTES) {
    throw new MalformedError('pairing: nonce must be 16 bytes');
  }
  const h = sha256Digest(SAS_LABEL, publicKey, enc, nonce);
  const n = ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0;
  return String(n % 10 ** PAIRING_SAS_DIGITS).padStart(PAIRING_SAS_DIGITS, '0');
}

function transcript(publicKey: Uint8Array, enc: Uint8Array, nonce: Uint8Array): Uint8Array {
  return sha256Digest(AAD_LABEL, publicKey, enc, nonce);
}

/** The new device's side of a pairing. Keep it in memory only. */
export interface NewDevicePairing {
  keyPair: X25519KeyPair;
  code: string;
}

/** Step 1 on the new device. */
export async function startPairing(): Promise<NewDevicePairing> {
  const keyPair = generateX25519KeyPair();
  return { keyPair, code: pairingCode(keyPair.publicKey) };
}

/** The approving device's side, between steps 2 and 6. */
export interface ApproverPairing {
  publicKey: Uint8Array;
  enc: Uint8Array;
  commitment: Uint8Array;
  seal(payload: Uint8Array, nonce: Uint8Array): Promise<Uint8Array>;
}

/**
 * Step 2 on the approving device: checks the fetched key against the code the
 * person entered, and sets up HPKE to it.
 * @throws {VerificationError} `pairing-code`: the server gave a key that is not the new device's.
 */
export async function approvePairing(
  code: string,
  publicKey: Uint8Array,
): Promise<ApproverPairing> {
  if (!isBytes(publicKey) || publicKey.length !== 32) {
    throw new MalformedError('pairing: public key must be 32 bytes');
  }
  if (pairingCode(publicKey) !== normalisePairingCode(code)) {
    throw new VerificationError(['pairing-code']);
  }
  const ctx = await setupSender(SUITE, publicKey, concat(INFO_LABEL, publicKey));
  const enc = ctx.enc;
  return {
    publicKey,
    enc,
    commitment: pairingCommitment(enc),
    seal: (payload, nonce) => {
      if (payload.length > MAX_PAIRING_PAYLOAD_BYTES)
        throw new MalformedError('pairing: payload too large');
      return ctx.seal(payload, transcript(publicKey, enc, nonce));
    },
  };
}

/**
 * Step 4 on the new device: checks the revealed enc against the commitment seen in step 3.
 * @throws {VerificationError} `pairing-commitment`.
 */
export function checkReveal(commitment: Uint8Array, enc: Uint8Array): void {
  if (!isBytes(enc) || enc.length !== 32 || !equalBytes(pairingCommitment(enc), commitment)) {
    throw new VerificationError(['pairing-commitment']);
  }
}

/**
 * Step 6 on the new device: opens the sealed payload.
 * @throws {DecryptError} not sealed by the approving device for this transcript.
 */
export async function openPairingPayload(
  pairing: NewDevicePairing,
  enc: Uint8Array,
  nonce: Uint8Array,
  sealed: Uint8Array,
): Promise<Uint8Array> {
  if (!isBytes(sealed) || sealed.length > MAX_PAIRING_PAYLOAD_BYTES + 16) {
    throw new DecryptError('pairing: payload has the wrong size');
  }
  const pk = pairing.keyPair.publicKey;
  try {
    const ctx = await setupRecipient(
      SUITE,
      enc,
      pairing.keyPair.privateKey,
      concat(INFO_LABEL, pk),
    );
    return await ctx.open(sealed, transcript(pk, enc, nonce));
  } catch (cause) {
    if (cause instanceof DecryptError) throw cause;
    throw new DecryptError('pairing: cannot open the payload', { cause });
  }
}

/** The JSON a pairing carries: the vault key (base64url) and the account's devices see it as. */
export function decodePairingJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(fromUtf8(bytes));
  } catch (cause) {
    throw new MalformedError('pairing: payload is not JSON', { cause });
  }
}

/**
 * Signed sync requests (DESIGN.md "History", sync). There is no login: the
 * account is an Ed25519 key pair (RFC 8032, @noble/curves) and every request
 * carries a signature over what it asks for, so the server needs nothing but
 * the public key, and a captured request cannot be replayed or altered.
 *
 * Signed message (version 1), lp(x) = u32be(len x) || x:
 *   lp("sotto/sync/request/v1") || lp(METHOD) || lp(path with query)
 *   || lp(SHA-256(body)) || lp(account public key) || lp(decimal ms timestamp) || lp(nonce)
 * Headers: `sotto-account` (32-byte public key), `sotto-nonce` (16 bytes),
 * `sotto-signature` (64 bytes), all base64url without padding; `sotto-timestamp`
 * (decimal milliseconds since the epoch).
 *
 * The server imports this file (and only this one) from the protocol to verify:
 * it holds no decryption code (backend/test/no-decryption-imports.test.ts walks
 * its imports). Freshness and nonce uniqueness are the server's to enforce; this
 * file checks the clock window for a given `now`.
 */

import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concat, isBytes, utf8 } from '../bytes';
import { MalformedError, VerificationError } from '../errors';
import { lengthPrefixed } from '../sealed/aad';

export const SYNC_PUBLIC_KEY_BYTES = 32;
export const SYNC_SIGNATURE_BYTES = 64;
export const SYNC_NONCE_BYTES = 16;
/** How far a request's timestamp may be from the verifier's clock. */
export const SYNC_MAX_CLOCK_SKEW_MS = 5 * 60_000;

export const HEADER_ACCOUNT = 'sotto-account';
export const HEADER_TIMESTAMP = 'sotto-timestamp';
export const HEADER_NONCE = 'sotto-nonce';
export const HEADER_SIGNATURE = 'sotto-signature';

const LABEL = utf8('sotto/sync/request/v1');
const METHOD = /^[A-Z]{1,10}$/;
const MAX_PATH_CHARS = 2048;

/** What a signature covers. */
export interface SignedRequestParts {
  method: string;
  /** Path and query exactly as sent (`/v1/sync/records?since=3`). */
  path: string;
  body: Uint8Array;
  accountPublicKey: Uint8Array;
  timestampMs: number;
  nonce: Uint8Array;
}

/** The four sync headers, as sent. */
export interface SyncAuthHeaders {
  [HEADER_ACCOUNT]: string;
  [HEADER_TIMESTAMP]: string;
  [HEADER_NONCE]: string;
  [HEADER_SIGNATURE]: string;
}

/** base64url without padding (RFC 4648 §5). */
export function toBase64Url(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** @throws {MalformedError} not canonical unpadded base64url. */
export function fromBase64Url(s: string): Uint8Array {
  if (typeof s !== 'string' || !/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) {
    throw new MalformedError('invalid base64url');
  }
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  if (toBase64Url(out) !== s) throw new MalformedError('invalid base64url');
  return out;
}

/** The byte string that is signed (layout above). @throws {MalformedError} invalid parts. */
export function signedRequestMessage(parts: SignedRequestParts): Uint8Array {
  if (typeof parts.method !== 'string' || !METHOD.test(parts.method)) {
    throw new MalformedError('sync request: bad method');
  }
  if (
    typeof parts.path !== 'string' ||
    !parts.path.startsWith('/') ||
    parts.path.length > MAX_PATH_CHARS
  ) {
    throw new MalformedError('sync request: bad path');
  }
  if (!isBytes(parts.body)) throw new MalformedError('sync request: body must be bytes');
  if (!isBytes(parts.accountPublicKey) || parts.accountPublicKey.length !== SYNC_PUBLIC_KEY_BYTES) {
    throw new MalformedError('sync request: account key must be 32 bytes');
  }
  if (!Number.isSafeInteger(parts.timestampMs) || parts.timestampMs < 0) {
    throw new MalformedError('sync request: bad timestamp');
  }
  if (!isBytes(parts.nonce) || parts.nonce.length !== SYNC_NONCE_BYTES) {
    throw new MalformedError('sync request: nonce must be 16 bytes');
  }
  return lengthPrefixed(
    LABEL,
    utf8(parts.method),
    utf8(parts.path),
    sha256(parts.body),
    parts.accountPublicKey,
    utf8(String(parts.timestampMs)),
    parts.nonce,
  );
}

/**
 * Signs a request with the account's Ed25519 secret key; returns the headers to send.
 * @throws {MalformedError} invalid parts or a secret key that is not 32 bytes.
 */
export function signRequest(secretKey: Uint8Array, parts: SignedRequestParts): SyncAuthHeaders {
  if (!isBytes(secretKey) || secretKey.length !== 32) {
    throw new MalformedError('sync request: secret key must be 32 bytes');
  }
  const signature = ed25519.sign(signedRequestMessage(parts), secretKey);
  return {
    [HEADER_ACCOUNT]: toBase64Url(parts.accountPublicKey),
    [HEADER_TIMESTAMP]: String(parts.timestampMs),
    [HEADER_NONCE]: toBase64Url(parts.nonce),
    [HEADER_SIGNATURE]: toBase64Url(signature),
  };
}

/** What a verified request proves: who signed it, when, with which nonce. */
export interface VerifiedRequest {
  accountPublicKey: Uint8Array;
  /** base64url of the account key: the account's id. */
  accountId: string;
  timestampMs: number;
  nonce: Uint8Array;
}

type HeaderBag = Readonly<Record<string, string | string[] | undefined>>;

function single(headers: HeaderBag, name: string): string {
  const v = headers[name];
  if (typeof v !== 'string' || v.length === 0 || v.length > 200) {
    throw new MalformedError(`sync request: missing or repeated ${name}`);
  }
  return v;
}

/**
 * Parses the auth headers and checks the signature over `method`, `path` and
 * `body`, and that the timestamp is within {@link SYNC_MAX_CLOCK_SKEW_MS} of `nowMs`.
 * Nonce reuse is the caller's to refuse (it needs the server's memory).
 * @throws {MalformedError} headers missing or ill-formed.
 * @throws {VerificationError} bad signature (`signature`) or stale timestamp (`clock`).
 */
export function verifyRequest(
  headers: HeaderBag,
  request: { method: string; path: string; body: Uint8Array },
  nowMs: number,
): VerifiedRequest {
  const accountId = single(headers, HEADER_ACCOUNT);
  const accountPublicKey = fromBase64Url(accountId);
  const timestampRaw = single(headers, HEADER_TIMESTAMP);
  if (!/^\d{1,16}$/.test(timestampRaw)) throw new MalformedError('sync request: bad timestamp');
  const timestampMs = Number(timestampRaw);
  const nonce = fromBase64Url(single(headers, HEADER_NONCE));
  const signature = fromBase64Url(single(headers, HEADER_SIGNATURE));
  if (signature.length !== SYNC_SIGNATURE_BYTES) {
    throw new MalformedError('sync request: signature must be 64 bytes');
  }
  const message = signedRequestMessage({ ...request, accountPublicKey, timestampMs, nonce });
  let ok = false;
  try {
    // zip215: false = RFC 8032 strict verification (no non-canonical encodings).
    ok = ed25519.verify(signature, message, accountPublicKey, { zip215: false });
  } catch {
    ok = false;
  }
  if (!ok) throw new VerificationError(['signature']);
  if (Math.abs(nowMs - timestampMs) > SYNC_MAX_CLOCK_SKEW_MS)
    throw new VerificationError(['clock']);
  return { accountPublicKey, accountId, timestampMs, nonce };
}

/** 16 fresh random bytes for a request nonce. */
export function requestNonce(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(SYNC_NONCE_BYTES));
}

/** SHA-256, re-exported so callers hash bodies the way signatures do. */
export function sha256Digest(...parts: Uint8Array[]): Uint8Array {
  return sha256(concat(...parts));
}

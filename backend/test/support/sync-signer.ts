/**
 * A signing HTTP client for sync tests: an Ed25519 account from Node's own
 * crypto, requests signed with the protocol's request-signature module (the
 * one module the backend may import), sent with plain `fetch`.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { signRequest } from '@sotto/protocol/sync/request-signature';

export interface TestAccount {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
  id: string;
}

export function newAccount(): TestAccount {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  return {
    secretKey: new Uint8Array(Buffer.from(jwk.d!, 'base64url')),
    publicKey: new Uint8Array(Buffer.from(jwk.x!, 'base64url')),
    id: jwk.x!,
  };
}

export interface Signed {
  method: string;
  path: string;
  body: Uint8Array;
  headers: Record<string, string>;
}

/** Signs a request; `over` lets a test forge any part. */
export function sign(
  account: TestAccount,
  method: string,
  path: string,
  body: unknown = undefined,
  over: { timestampMs?: number; nonce?: Uint8Array } = {},
): Signed {
  const bytes =
    body === undefined
      ? new Uint8Array(0)
      : body instanceof Uint8Array
        ? body
        : new Uint8Array(Buffer.from(JSON.stringify(body)));
  const headers = signRequest(account.secretKey, {
    method,
    path,
    body: bytes,
    accountPublicKey: account.publicKey,
    timestampMs: over.timestampMs ?? Date.now(),
    nonce: over.nonce ?? new Uint8Array(randomBytes(16)),
  });
  return { method, path, body: bytes, headers: { ...headers } };
}

/** Sends a signed (or forged) request. */
export async function send(
  base: string,
  s: Signed,
  extraHeaders: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(base + s.path, {
    method: s.method,
    headers: {
      ...s.headers,
      ...extraHeaders,
      ...(s.body.length ? { 'content-type': 'application/json' } : {}),
    },
    ...(s.body.length ? { body: Buffer.from(s.body) } : {}),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { raw: text };
  }
  return { status: res.status, json };
}

export const b64u = (b: Uint8Array | string): string =>
  Buffer.from(typeof b === 'string' ? Buffer.from(b) : b).toString('base64url');

/**
 * Signed sync requests: the account key pair and signatures cross-checked
 * against Node's own Ed25519 (OpenSSL, an independent implementation), and every
 * part of a request the signature covers refused when altered.
 */
import { createPrivateKey, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { concat, fromHex, utf8 } from '../../src/bytes';
import { MalformedError, VerificationError } from '../../src/errors';
import {
  deriveAccountKey,
  fromBase64Url,
  type SignedRequestParts,
  signedRequestMessage,
  signRequest,
  SYNC_MAX_CLOCK_SKEW_MS,
  toBase64Url,
  verifyRequest,
} from '../../src/sync';

const vaultKey = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
const account = deriveAccountKey(vaultKey);
const NOW = 1_765_000_000_000;
const parts = (over: Partial<SignedRequestParts> = {}): SignedRequestParts => ({
  method: 'PUT',
  path: '/v1/sync/records/c:abc',
  body: utf8('{"revision":0}'),
  accountPublicKey: account.publicKey,
  timestampMs: NOW,
  nonce: new Uint8Array(16).fill(7),
  ...over,
});
const request = (p: SignedRequestParts) => ({ method: p.method, path: p.path, body: p.body });

/** PKCS#8 DER for an Ed25519 seed (RFC 8410 §7). */
function nodeKey(seed: Uint8Array) {
  return createPrivateKey({
    key: Buffer.from(concat(fromHex('302e020100300506032b657004220420'), seed)),
    format: 'der',
    type: 'pkcs8',
  });
}

describe('account key', () => {
  it('is deterministic per vault key and matches OpenSSL for the same seed', () => {
    expect(deriveAccountKey(vaultKey).accountId).toBe(account.accountId);
    expect(deriveAccountKey(new Uint8Array(32)).accountId).not.toBe(account.accountId);
    const jwk = createPublicKey(nodeKey(account.secretKey)).export({ format: 'jwk' });
    expect(jwk.x).toBe(account.accountId);
    expect(fromBase64Url(account.accountId)).toEqual(account.publicKey);
  });

  it('refuses a vault key of the wrong size', () => {
    expect(() => deriveAccountKey(new Uint8Array(31))).toThrow(MalformedError);
  });
});

describe('request signatures', () => {
  it('verify, and OpenSSL accepts the same signature over the same message', () => {
    const p = parts();
    const headers = signRequest(account.secretKey, p);
    const v = verifyRequest({ ...headers }, request(p), NOW + 1000);
    expect(v.accountId).toBe(account.accountId);
    expect(v.timestampMs).toBe(NOW);
    const ok = nodeVerify(
      null,
      Buffer.from(signedRequestMessage(p)),
      createPublicKey(nodeKey(account.secretKey)),
      Buffer.from(fromBase64Url(headers['sotto-signature'])),
    );
    expect(ok).toBe(true);
  });

  it.each([
    ['method', { method: 'DELETE' }],
    ['path', { path: '/v1/sync/records/c:abd' }],
    ['query', { path: '/v1/sync/records/c:abc?x=1' }],
    ['body', { body: utf8('{"revision":1}') }],
  ] as const)('refuses a request whose %s changed', (_name, change) => {
    const headers = signRequest(account.secretKey, parts());
    expect(() => verifyRequest({ ...headers }, request(parts(change)), NOW)).toThrow(
      VerificationError,
    );
  });

  it('refuses a changed timestamp, nonce or account key', () => {
    const headers = signRequest(account.secretKey, parts());
    const other = deriveAccountKey(new Uint8Array(32));
    for (const h of [
      { ...headers, 'sotto-timestamp': String(NOW + 1) },
      { ...headers, 'sotto-nonce': toBase64Url(new Uint8Array(16).fill(8)) },
      { ...headers, 'sotto-account': other.accountId },
    ]) {
      expect(() => verifyRequest(h, request(parts()), NOW)).toThrow(VerificationError);
    }
  });

  it('refuses a timestamp outside the clock window, whatever the signature', () => {
    const headers = signRequest(account.secretKey, parts());
    const late = NOW + SYNC_MAX_CLOCK_SKEW_MS + 1;
    expect(() => verifyRequest({ ...headers }, request(parts()), late)).toThrow(
      expect.objectContaining({ reasons: ['clock'] }),
    );
    expect(() =>
      verifyRequest({ ...headers }, request(parts()), NOW - SYNC_MAX_CLOCK_SKEW_MS),
    ).not.toThrow();
  });

  it('refuses missing, repeated or ill-formed headers as malformed', () => {
    const headers = signRequest(account.secretKey, parts());
    const bad = [
      {},
      { ...headers, 'sotto-signature': undefined },
      { ...headers, 'sotto-account': [headers['sotto-account'], headers['sotto-account']] },
      { ...headers, 'sotto-account': `${headers['sotto-account']}=` },
      { ...headers, 'sotto-account': 'AAAA' },
      { ...headers, 'sotto-nonce': 'AAAA' },
      { ...headers, 'sotto-timestamp': '-1' },
      { ...headers, 'sotto-timestamp': '1e12' },
      { ...headers, 'sotto-signature': headers['sotto-signature'].slice(2) },
      { ...headers, 'sotto-signature': 'x'.repeat(500) },
    ];
    for (const h of bad) {
      expect(() => verifyRequest(h, request(parts()), NOW)).toThrow(MalformedError);
    }
  });

  it('refuses a non-canonical signature (S + L) as RFC 8032 strict verification does', () => {
    const headers = signRequest(account.secretKey, parts());
    const sig = fromBase64Url(headers['sotto-signature']);
    // L = 2^252 + 27742317777372353535851937790883648493, little-endian, added to S.
    const L = fromHex('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010');
    const s = sig.slice(32);
    let carry = 0;
    for (let i = 0; i < 32; i++) {
      const t = s[i]! + L[i]! + carry;
      s[i] = t & 0xff;
      carry = t >> 8;
    }
    const forged = concat(sig.subarray(0, 32), s);
    expect(() =>
      verifyRequest({ ...headers, 'sotto-signature': toBase64Url(forged) }, request(parts()), NOW),
    ).toThrow(VerificationError);
  });
});

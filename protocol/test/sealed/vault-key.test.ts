/**
 * Vault key wrapping: KEK = HKDF-SHA256(PRF output, salt, "sotto/kek/v1")
 * checked against @noble/hashes directly; a wrong passkey, salt or
 * credential, or any change to the wrapped key, is LockedError.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { concat, fromHex, toHex, utf8 } from '../../src/bytes';
import { LockedError, MalformedError, UnsupportedError } from '../../src/errors';
import {
  deriveKek,
  generateKekSalt,
  generateVaultKey,
  lockVaultKey,
  openRecord,
  sealRecord,
  unlockVaultKey,
  unwrapVaultKey,
  WRAPPED_VAULT_KEY_BYTES,
  wrapVaultKey,
} from '../../src/sealed';

const prf = fromHex('a1'.repeat(32));
const wrongPrf = fromHex('a2'.repeat(32));
const salt = fromHex('5a'.repeat(32));
const vaultKey = fromHex('7e'.repeat(32));
const credentialId = utf8('credential-1');
const ctx = { credentialId };
const nonce = fromHex('01'.repeat(24));

describe('vault key', () => {
  it('generates distinct 32-byte keys and salts', () => {
    expect(generateVaultKey().length).toBe(32);
    expect(toHex(generateVaultKey())).not.toBe(toHex(generateVaultKey()));
    expect(generateKekSalt().length).toBe(32);
  });

  it('derives the KEK as HKDF-SHA256(prf, salt, "sotto/kek/v1", 32)', () => {
    expect(toHex(deriveKek(prf, salt))).toBe(
      toHex(hkdf(sha256, prf, salt, utf8('sotto/kek/v1'), 32)),
    );
  });

  it('wraps with the documented layout and unwraps', () => {
    const kek = deriveKek(prf, salt);
    const wrapped = wrapVaultKey(kek, vaultKey, ctx, { random: (n) => nonce.slice(0, n) });
    const aad = fromHex(
      `00000012${toHex(utf8('sotto/vault-key/v1'))}0000000101` + `0000000c${toHex(credentialId)}`,
    );
    const expected = concat(
      Uint8Array.of(1),
      nonce,
      xchacha20poly1305(kek, nonce, aad).encrypt(vaultKey),
    );
    expect(toHex(wrapped)).toBe(toHex(expected));
    expect(wrapped.length).toBe(WRAPPED_VAULT_KEY_BYTES);
    expect(unwrapVaultKey(kek, wrapped, ctx)).toEqual(vaultKey);
  });

  it('a wrong PRF is LockedError ("wrong passkey")', () => {
    const wrapped = wrapVaultKey(deriveKek(prf, salt), vaultKey, ctx);
    expect(() => unwrapVaultKey(deriveKek(wrongPrf, salt), wrapped, ctx)).toThrow(LockedError);
    expect(() => unwrapVaultKey(deriveKek(wrongPrf, salt), wrapped, ctx)).toThrow('wrong passkey');
  });

  it('a wrong salt or credential id is LockedError', () => {
    const wrapped = wrapVaultKey(deriveKek(prf, salt), vaultKey, ctx);
    expect(() => unwrapVaultKey(deriveKek(prf, fromHex('5b'.repeat(32))), wrapped, ctx)).toThrow(
      LockedError,
    );
    expect(() =>
      unwrapVaultKey(deriveKek(prf, salt), wrapped, { credentialId: utf8('credential-2') }),
    ).toThrow(LockedError);
  });

  it('every bit flip in the wrapped key fails (version byte: UnsupportedError)', () => {
    const kek = deriveKek(prf, salt);
    const wrapped = wrapVaultKey(kek, vaultKey, ctx);
    for (let i = 0; i < wrapped.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const t = wrapped.slice();
        t[i]! ^= 1 << bit;
        expect(() => unwrapVaultKey(kek, t, ctx)).toThrow(i === 0 ? UnsupportedError : LockedError);
      }
    }
  });

  it('wrong sizes are MalformedError', () => {
    const kek = deriveKek(prf, salt);
    const wrapped = wrapVaultKey(kek, vaultKey, ctx);
    for (let len = 0; len < wrapped.length; len++) {
      expect(() => unwrapVaultKey(kek, wrapped.subarray(0, len), ctx)).toThrow(MalformedError);
    }
    expect(() => unwrapVaultKey(kek, concat(wrapped, Uint8Array.of(0)), ctx)).toThrow(
      MalformedError,
    );
    expect(() => deriveKek(prf.subarray(1), salt)).toThrow(MalformedError);
    expect(() => deriveKek(prf, new Uint8Array(16))).toThrow(MalformedError);
    expect(() => wrapVaultKey(kek, vaultKey.subarray(1), ctx)).toThrow(MalformedError);
    expect(() => wrapVaultKey(kek.subarray(1), vaultKey, ctx)).toThrow(MalformedError);
    expect(() => wrapVaultKey(kek, vaultKey, { credentialId: new Uint8Array(0) })).toThrow(
      MalformedError,
    );
  });

  it('lock/unlock: the full passkey flow seals and opens records', () => {
    const key = generateVaultKey();
    const locked = lockVaultKey(prf, key, ctx);
    const record = sealRecord(
      key,
      { id: 'c1', type: 'conversation', schemaVersion: 1 },
      utf8('hi'),
    );
    const unlocked = unlockVaultKey(prf, locked, ctx);
    expect(
      openRecord(unlocked, { id: 'c1', type: 'conversation', schemaVersion: 1 }, record),
    ).toEqual(utf8('hi'));
    expect(() => unlockVaultKey(wrongPrf, locked, ctx)).toThrow(LockedError);
  });
});

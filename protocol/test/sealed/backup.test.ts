/**
 * Encrypted vault export: round trip, restore on a fresh device from the
 * file and the passkey alone, and hostile files (bit flips, truncation,
 * oversized envelope) failing with typed errors.
 */
import { describe, expect, it } from 'vitest';
import { concat, fromHex, utf8 } from '../../src/bytes';
import {
  DecryptError,
  isSottoError,
  LimitExceededError,
  MalformedError,
  UnsupportedError,
} from '../../src/errors';
import {
  generateVaultKey,
  lockVaultKey,
  openBackup,
  readBackupEnvelope,
  sealBackup,
  unlockVaultKey,
} from '../../src/sealed';

const prf = fromHex('c3'.repeat(32));
const credentialId = utf8('cred-A');
const payload = utf8(JSON.stringify({ conversations: [{ id: 'c1', title: 'hello' }] }));

describe('vault backup', () => {
  it('round-trips without an envelope', () => {
    const key = generateVaultKey();
    const file = sealBackup(key, payload);
    expect(readBackupEnvelope(file)).toBeUndefined();
    expect(openBackup(key, file)).toEqual(payload);
  });

  it('restores on a fresh device from the file and the passkey alone', () => {
    const key = generateVaultKey();
    const file = sealBackup(key, payload, {
      envelope: { credentialId, locked: lockVaultKey(prf, key, { credentialId }) },
    });
    const envelope = readBackupEnvelope(file)!;
    expect(envelope.credentialId).toEqual(credentialId);
    const restored = unlockVaultKey(prf, envelope.locked, { credentialId: envelope.credentialId });
    expect(openBackup(restored, file)).toEqual(payload);
  });

  it('a wrong vault key is DecryptError', () => {
    const file = sealBackup(generateVaultKey(), payload);
    expect(() => openBackup(generateVaultKey(), file)).toThrow(DecryptError);
  });

  it('every bit flip and every truncation fails with a typed error', () => {
    const key = generateVaultKey();
    const file = sealBackup(key, payload, {
      envelope: { credentialId, locked: lockVaultKey(prf, key, { credentialId }) },
    });
    const expectTyped = (f: () => unknown): void => {
      let thrown: unknown;
      try {
        f();
      } catch (e) {
        thrown = e;
      }
      expect(isSottoError(thrown), String(thrown)).toBe(true);
    };
    for (let i = 0; i < file.length; i++) {
      const t = file.slice();
      t[i]! ^= 0x01;
      expectTyped(() => openBackup(key, t));
    }
    for (let len = 0; len < file.length; len++)
      expectTyped(() => openBackup(key, file.subarray(0, len)));
  });

  it('refuses a foreign file, an unknown version and an oversized envelope', () => {
    const key = generateVaultKey();
    const file = sealBackup(key, payload);
    const foreign = file.slice();
    foreign[0] = 0x58;
    expect(() => openBackup(key, foreign)).toThrow(MalformedError);
    const v2 = file.slice();
    v2[12] = 2;
    expect(() => openBackup(key, v2)).toThrow(UnsupportedError);
    const huge = concat(utf8('SOTTO-BACKUP'), Uint8Array.of(1, 0xff, 0xff, 0xff, 0xff));
    expect(() => readBackupEnvelope(huge)).toThrow(LimitExceededError);
    expect(() =>
      sealBackup(key, payload, {
        envelope: {
          credentialId: new Uint8Array(5000),
          locked: { salt: new Uint8Array(32), wrapped: new Uint8Array(73) },
        },
      }),
    ).toThrow(LimitExceededError);
  });
});

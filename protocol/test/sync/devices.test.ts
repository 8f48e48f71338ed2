/** Device records (sealed names and handover keys) and handovers (the new vault key, HPKE-sealed to one device). */
import { describe, expect, it } from 'vitest';
import { DecryptError, MalformedError } from '../../src/errors';
import { generateX25519KeyPair } from '../../src/hpke/dhkem-x25519';
import {
  HANDOVER_BYTES,
  openDevice,
  openHandover,
  sealDevice,
  sealHandover,
} from '../../src/sync/devices';

const vaultKey = new Uint8Array(32).fill(1);
const otherKey = new Uint8Array(32).fill(2);
const pair = generateX25519KeyPair();
const device = { deviceId: 'dev-1', label: 'Laptop', publicKey: pair.publicKey, addedAt: 5 };

describe('device records', () => {
  it('open under the vault key for their own id only', () => {
    const sealed = sealDevice(vaultKey, device);
    expect(openDevice(vaultKey, 'dev-1', sealed)).toEqual(device);
    expect(new TextDecoder().decode(sealed)).not.toContain('Laptop');
    expect(() => openDevice(otherKey, 'dev-1', sealed)).toThrow(DecryptError);
    expect(() => openDevice(vaultKey, 'dev-2', sealed)).toThrow(DecryptError);
    const flipped = sealed.slice();
    flipped[flipped.length - 1]! ^= 1;
    expect(() => openDevice(vaultKey, 'dev-1', flipped)).toThrow(DecryptError);
  });

  it('refuse ill-formed ids, labels and keys', () => {
    expect(() => sealDevice(vaultKey, { ...device, deviceId: 'bad id' })).toThrow(MalformedError);
    expect(() => sealDevice(vaultKey, { ...device, label: 'x'.repeat(65) })).toThrow(
      MalformedError,
    );
    expect(() => sealDevice(vaultKey, { ...device, publicKey: new Uint8Array(31) })).toThrow(
      MalformedError,
    );
  });
});

describe('handovers', () => {
  it('give the new key to their device, as a move away from their account, and to nobody else', async () => {
    const next = new Uint8Array(32).fill(9);
    const sealed = await sealHandover(device, 'old-account', next);
    expect(sealed).toHaveLength(HANDOVER_BYTES);
    expect(await openHandover(pair.privateKey, 'dev-1', 'old-account', sealed)).toEqual(next);
    const stranger = generateX25519KeyPair();
    await expect(openHandover(stranger.privateKey, 'dev-1', 'old-account', sealed)).rejects.toThrow(
      DecryptError,
    );
    await expect(openHandover(pair.privateKey, 'dev-2', 'old-account', sealed)).rejects.toThrow(
      DecryptError,
    );
    await expect(openHandover(pair.privateKey, 'dev-1', 'another', sealed)).rejects.toThrow(
      DecryptError,
    );
    await expect(
      openHandover(pair.privateKey, 'dev-1', 'old-account', sealed.subarray(1)),
    ).rejects.toThrow(DecryptError);
  });
});

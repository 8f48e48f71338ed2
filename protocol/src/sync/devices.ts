/**
 * The devices of a sync account, and the handover that lets the devices that
 * stay follow a vault-key rotation when one device is removed (issue 14).
 *
 * Device record: a sealed record (`sealed/record.ts`) under the vault key at
 * record id `d:<device id>`, meta { id: device id, type: "sotto/sync/device",
 * schemaVersion: 1 }, plaintext JSON { label, publicKey (X25519, base64url),
 * addedAt }. The server sees a random id and ciphertext: no names.
 *
 * Handover: when device R is removed, the remover rotates the vault key and,
 * for each device D that stays, seals the new key to D's X25519 key with HPKE
 * (RFC 9180 base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
 * ChaCha20-Poly1305), info = "sotto/sync/handover/v1" || 0x00 || old account id
 * || 0x00 || D's device id, so a handover opens only for its device and only
 * as a move away from that account. Wire: enc (32 bytes) || ciphertext of the 32-byte key.
 *
 * What a handover does not give: authentication of the remover beyond holding
 * the old vault key (base mode). A removed device that acts before the removal
 * is done could race it; once the server has retired the old account it refuses
 * that device's requests (backend/src/sync/store.ts `retire`).
 */

import { concat, isBytes, utf8 } from '../bytes';
import { DecryptError, MalformedError } from '../errors';
import { setupRecipient, setupSender } from '../hpke/context';
import {
  AEAD_CHACHA20_POLY1305,
  hpkeSuite,
  KDF_HKDF_SHA256,
  KEM_X25519_HKDF_SHA256,
} from '../hpke/suite';
import { openJson, type RecordMeta, sealJson } from '../sealed/record';
import { fromBase64Url, toBase64Url } from './request-signature';

const SUITE = hpkeSuite(KEM_X25519_HKDF_SHA256, KDF_HKDF_SHA256, AEAD_CHACHA20_POLY1305);
const HANDOVER_INFO = utf8('sotto/sync/handover/v1');
const DEVICE_TYPE = 'sotto/sync/device';
const MAX_LABEL_CHARS = 64;
const DEVICE_ID = /^[A-Za-z0-9_-]{1,60}$/;
/** enc (32) + sealed key (32) + tag (16). */
export const HANDOVER_BYTES = 80;

export const deviceRecordId = (deviceId: string) => `d:${deviceId}`;

/** A device as its record says. */
export interface DeviceInfo {
  deviceId: string;
  label: string;
  /** X25519 public key handovers are sealed to. */
  publicKey: Uint8Array;
  addedAt: number;
}

const deviceMeta = (deviceId: string): RecordMeta => ({
  id: deviceId,
  type: DEVICE_TYPE,
  schemaVersion: 1,
});

function checkDeviceId(deviceId: string): void {
  if (typeof deviceId !== 'string' || !DEVICE_ID.test(deviceId))
    throw new MalformedError('sync device: bad id');
}

/**
 * Seals a device record under the vault key.
 * @throws {MalformedError} bad id, label or key.
 */
export function sealDevice(vaultKey: Uint8Array, device: DeviceInfo): Uint8Array {
  checkDeviceId(device.deviceId);
  if (typeof device.label !== 'string' || device.label.length > MAX_LABEL_CHARS)
    throw new MalformedError('sync device: bad label');
  if (!isBytes(device.publicKey) || device.publicKey.length !== 32)
    throw new MalformedError('sync device: bad public key');
  return sealJson(vaultKey, deviceMeta(device.deviceId), {
    label: device.label,
    publicKey: toBase64Url(device.publicKey),
    addedAt: device.addedAt,
  });
}

/**
 * Opens a device record for `deviceId`.
 * @throws {DecryptError} not sealed under this vault key for this id.
 * @throws {MalformedError} authenticated but not a well-formed record.
 */
export function openDevice(vaultKey: Uint8Array, deviceId: string, sealed: Uint8Array): DeviceInfo {
  checkDeviceId(deviceId);
  const o = openJson(vaultKey, deviceMeta(deviceId), sealed) as Record<string, unknown> | null;
  if (
    typeof o !== 'object' ||
    o === null ||
    typeof o.label !== 'string' ||
    o.label.length > MAX_LABEL_CHARS ||
    typeof o.publicKey !== 'string' ||
    !Number.isSafeInteger(o.addedAt)
  ) {
    throw new MalformedError('sync device: malformed record');
  }
  const publicKey = fromBase64Url(o.publicKey);
  if (publicKey.length !== 32) throw new MalformedError('sync device: bad public key');
  return { deviceId, label: o.label, publicKey, addedAt: o.addedAt as number };
}

function handoverInfo(oldAccountId: string, deviceId: string): Uint8Array {
  const zero = new Uint8Array([0]);
  return concat(HANDOVER_INFO, zero, utf8(oldAccountId), zero, utf8(deviceId));
}

/** Seals the new vault key to a device that stays (layout above). */
export async function sealHandover(
  device: Pick<DeviceInfo, 'deviceId' | 'publicKey'>,
  oldAccountId: string,
  newVaultKey: Uint8Array,
): Promise<Uint8Array> {
  if (!isBytes(newVaultKey) || newVaultKey.length !== 32)
    throw new MalformedError('sync handover: the vault key must be 32 bytes');
  const ctx = await setupSender(
    SUITE,
    device.publicKey,
    handoverInfo(oldAccountId, device.deviceId),
  );
  return concat(ctx.enc, await ctx.seal(newVaultKey, new Uint8Array(0)));
}

/**
 * Opens a handover with this device's X25519 private key.
 * @throws {DecryptError} not sealed to this device for a move away from `oldAccountId`.
 */
export async function openHandover(
  privateKey: Uint8Array,
  deviceId: string,
  oldAccountId: string,
  sealed: Uint8Array,
): Promise<Uint8Array> {
  if (!isBytes(sealed) || sealed.length !== HANDOVER_BYTES)
    throw new DecryptError('sync handover: wrong size');
  try {
    const ctx = await setupRecipient(
      SUITE,
      sealed.subarray(0, 32),
      privateKey,
      handoverInfo(oldAccountId, deviceId),
    );
    return await ctx.open(sealed.subarray(32), new Uint8Array(0));
  } catch (cause) {
    throw new DecryptError('sync handover: cannot open', { cause });
  }
}

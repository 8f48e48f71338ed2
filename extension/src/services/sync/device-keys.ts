/**
 * This device's keys for following a device removal made elsewhere (issue 14):
 * its X25519 handover key pair, and a received new vault key until the person
 * confirms it with the passkey. Both are kept in the clear settings row only
 * sealed under the current vault key, so they open only while Sotto is unlocked.
 */
import {
  fromBase64Url,
  generateX25519KeyPair,
  openJson,
  sealJson,
  toBase64Url,
  type X25519KeyPair,
} from '@sotto/protocol';

const secretMeta = (deviceId: string) => ({
  id: deviceId,
  type: 'sotto/sync/device-secret',
  schemaVersion: 1,
});
const pendingMeta = (deviceId: string) => ({
  id: deviceId,
  type: 'sotto/sync/pending-key',
  schemaVersion: 1,
});

/** A fresh handover key pair and its sealed form to store. */
export function newDeviceSecret(
  vaultKey: Uint8Array,
  deviceId: string,
): { pair: X25519KeyPair; sealed: string } {
  const pair = generateX25519KeyPair();
  const sealed = sealJson(vaultKey, secretMeta(deviceId), {
    privateKey: toBase64Url(pair.privateKey),
    publicKey: toBase64Url(pair.publicKey),
  });
  return { pair, sealed: toBase64Url(sealed) };
}

/** The stored key pair, or null if it is missing or was sealed under another vault key. */
export function openDeviceSecret(
  vaultKey: Uint8Array,
  deviceId: string,
  sealed: string | undefined,
): X25519KeyPair | null {
  if (!sealed) return null;
  try {
    const o = openJson(vaultKey, secretMeta(deviceId), fromBase64Url(sealed)) as {
      privateKey: string;
      publicKey: string;
    };
    return { privateKey: fromBase64Url(o.privateKey), publicKey: fromBase64Url(o.publicKey) };
  } catch {
    return null;
  }
}

/** Seals a received vault key under the current one until it is confirmed. */
export function sealPendingKey(vaultKey: Uint8Array, deviceId: string, next: Uint8Array): string {
  return toBase64Url(sealJson(vaultKey, pendingMeta(deviceId), { key: toBase64Url(next) }));
}

/** The received vault key, or null. */
export function openPendingKey(
  vaultKey: Uint8Array,
  deviceId: string,
  sealed: string | undefined,
): Uint8Array | null {
  if (!sealed) return null;
  try {
    const o = openJson(vaultKey, pendingMeta(deviceId), fromBase64Url(sealed)) as { key: string };
    const key = fromBase64Url(o.key);
    return key.length === 32 ? key : null;
  } catch {
    return null;
  }
}

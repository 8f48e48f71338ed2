/**
 * Pairing: the vault key reaches the new device sealed end to end, both screens
 * show one SAS, and a server in the middle is caught at the code, the commitment,
 * the SAS or the seal.
 */
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/bytes';
import { DecryptError, MalformedError, VerificationError } from '../../src/errors';
import {
  approvePairing,
  checkReveal,
  normalisePairingCode,
  openPairingPayload,
  PAIRING_NONCE_BYTES,
  pairingCode,
  pairingSas,
  startPairing,
} from '../../src/sync';

const nonce = () => crypto.getRandomValues(new Uint8Array(PAIRING_NONCE_BYTES));

describe('pairing', () => {
  it('carries the payload end to end with one SAS on both screens', async () => {
    const device = await startPairing();
    expect(device.code).toMatch(/^[0-9A-HJKMNP-TV-Z]{8}$/);
    const approver = await approvePairing(device.code.toLowerCase(), device.keyPair.publicKey);
    // the new device sees the commitment first, then picks its nonce, then sees enc
    const n = nonce();
    checkReveal(approver.commitment, approver.enc);
    const sasNew = pairingSas(device.keyPair.publicKey, approver.enc, n);
    const sasApprover = pairingSas(approver.publicKey, approver.enc, n);
    expect(sasNew).toMatch(/^\d{6}$/);
    expect(sasNew).toBe(sasApprover);
    const sealed = await approver.seal(utf8('{"vaultKey":"secret"}'), n);
    expect(await openPairingPayload(device, approver.enc, n, sealed)).toEqual(
      utf8('{"vaultKey":"secret"}'),
    );
  });

  it('normalises typed codes and refuses ill-formed ones', () => {
    expect(normalisePairingCode('abcd-efgh')).toBe('ABCDEFGH');
    expect(normalisePairingCode(' o1l0 i2z9 ')).toBe('011012Z9');
    expect(() => normalisePairingCode('ABCDEFG')).toThrow(MalformedError);
    expect(() => normalisePairingCode('ABCDEFGU')).toThrow(MalformedError);
  });

  it('refuses a key the server substituted for the new device', async () => {
    const device = await startPairing();
    const server = await startPairing();
    await expect(approvePairing(device.code, server.keyPair.publicKey)).rejects.toThrow(
      VerificationError,
    );
    expect(pairingCode(server.keyPair.publicKey)).not.toBe(device.code);
  });

  it('refuses an enc that does not match the commitment', async () => {
    const device = await startPairing();
    const approver = await approvePairing(device.code, device.keyPair.publicKey);
    const mitm = await approvePairing(device.code, device.keyPair.publicKey);
    expect(() => checkReveal(approver.commitment, mitm.enc)).toThrow(VerificationError);
  });

  it('shows different SAS when a server runs its own exchange with the new device', async () => {
    const device = await startPairing();
    const approver = await approvePairing(device.code, device.keyPair.publicKey);
    const server = await approvePairing(device.code, device.keyPair.publicKey);
    const n = nonce();
    // the server commits to its own enc towards the new device
    checkReveal(server.commitment, server.enc);
    expect(pairingSas(device.keyPair.publicKey, server.enc, n)).not.toBe(
      pairingSas(device.keyPair.publicKey, approver.enc, n),
    );
  });

  it('opens nothing sealed for another transcript or altered on the way', async () => {
    const device = await startPairing();
    const approver = await approvePairing(device.code, device.keyPair.publicKey);
    const n = nonce();
    const sealed = await approver.seal(utf8('payload'), n);
    await expect(openPairingPayload(device, approver.enc, nonce(), sealed)).rejects.toThrow(
      DecryptError,
    );
    const flipped = sealed.slice();
    flipped[0]! ^= 1;
    await expect(openPairingPayload(device, approver.enc, n, flipped)).rejects.toThrow(
      DecryptError,
    );
    const other = await startPairing();
    await expect(openPairingPayload(other, approver.enc, n, sealed)).rejects.toThrow(DecryptError);
  });
});

/**
 * Issue 11, Firefox: on a moz-extension:// page the passkey ceremonies refuse plainly,
 * before any WebAuthn call and before anything is stored (see `defaultRpId` in
 * src/passkey/passkey.ts for why no RP ID fits). Run in Node with the page's
 * `location` set as Firefox sets it; the worker is the real one (test/support/services.ts).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPasskeyVault, unlockWithPasskey } from '../src/passkey';
import type { Ask } from '../src/passkey/passkey';
import { harness } from './support/services';

describe('passkeys on a Firefox extension page', () => {
  const original = Object.getOwnPropertyDescriptor(globalThis, 'location');

  beforeEach(() => {
    Object.defineProperty(globalThis, 'location', {
      configurable: true,
      value: new URL('moz-extension://7d3c5a8e-2b1f-4c6d-9e0a-5f4b3c2d1e0f/sidepanel.html'),
    });
  });
  afterEach(() => {
    if (original) Object.defineProperty(globalThis, 'location', original);
    else delete (globalThis as { location?: unknown }).location;
  });

  it('onboarding says this browser cannot create the vault; nothing asked, nothing stored', async () => {
    const h = harness();
    const asked: string[] = [];
    const ask: Ask = (type, payload) => {
      asked.push(type);
      return h.handlers[type](payload as never) as never;
    };
    await expect(createPasskeyVault({ ask })).rejects.toMatchObject({
      code: 'unsupported',
      message: expect.stringMatching(/^This browser cannot create Sotto’s vault\./),
    });
    expect(asked).toEqual([]); // refused before the worker is even asked
    expect((await h.vault.status()).state).toBe('no-vault');
    h.db.close();
  });

  it('unlock refuses the same way when a vault row exists (e.g. copied profile)', async () => {
    const h = harness();
    await h.vault.create({
      prf: new Uint8Array(32).fill(1),
      salt: new Uint8Array(32).fill(2),
      credentialId: new Uint8Array([1, 2, 3]),
    });
    await h.vault.lock();
    const ask: Ask = (type, payload) => h.handlers[type](payload as never) as never;
    await expect(unlockWithPasskey({ ask })).rejects.toMatchObject({
      code: 'unsupported',
      message: expect.stringMatching(/^This browser cannot create Sotto’s vault\./),
    });
    h.db.close();
  });
});

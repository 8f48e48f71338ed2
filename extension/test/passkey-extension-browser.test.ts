/**
 * Browser-run: the BUILT extension in headless Debian Chromium, with CDP virtual
 * authenticators. Proves the fixed id (so the passkey RP ID is stable), passkey
 * onboarding with PRF through the real service worker, lock/unlock, that a
 * different passkey gets a clear refusal with nothing erased, and that an
 * authenticator without PRF gets the plain no-PRF error and no vault at all.
 */
import type { CDPSession, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildExtension,
  EXTENSION_ID,
  type ExtensionBrowser,
  hasChromium,
  startExtensionBrowser,
} from './support/extension-browser';

const ENTRY = `
import { createPasskeyVault, unlockWithPasskey } from './src/passkey';
import { sendMessage } from './src/messaging';
globalThis.sottoTest = {
  async call(name, ...args) {
    try {
      const fn = { createPasskeyVault, unlockWithPasskey, sendMessage }[name];
      return { ok: true, value: await fn(...args) };
    } catch (e) {
      return { ok: false, code: e.code ?? e.info?.code, message: e.message };
    }
  },
};
`;

type Result = { ok: true; value: unknown } | { ok: false; code: string; message: string };

async function call(page: Page, name: string, ...args: unknown[]): Promise<Result> {
  return page.evaluate(
    (n, a) =>
      (
        globalThis as unknown as {
          sottoTest: { call(n: string, ...a: unknown[]): Promise<Result> };
        }
      ).sottoTest.call(n, ...a),
    name,
    args,
  );
}

async function addAuthenticator(cdp: CDPSession, hasPrf: boolean): Promise<string> {
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      ctap2Version: 'ctap2_1',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
      hasPrf,
    },
  });
  return authenticatorId;
}

/** Runs `body` with one virtual authenticator present, removing it afterwards. */
async function withAuthenticator<T>(
  cdp: CDPSession,
  hasPrf: boolean,
  body: (authenticatorId: string) => Promise<T>,
): Promise<T> {
  const authenticatorId = await addAuthenticator(cdp, hasPrf);
  try {
    return await body(authenticatorId);
  } finally {
    await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
  }
}

describe.skipIf(!hasChromium)('passkey vault in the built extension (headless Chromium)', () => {
  let ext: ExtensionBrowser;
  let page: Page;
  let cdp: CDPSession;
  let built: Awaited<ReturnType<typeof buildExtension>> | undefined;

  beforeAll(async () => {
    built = await buildExtension();
    ext = await startExtensionBrowser(built.dir, ENTRY);
    page = await ext.openPage('options.html');
    cdp = await page.createCDPSession();
    await cdp.send('WebAuthn.enable');
  }, 120_000);

  afterAll(async () => {
    await ext?.close();
    built?.remove();
  });

  it('loads under the fixed extension id', async () => {
    expect(page.url()).toBe(`chrome-extension://${EXTENSION_ID}/options.html`);
    expect(
      await page.evaluate(
        () => (globalThis as unknown as { chrome: { runtime: { id: string } } }).chrome.runtime.id,
      ),
    ).toBe(EXTENSION_ID);
    expect(await call(page, 'sendMessage', 'vault/status')).toEqual({
      ok: true,
      value: { state: 'no-vault' },
    });
  });

  it('an authenticator without PRF gets the plain no-PRF error, and no vault is made', async () => {
    const r = await withAuthenticator(cdp, false, () => call(page, 'createPasskeyVault'));
    expect(r).toMatchObject({ ok: false, code: 'no-prf' });
    expect((r as { message: string }).message).toMatch(/does not support the PRF extension/);
    expect(await call(page, 'sendMessage', 'vault/status')).toEqual({
      ok: true,
      value: { state: 'no-vault' },
    });
  });

  it('creates the vault with a PRF passkey, locks, and unlocks with one assertion', async () => {
    await withAuthenticator(cdp, true, async (id) => {
      const created = await call(page, 'createPasskeyVault');
      expect(created).toMatchObject({ ok: true, value: { state: 'unlocked' } });
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId: id });
      expect(credentials).toHaveLength(1);
      // Chrome records an extension's RP ID as its origin.
      expect(credentials[0]).toMatchObject({
        rpId: `chrome-extension://${EXTENSION_ID}`,
        isResidentCredential: true,
      });

      expect(await call(page, 'sendMessage', 'history/list')).toEqual({ ok: true, value: [] });
      expect(await call(page, 'sendMessage', 'vault/lock')).toMatchObject({
        ok: true,
        value: { state: 'locked' },
      });
      expect(await call(page, 'sendMessage', 'history/list')).toMatchObject({
        ok: false,
        code: 'locked',
      });
      expect(await call(page, 'unlockWithPasskey')).toMatchObject({
        ok: true,
        value: { state: 'unlocked' },
      });
      await call(page, 'sendMessage', 'vault/lock');
    });
  });

  it('another passkey cannot unlock: a clear message, nothing decrypted, nothing erased', async () => {
    const before = await call(page, 'sendMessage', 'vault/status');
    await withAuthenticator(cdp, true, async () => {
      // A second Sotto passkey on another authenticator (same RP ID, its own PRF secret).
      await page.evaluate(async (rpId) => {
        await navigator.credentials.create({
          publicKey: {
            rp: { id: rpId, name: 'Sotto' },
            user: { id: crypto.getRandomValues(new Uint8Array(16)), name: 'x', displayName: 'x' },
            challenge: crypto.getRandomValues(new Uint8Array(32)),
            pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
            authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
            extensions: { prf: {} } as AuthenticationExtensionsClientInputs,
          },
        });
      }, EXTENSION_ID);
      const r = await call(page, 'unlockWithPasskey');
      expect(r).toMatchObject({ ok: false, code: 'wrong-passkey' });
      expect((r as { message: string }).message).toMatch(
        /Nothing was decrypted and nothing was erased/,
      );
      expect(await call(page, 'sendMessage', 'vault/status')).toEqual(before);
      expect(before).toMatchObject({ ok: true, value: { state: 'locked' } });
    });
  });
});

/**
 * Passkeys for the suite: Chromium's CDP virtual authenticator (WebAuthn domain)
 * with PRF (CTAP2 hmac-secret), on the side panel page's own session so the
 * credentials are scoped to the extension's origin (RP ID = extension id).
 *
 * One gap needs a stand-in: a virtual authenticator lives only as long as the
 * browser, and CDP exports a credential's private key but not its hmac-secret,
 * so a credential re-added after a restart signs but gives no PRF output
 * (measured on Chromium 156). {@link recordPrf} notes the PRF output the real
 * virtual authenticator gave before the restart; {@link replayPrf} then answers
 * with that same output for the same credential and the same salt only — the
 * assertion itself is still made and signed by the virtual authenticator.
 */
import type { CDPSession, Page } from 'puppeteer-core';

export const PRF_AUTHENTICATOR = {
  protocol: 'ctap2',
  ctap2Version: 'ctap2_1',
  transport: 'internal',
  hasResidentKey: true,
  hasUserVerification: true,
  isUserVerified: true,
  hasPrf: true,
  automaticPresenceSimulation: true,
} as const;

export interface VirtualCredential {
  credentialId: string;
  isResidentCredential: boolean;
  rpId?: string;
  privateKey: string;
  userHandle?: string;
  signCount: number;
}

/** Enables the WebAuthn domain on `page` and adds a PRF-capable authenticator; returns its id. */
export async function addAuthenticator(cdp: CDPSession): Promise<string> {
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: PRF_AUTHENTICATOR,
  });
  return authenticatorId;
}

export async function removeAuthenticator(cdp: CDPSession, authenticatorId: string): Promise<void> {
  await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
}

export async function credentialsOf(
  cdp: CDPSession,
  authenticatorId: string,
): Promise<VirtualCredential[]> {
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  return credentials as VirtualCredential[];
}

export async function addCredential(
  cdp: CDPSession,
  authenticatorId: string,
  credential: VirtualCredential,
): Promise<void> {
  await cdp.send('WebAuthn.addCredential', { authenticatorId, credential });
}

/** A PRF output the authenticator gave: credential (base64url raw id), salt and output (hex). */
export interface PrfRecord {
  credentialId: string;
  salt: string;
  output: string;
}

// Shared by both wrappers: hex of a BufferSource; base64url of an ArrayBuffer.
const HELPERS = `
  const hex = (b) => Array.from(b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength), (x) => x.toString(16).padStart(2, '0')).join('');
  const saltOf = (o) => { const f = o && o.publicKey && o.publicKey.extensions && o.publicKey.extensions.prf && o.publicKey.extensions.prf.eval && o.publicKey.extensions.prf.eval.first; return f ? hex(f) : undefined; };
  const idOf = (c) => btoa(String.fromCharCode(...new Uint8Array(c.rawId))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
`;

/** Starts noting, in `page`, every PRF output an assertion returns. */
export async function recordPrf(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    ${HELPERS}
    const get = navigator.credentials.get.bind(navigator.credentials);
    window.__sottoPrf = [];
    navigator.credentials.get = async (options) => {
      const c = await get(options);
      const salt = saltOf(options);
      const first = c && c.getClientExtensionResults().prf?.results?.first;
      if (c && salt && first) window.__sottoPrf.push({ credentialId: idOf(c), salt, output: hex(first) });
      return c;
    };
  })()`);
}

/** The PRF outputs noted since {@link recordPrf}. */
export async function recordedPrf(page: Page): Promise<PrfRecord[]> {
  return (await page.evaluate('window.__sottoPrf || []')) as PrfRecord[];
}

/**
 * From the next navigation of `page` on: an assertion by a credential in
 * `records` for the same salt, that came back without PRF output, gets the
 * recorded output. Any other credential or salt is left as the authenticator answered.
 */
export async function replayPrf(page: Page, records: PrfRecord[]): Promise<void> {
  await page.evaluateOnNewDocument(`(() => {
    ${HELPERS}
    const records = ${JSON.stringify(records)};
    const get = navigator.credentials.get.bind(navigator.credentials);
    navigator.credentials.get = async (options) => {
      const c = await get(options);
      const salt = saltOf(options);
      if (!c || !salt || c.getClientExtensionResults().prf?.results?.first) return c;
      const r = records.find((x) => x.credentialId === idOf(c) && x.salt === salt);
      if (!r) return c;
      const out = new Uint8Array(r.output.match(/../g).map((h) => parseInt(h, 16)));
      const results = c.getClientExtensionResults();
      c.getClientExtensionResults = () => ({ ...results, prf: { results: { first: out.buffer } } });
      return c;
    };
  })()`);
}

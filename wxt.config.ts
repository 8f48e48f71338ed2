/**
 * WXT build of the Sotto extension (Manifest V3; Chrome first, Firefox builds too).
 * Sources live in `extension/`; the unpacked build is `.output/chrome-mv3` at the repo root.
 */
import preact from '@preact/preset-vite';
import { defineConfig } from 'wxt';
import { BROWSER_ALIASES } from './protocol/browser-aliases.mjs';

/**
 * The manifest `key`: the base64 SPKI of an RSA-2048 public key made once with
 * node:crypto (the private key was discarded; nothing can sign with it, and
 * nothing needs to — an unpacked extension's id is derived from this key alone).
 * It fixes the extension id in every checkout, and with it the WebAuthn RP ID
 * the passkey is bound to:
 *
 *   id = first 16 bytes of SHA-256(SPKI DER), each nibble mapped 0-f → a-p
 *      = dnkpelokofdngkeleinjlkmnanbolecg
 *
 * Changing this key orphans every passkey vault made with the old id.
 */
export const MANIFEST_KEY =
  'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAp0WfgMArzhv2Uxczpas08OVXC5mU7OR0rgAIW7jK9Ssz4WtD7jFCoPUJ8nFEl4+23poGhD34Qx+49jKSMbyFPRCcw3mJFDMZMIUxiw3eJjwmgQ6WXYKDOuVkoog/s/HVR66gykrQ7JHxCsRheTjOwaVOyCspaPFMjBMI/LUimr522hQHf4eVhUgY8gsxadZNLdgD/MuGwXtZnU+s7+mJRoRvXvqytaKkqciJOdmABYFScr1ubEAuIZnaIpGb88ujE/HIgjtwhL71j4VgUrZA2kwUS/R1GM9rbw9gzVkPyyknhZiI1P9zYQGaXnZ/cFFgzwNFOJmvI+s9ODfit2Z0eQIDAQAB';

/** The id Chrome derives from {@link MANIFEST_KEY}; e2e tests use it as the passkey RP ID. */
export const EXTENSION_ID = 'dnkpelokofdngkeleinjlkmnanbolecg';

/**
 * The relay a fresh install talks to, and the only origin it may reach without
 * asking; others are optional host permissions, asked for in the options page.
 * `SOTTO_RELAY_URL` at build time points a build at another relay (a self-hosted
 * one, or a test's on another port).
 */
export const DEFAULT_RELAY_URL = relayUrlFromEnv(process.env.SOTTO_RELAY_URL);

function relayUrlFromEnv(value: string | undefined): string {
  if (!value) return 'http://127.0.0.1:8787';
  const url = new URL(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error('SOTTO_RELAY_URL must be an http(s) URL');
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * The oldest Chrome with both APIs Sotto cannot work without: `chrome.sidePanel`
 * (Chrome 114, https://developer.chrome.com/docs/extensions/reference/api/sidePanel
 * "Availability: Chrome 114+ MV3+") and the WebAuthn PRF extension that derives the
 * vault key (shipped in Chrome 116: blink-dev "Intent to Ship: WebAuthn PRF extension",
 * https://groups.google.com/a/chromium.org/g/blink-dev/c/iTNOgLwD2bI, and
 * https://chromestatus.com/feature/5138422207348736). Passkey providers add their own
 * floor on top (Google Password Manager returns PRF from Chrome 128 on desktop), which
 * the onboarding reports when a provider gives no PRF.
 */
export const MINIMUM_CHROME_VERSION = '116';

/** Sites the user may let Sotto read (asked one origin at a time, or all when the tab's origin is hidden). */
const OPTIONAL_SITES = ['http://*/*', 'https://*/*'] as const;

/** Extension pages: own scripts only, no plugins, no remote images (model output stays inert). */
const EXTENSION_PAGES_CSP = "script-src 'self'; object-src 'none'; img-src 'self' data:";

export default defineConfig({
  srcDir: 'extension',
  // `npm start` and its test build elsewhere with SOTTO_OUTPUT_DIR.
  outDir: process.env.SOTTO_OUTPUT_DIR || '.output',
  publicDir: 'extension/public',
  imports: false,
  // Typed messages from extension/locales/*.yml, built into _locales/ for browser.i18n.
  modules: ['@wxt-dev/i18n/module'],
  vite: () => ({
    plugins: [preact()],
    // @sigstore/verify (release verification in the worker) requires Node's `crypto` and
    // `util`: point them at the protocol's @noble shims (protocol/src/release/shim/).
    resolve: { alias: BROWSER_ALIASES },
    define: { __SOTTO_DEFAULT_RELAY_URL__: JSON.stringify(DEFAULT_RELAY_URL) },
  }),
  manifest: ({ browser }) => ({
    name: '__MSG_ext_name__',
    description: '__MSG_ext_description__',
    default_locale: 'en',
    ...(browser === 'firefox'
      ? { browser_specific_settings: { gecko: { id: 'sotto@sotto.invalid' } } }
      : { key: MANIFEST_KEY, minimum_chrome_version: MINIMUM_CHROME_VERSION }),
    permissions: ['storage', 'contextMenus', 'activeTab', 'scripting', 'alarms'].concat(
      browser === 'firefox' ? [] : ['sidePanel'],
    ),
    host_permissions: [`${new URL(DEFAULT_RELAY_URL).origin}/*`],
    // MV2 (Firefox) has no optional_host_permissions: host patterns go in optional_permissions.
    ...(browser === 'firefox'
      ? { optional_permissions: [...OPTIONAL_SITES] }
      : { optional_host_permissions: [...OPTIONAL_SITES] }),
    content_security_policy: { extension_pages: EXTENSION_PAGES_CSP },
    action: { default_title: '__MSG_ext_actionTitle__' },
    commands: {
      'summarize-page': {
        suggested_key: { default: 'Alt+Shift+S' },
        description: '__MSG_ext_commandSummarize__',
      },
      'toggle-panel': {
        suggested_key: { default: 'Alt+Shift+O' },
        description: '__MSG_ext_commandToggle__',
      },
    },
  }),
});

/**
 * Issue 11, Firefox: the MV2 build (`wxt build -b firefox`) as Firefox needs it, and
 * Debian's firefox-esr accepting it. What is checked here, and what is not:
 *
 * - The manifest: host patterns for site access in `optional_permissions` (MV2 has no
 *   `optional_host_permissions`), the toolbar button as `browser_action`, the panel as
 *   `sidebar_action`, no MV3-only keys left over.
 * - Firefox ESR, headless, driven by puppeteer-core over WebDriver BiDi, installs the
 *   build (`webExtension.install`: Firefox parses and validates the manifest, and
 *   refuses an add-on it cannot load).
 * - NOT driven in Firefox: the extension's own pages. BiDi refuses to navigate to a
 *   moz-extension:// URL ("not allowed in this context", Firefox 153), and the sidebar
 *   and the toolbar are browser chrome that BiDi cannot reach. The passkey refusal on
 *   moz-extension:// pages is checked in Node instead (`extension/test/passkey-firefox.test.ts`).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'wxt';
import { REPO_ROOT } from '../../enclave/test/support/enclave-process';

const FIREFOX = process.env.SOTTO_FIREFOX ?? '/usr/bin/firefox-esr';
const hasFirefox = existsSync(FIREFOX);
if (!hasFirefox && process.env.CI) {
  throw new Error(`${FIREFOX} is missing: install Debian's firefox-esr (.ci/run does)`);
}

interface Mv2Manifest {
  manifest_version: number;
  permissions?: string[];
  optional_permissions?: string[];
  optional_host_permissions?: unknown;
  host_permissions?: unknown;
  action?: unknown;
  side_panel?: unknown;
  browser_action?: { default_title?: string };
  sidebar_action?: { default_panel?: string };
  background?: { scripts?: string[]; service_worker?: string };
  browser_specific_settings?: { gecko?: { id?: string } };
}

describe('the Firefox build (MV2)', () => {
  let outDir: string;
  let dir: string;
  let manifest: Mv2Manifest;

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'sotto-firefox-build-'));
    const noop = () => {};
    await build({
      root: REPO_ROOT,
      outDir,
      browser: 'firefox',
      logger: {
        debug: noop,
        log: noop,
        info: noop,
        warn: noop,
        success: noop,
        error: console.error,
        fatal: console.error,
        level: 0,
      } as never,
    });
    dir = join(outDir, 'firefox-mv2');
    manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Mv2Manifest;
  }, 180_000);

  afterAll(() => {
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it('asks for site access through optional_permissions with host patterns', () => {
    expect(manifest.manifest_version).toBe(2);
    expect(manifest.optional_permissions).toEqual(
      expect.arrayContaining(['http://*/*', 'https://*/*']),
    );
    expect(manifest.optional_host_permissions).toBeUndefined();
    expect(manifest.host_permissions).toBeUndefined();
    // The default relay is the one origin reachable without asking.
    expect(manifest.permissions).toContain('http://127.0.0.1:8787/*');
  });

  it('has a toolbar button (browser_action) and the panel as a sidebar; no MV3-only keys', () => {
    expect(manifest.browser_action).toBeDefined();
    expect(manifest.action).toBeUndefined();
    expect(manifest.sidebar_action?.default_panel).toBe('sidepanel.html');
    expect(manifest.side_panel).toBeUndefined();
    expect(manifest.permissions).not.toContain('sidePanel');
    expect(manifest.background?.scripts).toEqual(['background.js']);
    expect(manifest.background?.service_worker).toBeUndefined();
    // The background opens the sidebar from the toolbar button's click (MV2 browserAction).
    const background = readFileSync(join(dir, 'background.js'), 'utf8');
    expect(background).toContain('browserAction');
    expect(background).toContain('sidebarAction');
  });

  it.skipIf(!hasFirefox)(
    'Debian firefox-esr installs it (headless, WebDriver BiDi)',
    async () => {
      const profile = mkdtempSync(join(tmpdir(), 'sotto-firefox-profile-'));
      const browser = await puppeteer.launch({
        browser: 'firefox',
        executablePath: FIREFOX,
        headless: true,
        userDataDir: profile,
      });
      try {
        expect(await browser.version()).toMatch(/^firefox\//);
        expect(await browser.installExtension(dir)).toBe(
          manifest.browser_specific_settings?.gecko?.id,
        );
      } finally {
        await browser.close();
        rmSync(profile, { recursive: true, force: true });
      }
    },
    120_000,
  );
});

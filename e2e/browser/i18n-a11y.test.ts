/**
 * Issue 19, languages and accessibility, in headless Debian Chromium with the built
 * extension against the real relay and enclave (test model): once with an English UI
 * and once with `--lang=de`. In each language the panel (onboarding, chat with an
 * answer, the menu with the browser's own shortcuts, locked) and the options page speak
 * that language, mark the page with it, write dates its way, pass axe-core with no
 * serious or critical violation, keep Tab in the order header → transcript → composer
 * and show where the focus is; the worker names its context-menu items in it too.
 * Screenshots of the panel, light and dark, land in artifacts/browser/screenshots/.
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../enclave/test/support/enclave-process';
import { saveArtifactsOnFailure, stackLogs } from './support/artifacts';
import { addAuthenticator } from './support/authenticator';
import {
  EXTENSION_ORIGIN,
  type ExtensionBrowser,
  hasChromium,
  launchBrowser,
} from './support/browser';
import { testExtension } from './support/extension-build';
import { configure, createVault, sendChat, waitForAnswer, waitForVault } from './support/panel';
import { type BrowserStack, startBrowserStack } from './support/stack';

const FLOW_TIMEOUT_MS = 180_000;
const GENERATION = { maxTokens: 24, temperature: 0 };
const SHOTS = join(REPO_ROOT, 'artifacts', 'browser', 'screenshots');
const AXE_SOURCE = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);

/** What each language must show: a few messages as the locale files have them. */
const EXPECT = {
  en: {
    args: ['--lang=en-US'],
    onboardingTitle: 'Private AI for any page',
    unlockTitle: 'Sotto is locked',
    send: 'Send',
    shortcutsTitle: 'Keyboard shortcuts',
    summarizeCommand: 'Summarize this page privately',
    menuTitles: ['Summarize this page privately', 'Rewrite selection privately', 'Shorter'],
    optionsTitle: 'Sotto options',
    /** The year and day of a date as the language writes it (month names differ). */
    date: /\b\d{1,2}, 20\d\d\b/,
  },
  de: {
    args: ['--lang=de'],
    onboardingTitle: 'Vertrauliche KI für jede Seite',
    unlockTitle: 'Sotto ist gesperrt',
    send: 'Senden',
    shortcutsTitle: 'Tastenkürzel',
    summarizeCommand: 'Diese Seite vertraulich zusammenfassen',
    menuTitles: [
      'Diese Seite vertraulich zusammenfassen',
      'Auswahl vertraulich umschreiben',
      'Kürzer',
    ],
    optionsTitle: 'Sotto-Einstellungen',
    date: /\b\d{1,2}\.\d{1,2}\.20\d\d\b/,
  },
} as const;

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core, injected through DevTools (the extension's CSP forbids other scripts), run on the page as it is. */
async function seriousViolations(page: Page): Promise<string[]> {
  const loaded = await page.evaluate('typeof window.axe');
  if (loaded !== 'object') await page.evaluate(AXE_SOURCE);
  const violations = (await page.evaluate(
    `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations)`,
  )) as Violation[];
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    );
}

/** The panel in light and dark, as `artifacts/browser/screenshots/i18n-<name>-{light,dark}.png`. */
async function shoot(page: Page, name: string): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: scheme }]);
    const dark = await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches);
    expect(dark).toBe(scheme === 'dark');
    await page.screenshot({ path: join(SHOTS, `i18n-${name}-${scheme}.png`) as `${string}.png` });
  }
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
}

/** Presses Tab from the top of the page, noting what gets the focus and whether it shows. */
async function tabWalk(
  page: Page,
  steps: number,
): Promise<{ id: string; outline: string; region: string }[]> {
  // Start where a fresh page does: a focus point before everything (not in the Tab order itself).
  await page.evaluate(() => {
    const start = document.createElement('span');
    start.tabIndex = -1;
    start.id = 'tab-walk-start';
    document.body.prepend(start);
    start.focus();
  });
  const seen: { id: string; outline: string; region: string }[] = [];
  for (let i = 0; i < steps; i++) {
    await page.keyboard.press('Tab');
    seen.push(
      await page.evaluate(() => {
        const el = document.activeElement as HTMLElement;
        const style = getComputedStyle(el);
        const region = el.closest('header')
          ? 'header'
          : el.closest('.badge-row')
            ? 'header'
            : el.closest('[data-testid="transcript"]')
              ? 'transcript'
              : el.closest('form.composer')
                ? 'composer'
                : 'other';
        return {
          id: el.dataset.testid ?? el.tagName.toLowerCase(),
          outline: `${style.outlineStyle} ${style.outlineWidth}`,
          region,
        };
      }),
    );
  }
  await page.evaluate(() => document.getElementById('tab-walk-start')?.remove());
  return seen;
}

describe.skipIf(!hasChromium)('languages and accessibility (issue 19)', () => {
  let stack: BrowserStack;
  let extensionDir: string;

  beforeAll(async () => {
    [stack, extensionDir] = await Promise.all([startBrowserStack(), testExtension()]);
    mkdirSync(SHOTS, { recursive: true });
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
  });

  for (const lang of ['en', 'de'] as const) {
    const want = EXPECT[lang];

    describe(`UI in ${lang}`, () => {
      let ext: ExtensionBrowser | undefined;
      let panel: Page;

      beforeAll(async () => {
        ext = await launchBrowser(extensionDir, mkdtempSync(join(tmpdir(), 'sotto-e2e-i18n-')), {
          args: want.args,
        });
        panel = await ext.openPanel();
        await addAuthenticator(await panel.createCDPSession());
      }, 120_000);

      saveArtifactsOnFailure(`i18n-a11y-${lang}`, () => ({
        browser: ext,
        logs: stackLogs(stack),
      }));

      afterAll(async () => {
        await ext?.close();
      });

      it(
        'onboarding: in the UI language, a passkey in two sentences and the lock; no serious axe violation',
        async () => {
          await waitForVault(panel, 'no-vault');
          expect(await panel.evaluate(() => document.documentElement.lang)).toMatch(
            new RegExp(`^${lang}\\b`),
          );
          expect(await panel.$eval('#onboarding-title', (e) => e.textContent)).toBe(
            want.onboardingTitle,
          );
          const passkey = await panel.$eval(
            '[data-testid="onboarding-passkey"]',
            (e) => e.textContent ?? '',
          );
          expect(passkey.match(/[.!?](\s|$)/g)).toHaveLength(2);
          expect(passkey).toMatch(/Passkey|passkey/);
          expect(
            await panel.$eval('[data-testid="onboarding-lock"]', (e) => e.textContent),
          ).toBeTruthy();
          expect(await seriousViolations(panel)).toEqual([]);
          // The check sees what it must: a button with no name is a critical violation.
          await panel.evaluate(() => document.body.append(document.createElement('button')));
          expect((await seriousViolations(panel)).join('\n')).toMatch(/^critical button-name/);
          await panel.evaluate(() => document.querySelector('body > button:last-child')?.remove());
          await shoot(panel, `${lang}-onboarding`);
        },
        FLOW_TIMEOUT_MS,
      );

      it(
        'chat with an answer: labelled controls, Tab runs header → transcript → composer with visible focus, no serious axe violation',
        async () => {
          await createVault(panel);
          await configure(panel, stack.clientProxy.url, GENERATION);
          await sendChat(panel, 'Once upon a time');
          await waitForAnswer(panel, 1, ['done']);
          expect(
            await panel.$eval(
              '[data-testid="composer-input"]',
              (e) => e.closest('form')?.querySelector('[data-testid="send"]')?.textContent,
            ),
          ).toBe(want.send);
          expect(await seriousViolations(panel)).toEqual([]);

          const all = await tabWalk(panel, 16);
          // One round through the page: up to the first control reached twice.
          const again = all.findIndex((w, i) => all.findIndex((v) => v.id === w.id) < i);
          const walk = again < 0 ? all : all.slice(0, again);
          // Runs of the same region, in the order Tab reaches them.
          const order = walk
            .map((w) => w.region)
            .filter((r, i, all) => r !== 'other' && r !== all[i - 1]);
          expect({ order, walk: walk.map((w) => `${w.region}:${w.id}`) }).toMatchObject({
            order: ['header', 'transcript', 'composer'],
          });
          expect(walk.map((w) => w.id)).toContain('transcript');
          // Every control the keyboard reaches shows a focus ring (beyond the last, focus leaves the page).
          for (const w of walk.filter((v) => v.region !== 'other'))
            expect([w.id, w.outline]).not.toEqual([w.id, expect.stringMatching(/^none|\b0px$/)]);
          await shoot(panel, `${lang}-chat`);
        },
        FLOW_TIMEOUT_MS,
      );

      it(
        "the panel's menu lists the browser's own shortcut bindings, dates in the UI language; no serious axe violation",
        async () => {
          await panel.click('[data-testid="history-toggle"]');
          await panel.waitForSelector('[data-testid="conversation-item"]');
          await panel.waitForSelector('[data-testid="shortcut"]');
          const shown = await panel.$$eval('[data-testid="shortcut"]', (rows) =>
            rows.map((r) => ({
              name: r.getAttribute('data-command'),
              keys: r.querySelector('kbd')?.textContent ?? '',
              description: r.querySelector('dd')?.textContent ?? '',
            })),
          );
          const bound = (await ext!.worker.evaluate(
            'chrome.commands.getAll().then((all) => all.filter((c) => c.description).map((c) => ({ name: c.name, keys: c.shortcut || "", description: c.description })))',
          )) as typeof shown;
          expect(shown).toEqual(bound);
          expect(shown.find((c) => c.name === 'summarize-page')?.description).toBe(
            want.summarizeCommand,
          );
          expect(await panel.$eval('#shortcuts-title', (e) => e.textContent)).toBe(
            want.shortcutsTitle,
          );
          const date = await panel.$eval(
            '[data-testid="conversation-item"] .conv-open .muted',
            (e) => e.textContent ?? '',
          );
          expect(date).toMatch(want.date);
          expect(await seriousViolations(panel)).toEqual([]);
          await shoot(panel, `${lang}-menu`);
          await panel.click('[data-testid="history-toggle"]');
        },
        FLOW_TIMEOUT_MS,
      );

      it(
        'locked: the unlock screen in the UI language; no serious axe violation',
        async () => {
          await panel.click('[data-testid="lock"]');
          await waitForVault(panel, 'locked');
          expect(await panel.$eval('#unlock-title', (e) => e.textContent)).toBe(want.unlockTitle);
          expect(await seriousViolations(panel)).toEqual([]);
          await shoot(panel, `${lang}-locked`);
        },
        FLOW_TIMEOUT_MS,
      );

      it(
        'options: in the UI language with the shortcuts; no serious axe violation',
        async () => {
          const options = await ext!.browser.newPage();
          await options.goto(`${EXTENSION_ORIGIN}/options.html`);
          await options.waitForSelector('h1');
          await options.waitForSelector('[data-testid="shortcut"]');
          expect(
            await options.evaluate(() => [document.documentElement.lang, document.title]),
          ).toEqual([expect.stringMatching(new RegExp(`^${lang}\\b`)), want.optionsTitle]);
          expect(await options.$eval('h1', (e) => e.textContent)).toBe(want.optionsTitle);
          expect(await seriousViolations(options)).toEqual([]);
          await options.close();
        },
        FLOW_TIMEOUT_MS,
      );

      it(
        'the worker names its context-menu items in the UI language',
        async () => {
          const titles = (await ext!.worker.evaluate(`new Promise((resolve) => {
            const made = [];
            const create = chrome.contextMenus.create;
            chrome.contextMenus.create = (props, cb) => { made.push(props.title); return create.call(chrome.contextMenus, props, cb); };
            chrome.runtime.onInstalled.dispatch({ reason: 'update' });
            const wait = () => (made.length >= 7 ? (chrome.contextMenus.create = create, resolve(made)) : setTimeout(wait, 20));
            wait();
          })`)) as string[];
          expect(titles.slice(0, 3)).toEqual(want.menuTitles);
        },
        FLOW_TIMEOUT_MS,
      );
    });
  }
});

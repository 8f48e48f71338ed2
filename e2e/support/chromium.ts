/**
 * Debian's Chromium for every browser-run test and benchmark: one path, one set of
 * flags. Puppeteer cannot download a browser here, and without the networking
 * flags Chromium keeps trying to reach hosts this machine cannot reach.
 */
import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type LaunchOptions } from 'puppeteer-core';

export const CHROMIUM = process.env.SOTTO_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Whether browser tests can run. Outside CI a missing Chromium skips them with a
 * warning; in CI (`CI` set) it is an error, so a broken install cannot pass as green.
 */
export const hasChromium = existsSync(CHROMIUM);
if (!hasChromium && process.env.CI) {
  throw new Error(`${CHROMIUM} is missing: install Debian's chromium (.ci/run does)`);
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
] as const;

/** Headless Chromium on a fresh (or given) profile, optionally with one unpacked extension. */
export function launchChromium(options: {
  userDataDir: string;
  extensionDir?: string;
  protocolTimeout?: number;
  /** More command-line flags (e.g. `--lang=de` for the UI language). */
  args?: readonly string[];
}): Promise<Browser> {
  const ext = options.extensionDir;
  const launch: LaunchOptions = {
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: options.userDataDir,
    args: [
      ...CHROMIUM_ARGS,
      ...(ext ? [`--disable-extensions-except=${ext}`, `--load-extension=${ext}`] : []),
      ...(options.args ?? []),
    ],
    ...(ext ? { ignoreDefaultArgs: ['--disable-extensions'] } : {}),
    ...(options.protocolTimeout ? { protocolTimeout: options.protocolTimeout } : {}),
  };
  return puppeteer.launch(launch);
}

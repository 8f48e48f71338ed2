/**
 * Browser run of the side panel's components (src/components/) in headless
 * Chromium: the real Preact components, bundled by esbuild, rendered into a
 * page from 127.0.0.1 with real props. Checks the states and test ids the
 * end-to-end suite waits on (`data-state`, `aria-busy`), the development
 * banner, error notices with Retry, Insert, the lock badge and its evidence
 * dialog, keyboard use of the composer, and that a hostile answer is inert.
 */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvidenceSummary } from '../src/messaging';
import { type Harness, hasChromium, startHarness } from './browser-harness';
import { chromeI18nScript } from './support/locale-messages';

const SRC = fileURLToPath(new URL('../src/components/', import.meta.url));
const CSS = ['base.css', 'chat.css']
  .map((f) => readFileSync(new URL(`../src/components/${f}`, import.meta.url), 'utf8'))
  .join('\n');

const ENTRY = `
import { h, render } from 'preact';
import { MessageItem } from './message-item';
import { LockBadge } from './lock-badge';
import { Composer } from './composer';
import { askTurn, explainTurn, summaryTurn, translateTurn } from '../page/prompts';
export { h, render, MessageItem, LockBadge, Composer, summaryTurn, askTurn, explainTurn, translateTurn };
`;

const PAGE = `<!doctype html><html lang="en"><meta charset="utf-8"><link rel="stylesheet" href="/styles.css">
<body><div id="root"></div>
<script>${chromeI18nScript('en')}</script>
<script src="/bundle.js"></script>
<script>
  window.calls = [];
  window.mount = (name, props) => {
    const root = document.getElementById('root');
    sotto.render(sotto.h(sotto[name], props), root);
  };
  window.actions = (insertResult) => ({
    onCopy: async (t) => { window.calls.push(['copy', t]); },
    onRetry: () => window.calls.push(['retry']),
    onRegenerate: () => window.calls.push(['regenerate']),
    onInsert: async (t) => { window.calls.push(['insert', t]); return insertResult; },
  });
</script></body></html>`;

const evidence: EvidenceSummary = {
  platform: 'dev',
  development: true,
  measurement: 'a1'.repeat(48),
  model: { name: 'stories260K', sha256: '5c'.repeat(32) },
  keyId: 3,
  kem: 'X-Wing',
  keyAgeSeconds: 125,
  releaseId: 'dev-local',
  keyCreatedAt: '2026-01-01T00:00:00.000Z',
  verifiedAt: '2026-01-01T00:02:05.000Z',
};

const HOSTILE = `Here you go <img src=x onerror="window.__pwned=1"> and [link](javascript:window.__pwned=2) ![t](https://remote.example/t.png)\n\n**done**`;

type Msg = Record<string, unknown>;
const answer = (extra: Msg = {}): Msg => ({
  key: 'a1',
  role: 'assistant',
  content: '',
  state: 'streaming',
  ...extra,
});

async function mountMessage(page: Page, m: Msg, insertResult: unknown = { ok: true }) {
  await page.evaluate(
    (m, r) => {
      const w = window as unknown as {
        mount: (n: string, p: unknown) => void;
        actions: (r: unknown) => unknown;
      };
      w.mount('MessageItem', { m, actions: w.actions(r) });
    },
    m,
    insertResult,
  );
}

const attr = (page: Page, sel: string, name: string) =>
  page.$eval(sel, (e, n) => e.getAttribute(n), name);
/**
 * Escape closes the evidence dialog once it is modal: it renders (and its contents can be
 * found) a frame before its effect calls showModal, and an Escape pressed in between is lost.
 */
async function closeDialog(page: Page): Promise<void> {
  await page.waitForSelector('[data-testid="evidence-dialog"][open]');
  await page.keyboard.press('Escape');
}

const calls = (page: Page) => page.evaluate('window.calls') as Promise<unknown[][]>;

describe.skipIf(!hasChromium)('side panel components in headless Chromium', () => {
  let h: Harness;
  let page: Page;
  const remote: string[] = [];

  beforeAll(async () => {
    h = await startHarness({
      entry: ENTRY,
      resolveDir: SRC,
      tsx: true,
      pages: { '/': PAGE },
      files: { '/styles.css': ['text/css', CSS] },
    });
    page = await h.browser.newPage();
    page.on('request', (r) => {
      if (!r.url().startsWith(h.url)) remote.push(r.url());
    });
    await page.setViewport({ width: 400, height: 700 });
    await page.goto(h.url);
  });
  afterAll(async () => h?.close());

  it('a streaming dev answer: busy, banner, no actions yet; when done: Copy and Regenerate, hostile markdown inert', async () => {
    await mountMessage(page, answer({ development: true }));
    expect(await attr(page, '[data-testid="answer"]', 'data-state')).toBe('streaming');
    expect(await attr(page, '[data-testid="answer"]', 'aria-busy')).toBe('true');
    expect(await page.$eval('[data-testid="dev-banner"]', (e) => e.textContent)).toBe(
      'Development mode: no hardware protects this answer; whoever runs the enclave can read it.',
    );
    expect(await page.$('[data-testid="copy"]')).toBeNull();

    await mountMessage(page, answer({ development: true, state: 'done', content: HOSTILE }));
    expect(await attr(page, '[data-testid="answer"]', 'data-state')).toBe('done');
    expect(await attr(page, '[data-testid="answer"]', 'aria-busy')).toBe('false');
    expect(
      await page.$$eval(
        '[data-testid="answer-text"] img, [data-testid="answer-text"] script',
        (e) => e.length,
      ),
    ).toBe(0);
    expect(await page.$eval('[data-testid="answer-text"]', (e) => e.textContent)).toContain('done');
    expect(
      await page.$$eval('[data-testid="answer-text"] a', (as) =>
        as.map((a) => a.getAttribute('href')),
      ),
    ).toEqual([null]);
    await page.click('[data-testid="copy"]');
    await page.waitForFunction(
      () => document.querySelector('[data-testid="copy"]')?.textContent === 'Copied',
    );
    await page.click('[data-testid="regenerate"]');
    expect(await calls(page)).toEqual([['copy', HOSTILE], ['regenerate']]);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(remote).toEqual([]);
  });

  it('a summary of a long page says how much of it went in', async () => {
    const note = 'The page was long; Sotto used the first 48,000 of 120,000 characters.';
    await mountMessage(page, answer({ key: 'a5', state: 'done', content: 'Summary.', note }));
    expect(await page.$eval('[data-testid="page-cut-note"]', (e) => e.textContent)).toBe(note);
  });

  it('a long request shows its step while it runs, and how the answer was made once done (issue 15)', async () => {
    await mountMessage(
      page,
      answer({ key: 'a6', progress: { stage: 'part', index: 3, count: 7 } }),
    );
    expect(await page.$eval('[data-testid="plan-progress"]', (e) => e.textContent)).toBe(
      'Reading part 3 of 7…',
    );
    expect(await page.$('[data-testid="answer-waiting"]')).toBeNull();
    await mountMessage(
      page,
      answer({ key: 'a7', state: 'done', content: 'Summary.', plan: { parts: 7, folded: 4 } }),
    );
    expect(await page.$('[data-testid="plan-progress"]')).toBeNull();
    expect(await page.$eval('[data-testid="built-from"]', (e) => e.textContent)).toContain(
      'built from 7 parts',
    );
    expect(await page.$eval('[data-testid="folded-note"]', (e) => e.textContent)).toContain(
      'the oldest 4 turns were folded into a short summary',
    );
    expect(await page.$('[data-testid="dropped-note"]')).toBeNull();
  });

  it('an answer without dev evidence has no banner; a stopped one says it is incomplete', async () => {
    await mountMessage(
      page,
      answer({ key: 'a2', development: false, state: 'stopped', content: 'partial' }),
    );
    expect(await page.$('[data-testid="dev-banner"]')).toBeNull();
    expect(await attr(page, '[data-testid="answer"]', 'data-state')).toBe('stopped');
    expect(await page.$('[data-testid="stopped-note"]')).not.toBeNull();
  });

  it('a failed answer shows the error, its reasons, and Retry', async () => {
    await page.evaluate('window.calls = []');
    const error = {
      code: 'evidence-refused',
      message: 'The evidence did not verify.',
      retryable: true,
      reasons: ['report-signature', 'measurement-not-allowed'],
    };
    await mountMessage(page, answer({ key: 'a3', state: 'error', error }));
    expect(await attr(page, '[data-testid="answer"]', 'data-state')).toBe('error');
    expect(await attr(page, '[data-testid="error"]', 'data-code')).toBe('evidence-refused');
    expect(
      await page.$$eval('[data-testid="error-reasons"] li', (l) => l.map((e) => e.textContent)),
    ).toEqual(error.reasons);
    await page.click('[data-testid="retry"]');
    expect(await calls(page)).toEqual([['retry']]);
  });

  it('a rewrite answer offers Insert and reports the outcome', async () => {
    await page.evaluate('window.calls = []');
    const insert = { tabId: 1, frameId: 0, selectionId: 's', editable: true };
    await mountMessage(
      page,
      answer({ key: 'a4', state: 'done', content: 'Better text.', insert }),
      { ok: false, reason: 'changed' },
    );
    await page.click('[data-testid="insert"]');
    await page.waitForSelector('[data-testid="insert-status"][data-ok="false"]');
    expect(await page.$eval('[data-testid="insert-status"]', (e) => e.textContent)).toBe(
      'The text was edited since; select it again and rewrite.',
    );
    expect(await calls(page)).toEqual([['insert', 'Better text.']]);
  });

  it('a summary request shows as a label with the page size, not the page text', async () => {
    const content = await page.evaluate(() => {
      const w = window as unknown as {
        sotto: { summaryTurn: (p: unknown) => { content: string } };
      };
      return w.sotto.summaryTurn({
        title: 'My article',
        url: 'https://x.example/',
        text: 'SECRET-BODY '.repeat(100),
        truncated: false,
        totalChars: 1200,
        source: 'body',
      }).content;
    });
    await mountMessage(page, { key: 'u1', role: 'user', content, state: 'done' });
    const text = await page.$eval('[data-testid="message"]', (e) => e.textContent ?? '');
    expect(text).toContain('My article');
    expect(text).toContain('1,200 characters of page text');
    expect(text).not.toContain('SECRET-BODY');
  });

  it('ask, explain and translate requests show as labels: the question, the selection, not the page', async () => {
    const turns = await page.evaluate(() => {
      type Turn = { content: string };
      const w = window as unknown as {
        sotto: {
          askTurn: (p: unknown, q: string) => Turn;
          explainTurn: (t: string) => Turn;
          translateTurn: (t: string, l: string) => Turn;
        };
      };
      const pdf = {
        title: 'Report.pdf',
        url: 'https://x.example/report.pdf',
        text: 'SECRET-BODY '.repeat(100),
        truncated: false,
        totalChars: 1200,
        source: 'pdf',
      };
      return [
        w.sotto.askTurn(pdf, 'Who wrote it?').content,
        w.sotto.explainTurn('photosynthesis').content,
        w.sotto.translateTurn('Guten Morgen', 'French').content,
      ];
    });
    const shown: string[] = [];
    for (const [i, content] of turns.entries()) {
      await mountMessage(page, { key: `u${i}`, role: 'user', content, state: 'done' });
      shown.push(await page.$eval('[data-testid="message"]', (e) => e.textContent ?? ''));
    }
    expect(shown[0]).toContain('Ask about Report.pdf');
    expect(shown[0]).toContain('Who wrote it?');
    expect(shown[0]).toContain('1,200 characters of page text');
    expect(shown[0]).not.toContain('SECRET-BODY');
    expect(shown[1]).toMatch(/Explain\s*photosynthesis/);
    expect(shown[2]).toMatch(/Translate into French\s*Guten Morgen/);
  });

  it('the lock badge shows platform, model and key age, and opens the full evidence', async () => {
    await page.evaluate((summary) => {
      (window as unknown as { mount: (n: string, p: unknown) => void }).mount('LockBadge', {
        view: { summary },
        now: Date.parse(summary.verifiedAt) + 60_000,
      });
    }, evidence);
    expect(await attr(page, '[data-testid="lock-badge"]', 'data-state')).toBe('dev');
    expect(await attr(page, '[data-testid="lock-badge"]', 'data-platform')).toBe('dev');
    expect(await attr(page, '[data-testid="lock-badge"]', 'data-model-sha256')).toBe(
      evidence.model.sha256,
    );
    const label = await page.$eval('[data-testid="lock-badge"]', (e) => e.textContent ?? '');
    expect(label).toContain('Development');
    expect(label).toContain('stories260K');
    expect(label).toContain('key 2 min');
    await page.click('[data-testid="lock-badge"]');
    await page.waitForSelector('[data-testid="evidence-dialog"][open]');
    const dialog = await page.$eval('[data-testid="evidence-dialog"]', (e) => e.textContent ?? '');
    expect(dialog).toContain(evidence.measurement);
    expect(dialog).toContain(evidence.model.sha256);
    expect(dialog).toContain('dev-local');
    expect(dialog).toContain('no hardware');
    expect(dialog).toContain('post-quantum: X-Wing');
    const shots = process.env.SOTTO_SCREENSHOTS;
    if (shots) await page.screenshot({ path: `${shots}/evidence-dialog.png` });
    await page.click('[data-testid="evidence-close"]');
    await page.waitForSelector('[data-testid="evidence-dialog"]', { hidden: true });
  });

  it('the lock badge says stale when the evidence was verified over an hour ago', async () => {
    await page.evaluate((summary) => {
      (window as unknown as { mount: (n: string, p: unknown) => void }).mount('LockBadge', {
        view: { summary },
        now: Date.parse(summary.verifiedAt) + 2 * 60 * 60_000,
      });
    }, evidence);
    expect(await attr(page, '[data-testid="lock-badge"]', 'data-state')).toBe('stale');
    const label = await page.$eval('[data-testid="lock-badge"]', (e) => e.textContent ?? '');
    expect(label).toMatch(/^\W*Stale/);
  });

  it('the lock badge shows the current failure: unreachable, enclave down, dev key changed', async () => {
    for (const [code, state] of [
      ['relay-unreachable', 'unreachable'],
      ['enclave-unavailable', 'down'],
      ['dev-key-changed', 'refused'],
      ['dev-refused', 'refused'],
    ]) {
      await page.evaluate(
        (error) => {
          (window as unknown as { mount: (n: string, p: unknown) => void }).mount('LockBadge', {
            view: { error },
          });
        },
        { code, message: 'x', retryable: true },
      );
      expect({ code, state: await attr(page, '[data-testid="lock-badge"]', 'data-state') }).toEqual(
        { code, state },
      );
    }
  });

  it('refused evidence: the badge says so and the dialog lists every reason', async () => {
    const error = {
      code: 'evidence-refused',
      message: 'Refused.',
      retryable: false,
      reasons: ['vcek-signature'],
    };
    await page.evaluate((error) => {
      (window as unknown as { mount: (n: string, p: unknown) => void }).mount('LockBadge', {
        view: { error },
      });
    }, error);
    expect(await attr(page, '[data-testid="lock-badge"]', 'data-state')).toBe('refused');
    await page.click('[data-testid="lock-badge"]');
    await page.waitForSelector('[data-testid="evidence-dialog"][open]');
    expect(
      await page.$$eval('[data-testid="evidence-reasons"] li', (l) => l.map((e) => e.textContent)),
    ).toEqual(['vcek-signature']);
    await closeDialog(page);
    await page.waitForSelector('[data-testid="evidence-dialog"]', { hidden: true });
  });

  it('a verified release: the dialog names it, its commit, repository, tag and Sigstore log entry', async () => {
    const summary: EvidenceSummary = {
      ...evidence,
      platform: 'sev-snp',
      development: false,
      model: { name: 'Llama-3.2-1B-Instruct Q4_K_M', sha256: evidence.model.sha256 },
      releaseId: '0.1.0 (0123456789ab)',
      release: {
        version: '0.1.0',
        commit: '0123456789abcdef0123456789abcdef01234567',
        repository: 'sotto-dev/sotto',
        tag: 'v0.1.0',
        signer: 'keyless',
        logIndex: '123456789',
        integratedTime: '2026-10-30T09:00:00.000Z',
        modelName: 'Llama-3.2-1B-Instruct Q4_K_M',
      },
      override: false,
    };
    await page.evaluate((summary) => {
      (window as unknown as { mount: (n: string, p: unknown) => void }).mount('LockBadge', {
        view: { summary },
      });
    }, summary);
    await page.click('[data-testid="lock-badge"]');
    await page.waitForSelector('[data-testid="evidence-dialog"][open]');
    const dialog = await page.$eval('[data-testid="evidence-dialog"]', (e) => e.textContent ?? '');
    for (const text of [
      '0.1.0',
      summary.release!.commit,
      'sotto-dev/sotto',
      'v0.1.0',
      'Llama-3.2-1B-Instruct Q4_K_M',
    ]) {
      expect(dialog).toContain(text);
    }
    expect(await page.$eval('[data-testid="release-log"]', (e) => e.textContent)).toBe(
      'logged in Sigstore, index 123456789, 2026-10-30T09:00:00.000Z',
    );
    expect(await page.$('[data-testid="override-notice"]')).toBeNull();
    await closeDialog(page);
    await page.waitForSelector('[data-testid="evidence-dialog"]', { hidden: true });
  });

  it('under the expert override: the dialog and every answer say so', async () => {
    await page.evaluate(
      (summary) => {
        (window as unknown as { mount: (n: string, p: unknown) => void }).mount('LockBadge', {
          view: { summary },
        });
      },
      { ...evidence, override: true, releaseId: 'expert override' },
    );
    await page.click('[data-testid="lock-badge"]');
    await page.waitForSelector('[data-testid="override-notice"]');
    await closeDialog(page);
    await page.waitForSelector('[data-testid="evidence-dialog"]', { hidden: true });
    await mountMessage(page, answer({ key: 'o1', override: true, state: 'done', content: 'hi' }));
    expect(await page.$eval('[data-testid="override-banner"]', (e) => e.textContent)).toMatch(
      /Expert override/,
    );
  });

  it('composer: Enter sends, Shift+Enter adds a line, Stop while busy', async () => {
    await page.evaluate(() => {
      const w = window as unknown as {
        mount: (n: string, p: unknown) => void;
        calls: unknown[][];
        busy: boolean;
      };
      w.calls = [];
      w.mount('Composer', {
        busy: false,
        pageBusy: false,
        onSend: (t: string) => w.calls.push(['send', t]),
        onStop: () => w.calls.push(['stop']),
        onSummarize: () => w.calls.push(['summarize']),
        onRewrite: () => w.calls.push(['rewrite']),
      });
    });
    // Focus moves in an effect (after paint): wait for it, then type.
    await page.waitForFunction(
      () => document.activeElement?.getAttribute('data-testid') === 'composer-input',
    );
    await page.keyboard.type('first line');
    await page.keyboard.down('Shift');
    await page.keyboard.press('Enter');
    await page.keyboard.up('Shift');
    await page.keyboard.type('second');
    await page.keyboard.press('Enter');
    await page.click('[data-testid="summarize"]');
    await page.click('[data-testid="rewrite-selection"]');
    expect(await calls(page)).toEqual([['send', 'first line\nsecond'], ['summarize'], ['rewrite']]);
    expect(
      await page.$eval('[data-testid="composer-input"]', (e) => (e as HTMLTextAreaElement).value),
    ).toBe('');
    await page.evaluate(() => {
      const w = window as unknown as { mount: (n: string, p: unknown) => void; calls: unknown[][] };
      w.mount('Composer', {
        busy: true,
        pageBusy: false,
        onSend: () => w.calls.push(['send-while-busy']),
        onStop: () => w.calls.push(['stop']),
        onSummarize: () => undefined,
        onRewrite: () => undefined,
      });
    });
    expect(await page.$('[data-testid="send"]')).toBeNull();
    await page.click('[data-testid="stop"]');
    expect((await calls(page)).at(-1)).toEqual(['stop']);
  });
});

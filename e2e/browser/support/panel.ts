/**
 * Driving the side panel page like a person does (clicks, typing) and reading
 * what it shows through the attributes the UI exposes (`data-vault`,
 * `data-state`, `aria-busy`, test ids). Waits are on those attributes and on
 * DOM mutations, never on time.
 */
import type { Page } from 'puppeteer-core';

/** Sends a request to the worker from the panel page, as the panel's own code does. */
export async function ask<T = unknown>(
  panel: Page,
  type: string,
  payload: Record<string, unknown> = {},
): Promise<{ ok: true; value: T } | { ok: false; error: { code: string; message: string } }> {
  return panel.evaluate(
    `chrome.runtime.sendMessage(${JSON.stringify({ ...payload, type })})`,
  ) as Promise<{ ok: true; value: T } | { ok: false; error: { code: string; message: string } }>;
}

/** Like {@link ask}, but throws on a refusal. */
export async function askOk<T = unknown>(
  panel: Page,
  type: string,
  payload: Record<string, unknown> = {},
): Promise<T> {
  const r = await ask<T>(panel, type, payload);
  if (!r.ok) throw new Error(`${type} refused: ${r.error.code} ${r.error.message}`);
  return r.value;
}

/** Points the extension at `relayUrl`, in development mode, with these generation settings. */
export async function configure(
  panel: Page,
  relayUrl: string,
  generation: { maxTokens: number; temperature: number },
): Promise<void> {
  await askOk(panel, 'settings/set', { relayUrl, developmentMode: true, generation });
}

export async function vaultState(panel: Page): Promise<string | null> {
  return panel.$eval('[data-testid="app"]', (e) => e.getAttribute('data-vault'));
}

export async function waitForVault(panel: Page, state: string): Promise<void> {
  await panel.waitForSelector(`[data-testid="app"][data-vault="${state}"]`);
}

/** Onboarding as a person does it: a fresh profile, "Create passkey", the vault unlocked. */
export async function createVault(panel: Page): Promise<void> {
  await waitForVault(panel, 'no-vault');
  await panel.waitForSelector('[data-testid="onboarding"]');
  await panel.click('[data-testid="create-passkey"]');
  await waitForVault(panel, 'unlocked');
}

/**
 * Starts noting every version of the newest answer the panel shows: its text
 * and `data-state`, one entry per rendered change.
 */
export async function watchAnswers(panel: Page): Promise<void> {
  await panel.evaluate(`(() => {
    window.__answers = [];
    const note = () => {
      const all = document.querySelectorAll('[data-testid="answer"]');
      const a = all[all.length - 1];
      if (!a) return;
      const text = a.querySelector('[data-testid="answer-text"]')?.textContent ?? '';
      const state = a.getAttribute('data-state');
      const last = window.__answers[window.__answers.length - 1];
      if (!last || last.text !== text || last.state !== state || last.count !== all.length)
        window.__answers.push({ count: all.length, state, text });
    };
    if (window.__answerObserver) window.__answerObserver.disconnect();
    window.__answerObserver = new MutationObserver(note);
    window.__answerObserver.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  })()`);
}

export interface AnswerSnapshot {
  count: number;
  state: string;
  text: string;
}

export async function answerHistory(panel: Page): Promise<AnswerSnapshot[]> {
  return (await panel.evaluate('window.__answers || []')) as AnswerSnapshot[];
}

/** Waits until the panel shows `count` answers and the newest is in one of `states`. */
export async function waitForAnswer(
  panel: Page,
  count: number,
  states: string[],
  timeout = 120_000,
): Promise<{ state: string; text: string }> {
  await panel.waitForFunction(
    (n: number, s: string[]) => {
      const all = document.querySelectorAll('[data-testid="answer"]');
      const a = all[all.length - 1];
      return all.length === n && !!a && s.includes(a.getAttribute('data-state') ?? '');
    },
    { timeout, polling: 'mutation' },
    count,
    states,
  );
  return panel.evaluate(() => {
    const all = document.querySelectorAll('[data-testid="answer"]');
    const a = all[all.length - 1]!;
    return {
      state: a.getAttribute('data-state') ?? '',
      text: a.querySelector('[data-testid="answer-text"]')?.textContent ?? '',
    };
  });
}

/** Types `text` into the composer and presses Enter. */
export async function sendChat(panel: Page, text: string): Promise<void> {
  await panel.waitForSelector('[data-testid="composer-input"]:not([disabled])');
  await panel.click('[data-testid="composer-input"]');
  await panel.type('[data-testid="composer-input"]', text);
  await panel.keyboard.press('Enter');
}

/**
 * Every row of the extension's IndexedDB database `sotto`, read in the panel
 * page: JSON for clear fields, raw bytes for binary ones, so a canary scan
 * sees exactly what is stored.
 */
export async function dumpDatabase(
  panel: Page,
): Promise<{ bytes: Buffer; counts: Record<string, number> }> {
  const out = (await panel.evaluate(`new Promise((resolve, reject) => {
    const open = indexedDB.open('sotto');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const names = Array.from(db.objectStoreNames);
      const tx = db.transaction(names, 'readonly');
      const counts = {};
      let text = '';
      const bin = (u) => { let s = ''; for (const b of u) s += String.fromCharCode(b); return s; };
      const flat = (v) => {
        if (v instanceof Uint8Array) return '\\u0000BIN:' + bin(v);
        if (v instanceof ArrayBuffer) return '\\u0000BIN:' + bin(new Uint8Array(v));
        if (Array.isArray(v)) return v.map(flat);
        if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, flat(x)]));
        return v;
      };
      for (const name of names) {
        const req = tx.objectStore(name).getAll();
        req.onsuccess = () => { counts[name] = req.result.length; for (const row of req.result) text += JSON.stringify(flat(row)) + '\\n'; };
      }
      tx.oncomplete = () => { db.close(); resolve({ text, counts }); };
      tx.onerror = () => reject(tx.error);
    };
  })`)) as { text: string; counts: Record<string, number> };
  // JSON escapes bytes ≥ 0x80 as themselves (code points < 256): latin1 gives the raw bytes back.
  const decoded = out.text.replace(/"\\u0000BIN:((?:[^"\\]|\\.)*)"/g, (_m, s: string) =>
    JSON.parse(`"${s}"`),
  );
  return { bytes: Buffer.from(decoded, 'latin1'), counts: out.counts };
}

/**
 * {@link waitForAnswer} for answers that take longer than one DevTools call may wait
 * (`protocolTimeout`, 120 s): waits in steps of `stepMs` until `totalMs` have passed.
 */
export async function waitForAnswerLong(
  panel: Page,
  count: number,
  states: string[],
  totalMs: number,
  stepMs = 100_000,
): Promise<{ state: string; text: string }> {
  const deadline = Date.now() + totalMs;
  for (;;) {
    try {
      return await waitForAnswer(panel, count, states, Math.min(stepMs, deadline - Date.now()));
    } catch (e) {
      if (Date.now() >= deadline || !(e instanceof Error) || e.name !== 'TimeoutError') throw e;
    }
  }
}

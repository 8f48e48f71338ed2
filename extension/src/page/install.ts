/**
 * Wires the page agent to `runtime.onMessage` in the content script, once per
 * frame even when the script is injected again (each action may inject it).
 * Answers only this extension's own pages and worker.
 */

import { browser } from 'wxt/browser';
import { createPageAgent } from './agent';

const INSTALLED = Symbol.for('sotto.page-agent');

/** Installs the listener unless this frame already has it. Throws nothing. */
export function installPageAgent(): void {
  const g = globalThis as unknown as Record<symbol, boolean>;
  if (g[INSTALLED]) return;
  g[INSTALLED] = true;
  const agent = createPageAgent(document);
  browser.runtime.onMessage.addListener((message: unknown, sender, sendResponse) => {
    // Messages from other extensions or from web pages are not ours to answer.
    if (sender.id !== browser.runtime.id) return undefined;
    const reply = agent.handle(message);
    if (reply === undefined) return undefined;
    sendResponse(reply);
    return undefined;
  });
}

/**
 * The side panel's end of channel 2 (`messaging.ts`): one runtime port to the
 * worker, said hello to with this window's id (so the worker hands this panel
 * its pending page action — never by a timer), reconnected on the next send
 * if the worker went away.
 */

import { browser } from 'wxt/browser';
import { PANEL_PORT, type PanelToWorker, type WorkerToPanel } from '../messaging';

export type PanelListener = (message: WorkerToPanel) => void;

export interface PanelConnection {
  post(message: PanelToWorker): void;
  /** Adds a listener; returns its remover. */
  subscribe(listener: PanelListener): () => void;
  /** Called when the port drops (running requests are gone with it). */
  onDisconnect(listener: () => void): () => void;
}

/** Connects to the worker. Throws nothing; a dropped port reconnects on the next `post`. */
export function connectPanel(windowId: number | undefined): PanelConnection {
  const listeners = new Set<PanelListener>();
  const dropped = new Set<() => void>();
  let port: ReturnType<typeof browser.runtime.connect> | undefined;

  const open = () => {
    const p = browser.runtime.connect({ name: PANEL_PORT });
    p.onMessage.addListener((m: unknown) => {
      for (const l of listeners) l(m as WorkerToPanel);
    });
    p.onDisconnect.addListener(() => {
      if (port === p) port = undefined;
      for (const l of dropped) l();
    });
    // Always say hello: it is also how the worker hands over an action that waited for a panel.
    p.postMessage({ type: 'panel/hello', windowId: windowId ?? -1 } satisfies PanelToWorker);
    port = p;
    return p;
  };
  open();

  return {
    post(message) {
      (port ?? open()).postMessage(message);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onDisconnect(listener) {
      dropped.add(listener);
      return () => dropped.delete(listener);
    },
  };
}

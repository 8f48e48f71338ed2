/**
 * The worker's side of messaging.ts channel 2: the side panels' ports. Runs chat
 * requests for a panel, stops them on `chat/stop` or when the panel goes away,
 * and hands page actions to the panel of the right window — pushed if that panel
 * is already connected, otherwise kept until it connects and says hello or asks
 * (`action/take`). Never by a timer.
 *
 * Only the extension's own pages may connect: a port whose sender is not a page
 * of this extension's origin (a content script beside an untrusted page, another
 * extension) is disconnected at once, before any message is read — otherwise it
 * could run chats against the unlocked vault or take page actions meant for a panel.
 */
import type { PageAction, PanelToWorker, WorkerToPanel } from '../messaging';
import { PANEL_PORT } from '../messaging';
import type { ChatService, ChatStart } from './chat';

/** The part of `runtime.Port` the hub uses. */
export interface PortLike {
  name: string;
  /** Who opened the port (`runtime.Port.sender`). */
  sender?: { id?: string; url?: string };
  postMessage(message: WorkerToPanel): void;
  disconnect(): void;
  onMessage: { addListener(fn: (message: unknown) => void): void };
  onDisconnect: { addListener(fn: () => void): void };
}

/** Pending action for a panel in no particular window. */
const ANY_WINDOW = -1;

interface Panel {
  port: PortLike;
  windowId: number | undefined;
  requests: Set<string>;
}

export class PanelHub {
  readonly #chat: ChatService;
  readonly #panels = new Set<Panel>();
  readonly #pending = new Map<number, PageAction>();

  readonly #extensionOrigin: string;

  /** `extensionOrigin`: `chrome-extension://<id>/` (`runtime.getURL('/')`). */
  constructor(chat: ChatService, extensionOrigin: string) {
    this.#chat = chat;
    this.#extensionOrigin = extensionOrigin;
  }

  /** True when the port was opened by one of this extension's own pages. */
  #isOwnPage(port: PortLike): boolean {
    const url = port.sender?.url;
    return typeof url === 'string' && url.startsWith(this.#extensionOrigin);
  }

  /**
   * Takes over a newly connected port. Ignores ports with another name; disconnects
   * ports from anything but this extension's pages. Returns whether it was taken.
   */
  attach(port: PortLike): boolean {
    if (port.name !== PANEL_PORT) return false;
    if (!this.#isOwnPage(port)) {
      try {
        port.disconnect();
      } catch {
        // already gone
      }
      return false;
    }
    const panel: Panel = { port, windowId: undefined, requests: new Set() };
    this.#panels.add(panel);
    port.onDisconnect.addListener(() => {
      this.#panels.delete(panel);
      for (const id of panel.requests) this.#chat.stop(id);
    });
    port.onMessage.addListener((raw) => this.#onMessage(panel, raw as PanelToWorker));
    return true;
  }

  #post(panel: Panel, message: WorkerToPanel): void {
    try {
      panel.port.postMessage(message);
    } catch {
      // the panel closed meanwhile
    }
  }

  #onMessage(panel: Panel, m: PanelToWorker): void {
    if (!m || typeof m !== 'object') return;
    switch (m.type) {
      case 'panel/hello': {
        panel.windowId = typeof m.windowId === 'number' ? m.windowId : undefined;
        const action = this.take(panel.windowId);
        if (action) this.#post(panel, action);
        return;
      }
      case 'chat/start': {
        const id = String(m.requestId);
        panel.requests.add(id);
        void this.#chat
          .run(m as ChatStart, (out) => this.#post(panel, out))
          .finally(() => panel.requests.delete(id));
        return;
      }
      case 'chat/stop':
        if (panel.requests.has(String(m.requestId))) this.#chat.stop(String(m.requestId));
        return;
    }
  }

  #panelOf(windowId: number | undefined): Panel | undefined {
    for (const p of this.#panels) if (p.windowId === windowId) return p;
    return undefined;
  }

  /** True when a panel in `windowId` is connected. */
  hasPanel(windowId: number | undefined): boolean {
    return this.#panelOf(windowId) !== undefined;
  }

  /** Hands an action to the window's panel now, or keeps it until that panel connects. */
  deliver(windowId: number | undefined, action: PageAction): void {
    const panel = this.#panelOf(windowId);
    if (panel) this.#post(panel, action);
    else this.#pending.set(windowId ?? ANY_WINDOW, action);
  }

  /** The action waiting for this window's panel (consumed). */
  take(windowId: number | undefined): PageAction | null {
    for (const key of [windowId ?? ANY_WINDOW, ANY_WINDOW]) {
      const action = this.#pending.get(key);
      if (action) {
        this.#pending.delete(key);
        return action;
      }
    }
    return null;
  }

  /** Asks the window's panel to close (the toggle shortcut). False when none is open. */
  close(windowId: number | undefined): boolean {
    const panel = this.#panelOf(windowId);
    if (!panel) return false;
    this.#post(panel, { type: 'panel/close' });
    return true;
  }

  /** Tells every panel something (vault locked/unlocked). */
  broadcast(message: WorkerToPanel): void {
    for (const p of this.#panels) this.#post(p, message);
  }
}

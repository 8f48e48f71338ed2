/**
 * The service worker: wires the services in `src/services/` to the browser.
 * Logic lives there; this file only connects events to it.
 */
import { browser } from 'wxt/browser';
import { defineBackground } from 'wxt/utils/define-background';
import type { Reply } from '../../src/messaging';
import { BackupService } from '../../src/services/backup';
import {
  alarmIdleTimer,
  IDLE_LOCK_ALARM,
  sessionKeyHolder,
} from '../../src/services/browser-adapters';
import { ChatService } from '../../src/services/chat';
import { openDb } from '../../src/services/db';
import { DevTrustStore } from '../../src/services/dev-trust';
import { EvidenceService } from '../../src/services/evidence';
import { HistoryService } from '../../src/services/history';
import {
  createMenus,
  listenForActions,
  type MenuBrowser,
  openPanel,
  type ToolbarBrowser,
  updatePromptMenus,
} from '../../src/services/menus';
import { PanelHub } from '../../src/services/panel-hub';
import { createHandlers, dispatch, isForWorker } from '../../src/services/router';
import { SavedPromptsService } from '../../src/services/saved-prompts';
import { SettingsStore } from '../../src/services/settings-store';
import { PairingService } from '../../src/services/sync/pairing-service';
import { SYNC_ALARM, SyncService } from '../../src/services/sync/sync-service';
import { VaultService } from '../../src/services/vault';

export default defineBackground({
  type: 'module',
  main() {
    const db = openDb();
    let panels: PanelHub | undefined;
    let evidence: EvidenceService | undefined;
    let vault: VaultService | undefined;
    let sync: SyncService | undefined;
    let prompts: SavedPromptsService | undefined;
    const b = browser as unknown as MenuBrowser;
    // The saved prompts' menu shows only while the vault is open (their names are sealed).
    const refreshPromptMenus = (state: string) =>
      void (state === 'unlocked' && prompts ? prompts.list() : Promise.resolve([]))
        .catch(() => [])
        .then((list) => updatePromptMenus(b, list));
    const settings = new SettingsStore(db, {
      canReach: (origin) => browser.permissions.contains({ origins: [`${origin}/*`] }),
      onChange: async (next, previous) => {
        if (
          next.relayUrl !== previous.relayUrl ||
          next.developmentMode !== previous.developmentMode ||
          next.allowedMeasurements.join() !== previous.allowedMeasurements.join()
        ) {
          evidence?.invalidate();
        }
        if (next.idleLockMinutes !== previous.idleLockMinutes && vault) {
          if ((await vault.status()).state === 'unlocked') await vault.key(); // re-arms the timer
        }
      },
    });
    vault = new VaultService(db, {
      holder: sessionKeyHolder(browser.storage),
      timer: alarmIdleTimer(browser.alarms),
      idleLockMinutes: async () => (await settings.get()).idleLockMinutes,
      onChange: (state) => {
        panels?.broadcast({ type: 'vault/changed', state });
        refreshPromptMenus(state);
        if (state === 'unlocked') void sync?.syncNow();
      },
    });
    const devTrust = new DevTrustStore(db);
    evidence = new EvidenceService({ settings: () => settings.get(), devTrust });
    const history = new HistoryService(db, vault);
    prompts = new SavedPromptsService(db, vault, (list) => void updatePromptMenus(b, list));
    const backup = new BackupService(history, vault, { prompts });
    const chat = new ChatService({ evidence, history, vault, settings: () => settings.get() });
    const extensionOrigin = browser.runtime.getURL('/');
    panels = new PanelHub(chat, extensionOrigin);
    sync = new SyncService(db, vault, history);
    const pairing = new PairingService(vault, sync);
    const handlers = createHandlers({
      vault,
      history,
      backup,
      prompts,
      evidence,
      settings,
      panels,
      devTrust,
      sync,
      pairing,
    });
    void browser.alarms.create(SYNC_ALARM, { periodInMinutes: 1 });

    browser.runtime.onInstalled.addListener(() => {
      void createMenus(b).then(async () => refreshPromptMenus((await vault.status()).state));
    });
    // Open the panel from our own click handler: a panel opened by `openPanelOnActionClick`
    // gets no activeTab grant, so Summarize and Rewrite could not read the page.
    browser.sidePanel?.setPanelBehavior({ openPanelOnActionClick: false }).catch(() => {});
    // The toolbar button: `action` in MV3 (Chrome), `browserAction` in MV2 (Firefox, sidebar).
    const toolbar = browser.action ?? (browser as unknown as ToolbarBrowser).browserAction;
    toolbar?.onClicked.addListener((tab) => openPanel(b, tab));
    listenForActions(b, panels);

    browser.runtime.onMessage.addListener((message, sender, sendResponse) => {
      if (!isForWorker(handlers, message, sender, extensionOrigin)) return false;
      void dispatch(handlers, message, sender, extensionOrigin).then((reply: Reply) =>
        sendResponse(reply),
      );
      return true;
    });
    browser.runtime.onConnect.addListener((port) => void panels?.attach(port));
    browser.alarms.onAlarm.addListener((alarm) => {
      if (alarm.name === IDLE_LOCK_ALARM) void vault?.lock();
      if (alarm.name === SYNC_ALARM) void sync?.syncNow();
    });
  },
});

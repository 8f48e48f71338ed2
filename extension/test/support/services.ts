/**
 * The worker's services, wired as the background wires them, over Node stand-ins
 * for the browser parts only: fake-indexeddb for IndexedDB and an in-memory key
 * holder for `storage.session`. Everything of ours is real.
 */
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { BackupService } from '../../src/services/backup';
import { SavedPromptsService } from '../../src/services/saved-prompts';
import { ChatService } from '../../src/services/chat';
import { openDb, type SottoDb } from '../../src/services/db';
import { DevTrustStore } from '../../src/services/dev-trust';
import { EvidenceService } from '../../src/services/evidence';
import { HistoryService } from '../../src/services/history';
import { PanelHub } from '../../src/services/panel-hub';
import { createHandlers, type Handlers } from '../../src/services/router';
import { SettingsStore } from '../../src/services/settings-store';
import { type IdleTimer, type KeyHolder, VaultService } from '../../src/services/vault';

let dbCounter = 0;

/** The extension origin the harness's panel hub accepts ports from. */
export const TEST_EXTENSION_ORIGIN = 'chrome-extension://dnkpelokofdngkeleinjlkmnanbolecg/';

/** A key holder in memory, like `storage.session` (which never touches disk). */
export function memoryHolder(): KeyHolder & { peek(): Uint8Array | undefined } {
  let key: Uint8Array | undefined;
  return {
    peek: () => key,
    load: async () => key?.slice(),
    save: async (k) => {
      key = k.slice();
    },
    clear: async () => {
      key = undefined;
    },
  };
}

/** An idle timer that records what it was asked and fires on demand. */
export function manualTimer(): IdleTimer & { armedMinutes: number | undefined } {
  const t = {
    armedMinutes: undefined as number | undefined,
    async arm(minutes: number) {
      t.armedMinutes = minutes;
    },
    async disarm() {
      t.armedMinutes = undefined;
    },
  };
  return t;
}

export interface Harness {
  db: SottoDb;
  dbName: string;
  holder: ReturnType<typeof memoryHolder>;
  timer: ReturnType<typeof manualTimer>;
  settings: SettingsStore;
  vault: VaultService;
  history: HistoryService;
  backup: BackupService;
  prompts: SavedPromptsService;
  evidence: EvidenceService;
  chat: ChatService;
  panels: PanelHub;
  devTrust: DevTrustStore;
  handlers: Handlers;
  fetchCalls: string[];
}

/** Stands in for a hostile relay: rewrites what the real server answered. */
export type Tamper = (path: string, response: Response) => Promise<Response>;

/**
 * A fresh set of services over a fresh database. `fetch` calls are recorded by
 * URL path; `tamper` may rewrite responses (a hostile relay).
 */
export function harness(name?: string, tamper?: Tamper): Harness {
  const dbName = name ?? `sotto-test-${process.pid}-${++dbCounter}`;
  const db = openDb(dbName, { indexedDB, IDBKeyRange });
  const holder = memoryHolder();
  const timer = manualTimer();
  const fetchCalls: string[] = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    const path = new URL(String(input)).pathname;
    fetchCalls.push(`${init?.method ?? 'GET'} ${path}`);
    const response = await fetch(input, init);
    return tamper ? tamper(path, response) : response;
  };
  let evidence: EvidenceService | undefined;
  const settings = new SettingsStore(db, {
    onChange: (next, prev) => {
      if (next.relayUrl !== prev.relayUrl || next.developmentMode !== prev.developmentMode) {
        evidence?.invalidate();
      }
    },
  });
  let panels: PanelHub | undefined;
  const vault = new VaultService(db, {
    holder,
    timer,
    idleLockMinutes: async () => (await settings.get()).idleLockMinutes,
    // As the background wires it: open panels hear every vault change.
    onChange: (state) => panels?.broadcast({ type: 'vault/changed', state }),
  });
  const devTrust = new DevTrustStore(db);
  evidence = new EvidenceService({
    settings: () => settings.get(),
    fetch: recordingFetch,
    devTrust,
  });
  const history = new HistoryService(db, vault);
  const prompts = new SavedPromptsService(db, vault);
  const backup = new BackupService(history, vault, { prompts });
  const chat = new ChatService({
    evidence,
    history,
    vault,
    settings: () => settings.get(),
    fetch: recordingFetch,
  });
  panels = new PanelHub(chat, TEST_EXTENSION_ORIGIN);
  const handlers = createHandlers({
    vault,
    history,
    backup,
    prompts,
    evidence,
    settings,
    panels,
    devTrust,
  });
  return {
    db,
    dbName,
    holder,
    timer,
    settings,
    vault,
    history,
    backup,
    prompts,
    evidence,
    chat,
    panels,
    devTrust,
    handlers,
    fetchCalls,
  };
}

/** 32 bytes standing in for a passkey's PRF output. */
export function prfBytes(fill: number): Uint8Array {
  return new Uint8Array(32).fill(fill);
}

/** Every byte string a row holds, for scanning (strings as UTF-8, typed arrays as-is). */
export function rowBytes(value: unknown, out: Uint8Array[] = []): Uint8Array[] {
  if (value instanceof Uint8Array) out.push(value);
  else if (typeof value === 'string') out.push(new TextEncoder().encode(value));
  else if (Array.isArray(value)) for (const v of value) rowBytes(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push(new TextEncoder().encode(k));
      rowBytes(v, out);
    }
  }
  return out;
}

/** True when `needle` occurs in `hay`. */
export function containsBytes(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

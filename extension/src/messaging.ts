/**
 * The one contract between the extension's pages (side panel, options, onboarding,
 * content script) and its service worker.
 *
 * Two channels:
 *  1. Request/response over `runtime.sendMessage`: a typed map, {@link MessageMap}.
 *     Every reply is a {@link Reply}: `{ ok: true, value }` or `{ ok: false, error }`;
 *     {@link sendMessage} unwraps it and throws {@link MessageError} on `ok: false`.
 *  2. A long-lived `runtime.Port` named {@link PANEL_PORT} from each side panel, for
 *     streaming chat and for page actions the worker hands to the panel
 *     ({@link PanelToWorker}, {@link WorkerToPanel}).
 *
 * Chrome serialises extension messages as JSON, so bytes travel as base64url
 * strings ({@link Base64Url}); never as `Uint8Array`.
 */
import { browser } from 'wxt/browser';
import type { MessageKey } from './i18n';

/** Bytes as unpadded base64url text (RFC 4648 §5). */
export type Base64Url = string;

// ---------------------------------------------------------------------------
// Shared value types
// ---------------------------------------------------------------------------

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatTurn {
  role: ChatRole;
  content: string;
}

export interface GenerationSettings {
  /** Largest answer, in tokens. */
  maxTokens: number;
  /** Sampling temperature, 0..2. */
  temperature: number;
}

/** User settings. Stored in clear (no secrets, no content) in the worker's Dexie `settings` table. */
export interface Settings {
  /** The relay's base URL, e.g. `http://127.0.0.1:8787`. */
  relayUrl: string;
  /** Accept `dev` evidence (no TEE hardware). Off by default; the UI warns on every answer. */
  developmentMode: boolean;
  generation: GenerationSettings;
  /** Lock the vault after this many minutes without use; 0 = only when the browser closes. */
  idleLockMinutes: number;
  /**
   * EXPERT OVERRIDE: launch measurements (hex SHA-384, lowercase) typed by the user. Empty
   * (the default): the verified, logged release decides which measurements are genuine.
   * Non-empty: this list decides instead, and every answer says so.
   */
  allowedMeasurements: string[];
  /** Which releases to trust (protocol release/policy.ts); the project's own by default. */
  release: ReleaseSettings;
}

export interface ReleaseSettings {
  /** OIDC issuer, repository (`owner/name`), workflow file and tag prefix (`refs/tags/…`). */
  issuer: string;
  repository: string;
  workflow: string;
  tagPrefix: string;
  /** A custom Sigstore `trusted_root.json` (JSON text); empty = the pinned public-good root. */
  trustedRoot: string;
  /** Managed public keys (PEM) whose locally signed releases are accepted. */
  managedKeys: string[];
}

/** The verified release, as the evidence dialog shows it (protocol evidence/verify-v2.ts). */
export interface ReleaseView {
  version: string;
  commit: string;
  repository?: string;
  tag?: string;
  signer: 'keyless' | 'managed-key';
  /** Rekor log index and integration time (ISO) for logged, keyless releases. */
  logIndex?: string;
  integratedTime?: string;
  modelName: string;
  /** The inference engine the release names (`node-llama-cpp 3.22.1`, `vllm sha256:…`). */
  engine?: string;
}

export type VaultState = 'no-vault' | 'locked' | 'unlocked';

/** What the passkey code needs to unlock: public values, safe to expose. */
export interface VaultStatus {
  state: VaultState;
  /** The passkey credential's raw id (present unless `no-vault`). */
  credentialId?: Base64Url;
  /** The PRF `eval.first` input to assert with (present unless `no-vault`). */
  prfSalt?: Base64Url;
}

/** The verified evidence, as the lock badge shows it. Only returned after verification passed. */
export interface EvidenceSummary {
  platform: 'dev' | 'sev-snp' | 'tdx';
  /** True for `dev`: no hardware proof. The UI must say so on every answer. */
  development: boolean;
  /** Hex launch measurement. */
  measurement: string;
  model: { name: string; sha256: string };
  /**
   * Tokens per request the evidence states (v2 binds it): what long pages and chats are
   * planned by. Absent for evidence that does not say.
   */
  contextTokens?: number;
  /** The HPKE key id (RFC 9458 §3) requests are sealed to. */
  keyId: number;
  /**
   * The KEM of that key, chosen from the list the report binds: X-Wing
   * (post-quantum hybrid) whenever the enclave offers it, X25519 otherwise.
   */
  kem: 'X-Wing' | 'X25519';
  /** Seconds since the enclave made the key. */
  keyAgeSeconds: number;
  releaseId: string;
  /** The verified release (absent under the expert override, or for a dev enclave naming none). */
  release?: ReleaseView;
  /** True when the user's typed measurement list, not a release, decided. */
  override?: boolean;
  /** ISO time the enclave made the key. */
  keyCreatedAt: string;
  /** ISO time this client verified the evidence. */
  verifiedAt: string;
}

/**
 * Error codes the worker reports. Chat codes: `relay-unreachable`, `evidence-refused`
 * (with `reasons`), `dev-refused` (dev evidence not accepted for this relay, with
 * `relayUrl`), `dev-key-changed` (not the dev key pinned for the relay, with `relayUrl`
 * and `devKeySha256`), `locked`, `truncated` (the answer was cut twice), `service`
 * (with `status`), `busy` (overload, with `retryAfterSeconds`), `enclave-unavailable`
 * (the relay has no enclave up for the key, even after fresh evidence). Vault codes: `no-vault`, `vault-exists`, `wrong-passkey`.
 * Others: `invalid` (bad request), `backup-invalid`, `not-found`, `internal`.
 */
export type ErrorCode =
  | 'relay-unreachable'
  | 'evidence-refused'
  | 'dev-refused'
  | 'dev-key-changed'
  | 'enclave-unavailable'
  | 'locked'
  | 'truncated'
  | 'service'
  | 'busy'
  | 'stopped'
  | 'no-vault'
  | 'vault-exists'
  | 'wrong-passkey'
  | 'backup-invalid'
  | 'not-found'
  | 'tampered'
  | 'invalid'
  | 'internal';

/** A failure as it crosses the message boundary. `message` is plain text for the user. */
export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  /** Whether trying the same thing again may work (Retry button). */
  retryable: boolean;
  /** `evidence-refused`: every check that failed. */
  reasons?: string[];
  /** `service`/`busy`: the HTTP status. */
  status?: number;
  /** `busy`: wait this long before retrying. */
  retryAfterSeconds?: number;
  /** `dev-refused`, `dev-key-changed`: the relay the choice is for. */
  relayUrl?: string;
  /** `dev-key-changed`: hex SHA-256 of the dev signing key the relay serves now. */
  devKeySha256?: string;
  /**
   * The locale key (extension/locales/) that says `message` in the UI's language, with its
   * `{name}` values: pages show that; `message` stays English (logs, tests, unknown keys).
   * The worker names the key without calling `browser.i18n`, so its services run in Node.
   */
  messageKey?: MessageKey;
  messageArgs?: Record<string, string>;
}

export type ConversationKind = 'chat' | 'summarize' | 'rewrite';

/** A conversation as listed. Everything but ids, times and counts was sealed at rest. */
export interface ConversationSummary {
  id: string;
  title: string;
  kind: ConversationKind;
  pageUrl?: string;
  createdAt: number;
  updatedAt: number;
  messageCount: number;
  /** Pinned to the top of the list (sealed with the title). */
  pinned?: boolean;
  /** The conversation's system prompt, if one was set. */
  systemPrompt?: string;
  /** `history/search` only: where the query matched, to show it highlighted. */
  snippet?: { before: string; match: string; after: string };
}

export interface StoredMessage {
  id: string;
  conversationId: string;
  role: ChatRole;
  content: string;
  createdAt: number;
  /**
   * `complete`: the answer reached its authenticated end marker. `stopped`: the user
   * pressed Stop; the text is what arrived before that, and the UI must say so.
   * Failed answers are never stored.
   */
  status: 'complete' | 'stopped';
  /** Assistant messages: why generation ended (`stop`, `length`, …). */
  finishReason?: string;
  /** Assistant messages: which verified enclave answered. */
  evidence?: Pick<EvidenceSummary, 'platform' | 'development' | 'model' | 'keyId' | 'override'>;
  /** Assistant messages: how the request was planned to fit the model (issue 15). */
  plan?: AnswerPlan;
}

/**
 * How an answer was made to fit the model's context (protocol client/plan/): `parts`, the
 * page was read in that many parts (more than 1); `folded`, that many of the oldest turns
 * were folded into a short summary sent in their place; `dropped`, that many earlier turns
 * were left out (the newest message alone filled the context).
 */
export interface AnswerPlan {
  parts?: number;
  folded?: number;
  dropped?: number;
}

/** What a long request is doing: reading part `index` of `count`, combining, folding. */
export interface PlanStep {
  stage: 'part' | 'combine' | 'fold';
  index: number;
  count: number;
}

/** A saved prompt or custom action (sealed in the vault; saved-prompts.ts). */
export interface SavedPrompt {
  id: string;
  name: string;
  /** The instruction: sent as the message in chat, or applied to the page or the selection. */
  text: string;
}

/** Where a saved prompt runs. */
export type PromptTarget = 'chat' | 'page' | 'selection';

/** Page context attached to a chat request; stored (sealed) with the conversation. */
export interface ChatContext {
  kind: 'summarize' | 'rewrite';
  pageUrl?: string;
  pageTitle?: string;
  /** True when the page text was cut to fit; the UI shows how much went in. */
  truncated?: boolean;
}

export type RewriteStyle = 'shorter' | 'clearer' | 'formal' | 'grammar' | 'custom';

/** A page action the worker hands to the side panel (context menu or keyboard command). */
export type PageAction =
  | {
      type: 'action/summarize';
      actionId: string;
      tabId: number;
      pageUrl?: string;
      pageTitle?: string;
    }
  | {
      type: 'action/rewrite';
      actionId: string;
      tabId: number;
      /** The frame the selection is in (0 = top). */
      frameId: number;
      style: RewriteStyle;
      /** The selection as the context menu saw it (plain text; may be trimmed by Chrome). */
      selectionText: string;
      pageUrl?: string;
      pageTitle?: string;
    }
  | {
      /** "Ask about this page": the panel reads the page, then asks for the question. */
      type: 'action/ask';
      actionId: string;
      tabId: number;
      pageUrl?: string;
      pageTitle?: string;
    }
  | {
      type: 'action/explain' | 'action/translate';
      actionId: string;
      tabId: number;
      frameId: number;
      /** The selection as the context menu saw it. */
      selectionText: string;
      /** `action/translate`: a BCP 47 tag; absent = the browser's UI language. */
      language?: string;
      pageUrl?: string;
      pageTitle?: string;
    }
  /** A saved prompt picked from the context menu, to run on the page or the selection. */
  | {
      type: 'action/prompt';
      actionId: string;
      tabId: number;
      frameId: number;
      promptId: string;
      target: 'page' | 'selection';
      selectionText?: string;
      pageUrl?: string;
      pageTitle?: string;
    };

// ---------------------------------------------------------------------------
// Channel 1: request/response
// ---------------------------------------------------------------------------

/** Every request the worker answers: `type` → request payload and reply value. */
export interface MessageMap {
  'vault/status': { request: Record<string, never>; response: VaultStatus };
  /** Makes the vault from a fresh passkey's PRF output. Fails with `vault-exists`. */
  'vault/create': {
    request: { prf: Base64Url; salt: Base64Url; credentialId: Base64Url };
    response: VaultStatus;
  };
  /** Unlocks with one assertion's PRF output. Fails with `wrong-passkey`; nothing is erased. */
  'vault/unlock': { request: { prf: Base64Url; credentialId: Base64Url }; response: VaultStatus };
  'vault/lock': { request: Record<string, never>; response: VaultStatus };
  /**
   * A fresh device (or after "erase everything"): takes the vault key from a backup's
   * envelope, unwrapped with the passkey's PRF output, then imports the backup.
   * Fails with `vault-exists`, `wrong-passkey` (nothing stored) or `backup-invalid`.
   */
  'vault/restore': {
    request: { data: Base64Url; prf: Base64Url; salt: Base64Url; credentialId: Base64Url };
    response: {
      status: VaultStatus;
      conversations: number;
      messages: number;
      present: number;
      /** Saved prompts added. */
      prompts: number;
    };
  };

  /**
   * "Use this development enclave": accept `dev` evidence from this relay (the current
   * relay URL only). Remembered per relay; development mode stays as it is.
   */
  'evidence/use-dev': { request: { relayUrl: string }; response: Record<string, never> };
  /** Accept the dev signing key a `dev-key-changed` error named, for the current relay. */
  'evidence/trust-dev-key': {
    request: { relayUrl: string; devKeySha256: string };
    response: Record<string, never>;
  };
  /** Relays with a development choice or a pinned dev key (options page). */
  'evidence/dev-list': {
    request: Record<string, never>;
    response: { relayUrl: string; accepted: boolean; keySha256?: string }[];
  };
  /** Forgets a relay's development choice and pinned dev key. */
  'evidence/dev-forget': { request: { relayUrl: string }; response: Record<string, never> };
  /** Fetches (if needed) and verifies the relay's evidence. Never throws: errors come in `error`. */
  'evidence/get': {
    request: { fresh?: boolean };
    response: EvidenceSummary | { error: ErrorInfo };
  };

  'history/list': { request: Record<string, never>; response: ConversationSummary[] };
  'history/get': {
    request: { conversationId: string };
    response: { conversation: ConversationSummary; messages: StoredMessage[] };
  };
  'history/rename': {
    request: { conversationId: string; title: string };
    response: ConversationSummary;
  };
  'history/delete': { request: { conversationId: string }; response: Record<string, never> };
  /** Deletes several conversations at once (all or none). */
  'history/delete-many': {
    request: { conversationIds: string[] };
    response: { deleted: number };
  };
  'history/pin': {
    request: { conversationId: string; pinned: boolean };
    response: ConversationSummary;
  };
  /**
   * The conversation open in the panel, remembered sealed so that unlocking returns to
   * it (`null`: an empty chat). Temporary conversations are never named here.
   */
  'history/set-open': {
    request: { conversationId: string | null };
    response: Record<string, never>;
  };
  'history/get-open': {
    request: Record<string, never>;
    response: { conversationId: string | null };
  };
  /** Case-insensitive search over titles, page URLs and message text, decrypted in the worker. */
  'history/search': { request: { query: string }; response: ConversationSummary[] };
  /** An encrypted backup file (sealed under the vault key). The page downloads it. */
  'history/export': {
    request: Record<string, never>;
    response: {
      fileName: string;
      data: Base64Url;
      conversations: number;
      messages: number;
      prompts: number;
    };
  };
  /**
   * Imports a backup made by this vault. Existing ids are kept; new ones are added.
   * `conversations`/`messages`: what was added; `present`: conversations already here.
   */
  'history/import': {
    request: { data: Base64Url };
    response: { conversations: number; messages: number; present: number; prompts: number };
  };
  /** Erases every conversation, message and the vault itself; settings return to defaults. */
  'history/erase-all': { request: Record<string, never>; response: VaultStatus };

  /** Saved prompts, in the user's order. */
  'prompts/list': { request: Record<string, never>; response: SavedPrompt[] };
  /** Adds a prompt (no `id`) or replaces one; returns the new list. */
  'prompts/save': {
    request: { prompt: { id?: string; name: string; text: string } };
    response: SavedPrompt[];
  };
  'prompts/delete': { request: { id: string }; response: SavedPrompt[] };
  /** `ids` names every saved prompt once, in the new order. */
  'prompts/reorder': { request: { ids: string[] }; response: SavedPrompt[] };

  'settings/get': { request: Record<string, never>; response: Settings };
  /** Partial update; returns the whole result. A new relay origin needs its host permission first. */
  'settings/set': { request: Partial<Settings>; response: Settings };

  /** The action waiting for a side panel, if any (consumed by this call). */
  'action/take': { request: { windowId?: number }; response: PageAction | null };
}

export type MessageType = keyof MessageMap;
export type RequestOf<K extends MessageType> = MessageMap[K]['request'];
export type ResponseOf<K extends MessageType> = MessageMap[K]['response'];

/** What travels: the request payload with its `type`. */
export type Envelope<K extends MessageType = MessageType> = { type: K } & RequestOf<K>;

/** What comes back. */
export type Reply<K extends MessageType = MessageType> =
  { ok: true; value: ResponseOf<K> } | { ok: false; error: ErrorInfo };

/** A worker-reported failure, thrown by {@link sendMessage}. */
export class MessageError extends Error {
  readonly info: ErrorInfo;
  constructor(info: ErrorInfo) {
    super(info.message);
    this.name = 'MessageError';
    this.info = info;
  }
  get code(): ErrorCode {
    return this.info.code;
  }
}

/**
 * Sends a typed request to the service worker and returns its reply value.
 * @throws {MessageError} the worker answered `ok: false` (see `error.code`), or gave no answer.
 */
export async function sendMessage<K extends MessageType>(
  type: K,
  ...args: Record<string, never> extends RequestOf<K>
    ? [payload?: RequestOf<K>]
    : [payload: RequestOf<K>]
): Promise<ResponseOf<K>> {
  const envelope = { ...(args[0] ?? {}), type } as Envelope<K>;
  const reply = (await browser.runtime.sendMessage(envelope)) as Reply<K> | undefined;
  if (!reply || typeof reply !== 'object' || !('ok' in reply)) {
    throw new MessageError({
      code: 'internal',
      message: 'The extension did not answer. Reload it and try again.',
      messageKey: 'errors.noAnswer',
      retryable: true,
    });
  }
  if (!reply.ok) throw new MessageError(reply.error);
  return reply.value;
}

/** True for messages that belong to this map (the worker ignores all others). */
export function isEnvelope(m: unknown): m is Envelope {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';
}

// ---------------------------------------------------------------------------
// Channel 2: the panel port
// ---------------------------------------------------------------------------

/** `runtime.connect({ name: PANEL_PORT })` from each side panel. */
export const PANEL_PORT = 'sotto-panel';

/** Panel → worker on the port. */
export type PanelToWorker =
  /** Sent first: lets the worker route actions and the toggle shortcut to this window's panel. */
  | { type: 'panel/hello'; windowId: number }
  | {
      type: 'chat/start';
      /** Chosen by the panel (e.g. `crypto.randomUUID()`); echoed on every reply. */
      requestId: string;
      /** Continue this conversation; omitted = start a new one. */
      conversationId?: string;
      /** The whole turn list to send (the last is the new user turn). */
      messages: ChatTurn[];
      /** Overrides for this request only. */
      settings?: Partial<GenerationSettings>;
      context?: ChatContext;
      /**
       * Regenerate: a new version of the last assistant answer instead of a user turn.
       * The worker then stores only the new answer, after the earlier versions.
       */
      regenerate?: boolean;
      /**
       * A temporary conversation: the worker stores nothing of it (no history row, so
       * nothing to sync either) and answers `chat/done` with `messageId: ''`.
       */
      temporary?: boolean;
    }
  | { type: 'chat/stop'; requestId: string };

export type RetryingReason = 'truncated' | 'key-rotated' | 'enclave-down' | 'busy';

/** Worker → panel on the port. Every `chat/*` message carries the panel's `requestId`. */
export type WorkerToPanel =
  /** Evidence verified and the request is about to be sealed to this key. */
  | {
      type: 'chat/started';
      requestId: string;
      conversationId: string;
      evidence: EvidenceSummary;
    }
  | { type: 'chat/delta'; requestId: string; text: string }
  /** A long page or chat is being planned to fit the model: the step it is on. */
  | { type: 'chat/progress'; requestId: string; step: PlanStep }
  /**
   * The worker retries with fresh evidence: the first attempt was cut short, the key
   * rotated, the enclave holding the key is down, or it was busy. Discard the text so far.
   */
  | { type: 'chat/retrying'; requestId: string; reason: RetryingReason }
  | {
      type: 'chat/done';
      requestId: string;
      conversationId: string;
      /** The stored assistant message's id (or `''` when the vault is locked and nothing was stored). */
      messageId: string;
      /** `stop`, `length`, … from the model; `user-stop` when the user pressed Stop. */
      finishReason: string;
      /** Present when the request was read in parts or had turns folded. */
      plan?: AnswerPlan;
    }
  | ({ type: 'chat/error'; requestId: string } & ErrorInfo)
  | PageAction
  /** The toggle shortcut: close this panel (`window.close()`). */
  | { type: 'panel/close' }
  /** The vault locked or unlocked (idle timer, options page, another panel). */
  | { type: 'vault/changed'; state: VaultState };

// ---------------------------------------------------------------------------
// Bytes ↔ base64url helpers (both sides need them)
// ---------------------------------------------------------------------------

/** Unpadded base64url of `bytes`. */
export function toBase64Url(bytes: Uint8Array): Base64Url {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * Bytes of base64url (padded or not).
 * @throws {MessageError} `invalid` when the text is not base64url.
 */
export function fromBase64Url(text: Base64Url): Uint8Array {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*={0,2}$/.test(text)) {
    throw new MessageError({
      code: 'invalid',
      message: 'Expected base64url bytes.',
      retryable: false,
    });
  }
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// ---------------------------------------------------------------------------
// ADDITIVE (panel/page engineer): channel 3, side panel → content script.
// The content script is injected on demand (`scripting.executeScript` with
// {@link CONTENT_SCRIPT_FILE}, allowed by the activeTab grant of a context-menu
// click or command, or by an optional host permission) and answers these over
// `tabs.sendMessage(tabId, envelope, { frameId })`. Replies use {@link Reply}'s shape.
// ---------------------------------------------------------------------------

/** The built content script (WXT `entrypoints/content.ts`, `registration: 'runtime'`). */
export const CONTENT_SCRIPT_FILE = '/content-scripts/content.js';

/** The page's text for a summary; `truncated` when it was cut to `maxChars`. */
export interface PageText {
  title: string;
  url: string;
  text: string;
  truncated: boolean;
  /** Characters of page text before the cap (so the UI can say "N of M"). */
  totalChars: number;
  /** The document's MIME type (`application/pdf` in a viewer that let the script in). */
  contentType?: string;
  /** `pdf`: read with pdf.js in the panel (page/pdf.ts), not by the content script. */
  source: 'readability' | 'body' | 'pdf';
}

/** A selection the content script captured and keeps a handle to, for `page/insert`. */
export interface PageSelection {
  selectionId: string;
  kind: 'textarea' | 'input' | 'contenteditable' | 'text';
  text: string;
  /** False for plain page text: Insert is not offered (copy instead). */
  editable: boolean;
}

/**
 * `gone`: the field left the page; `changed`: edited since; `read-only`;
 * `already-inserted`: this handle's rewrite is in the page already; `unknown-selection`:
 * no such handle (page reloaded).
 */
export type PageInsertResult =
  | { ok: true }
  | {
      ok: false;
      reason: 'gone' | 'changed' | 'read-only' | 'already-inserted' | 'unknown-selection';
    };

export interface PageMessageMap {
  /** Is the content script already in this frame? */
  'page/ping': { request: Record<string, never>; response: { ready: true } };
  'page/extract': { request: { maxChars?: number }; response: PageText };
  /** Captures the current selection; `null` when nothing is selected. */
  'page/selection': { request: Record<string, never>; response: PageSelection | null };
  'page/insert': { request: { selectionId: string; text: string }; response: PageInsertResult };
}

export type PageMessageType = keyof PageMessageMap;
export type PageEnvelope<K extends PageMessageType = PageMessageType> = {
  type: K;
} & PageMessageMap[K]['request'];
export type PageReply<K extends PageMessageType = PageMessageType> =
  { ok: true; value: PageMessageMap[K]['response'] } | { ok: false; error: ErrorInfo };

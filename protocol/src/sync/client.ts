/**
 * HTTP client for the sync API (backend/src/sync/routes.ts): signs every
 * request with the account key (`request-signature.ts`) and speaks the JSON
 * bodies with bytes as unpadded base64url. Browser-safe: `fetch` only.
 */

import { utf8 } from '../bytes';
import { ConfigurationError, DeviceRemovedError, ServiceError, UnreachableError } from '../errors';
import type { AccountKey } from './account-key';
import { fromBase64Url, requestNonce, signRequest, toBase64Url } from './request-signature';

/** A record as the server holds it; `body` null is a deleted record. */
export interface RemoteRecord {
  id: string;
  revision: number;
  body: Uint8Array | null;
  change: number;
}

export type PutResult =
  { ok: true; record: RemoteRecord } | { ok: false; current: RemoteRecord | null };

/** A pairing slot as the server shows it. */
export interface RemotePairing {
  publicKey: Uint8Array;
  commitment: Uint8Array | null;
  nonce: Uint8Array | null;
  enc: Uint8Array | null;
  payload: Uint8Array | null;
}

export interface SyncClientOptions {
  baseUrl: string;
  /** The account key; a new device that is pairing has none yet (unsigned calls only). */
  account?: AccountKey;
  fetch?: typeof fetch;
  now?: () => number;
}

function record(v: unknown): RemoteRecord {
  const o = v as Record<string, unknown>;
  if (
    typeof o?.id !== 'string' ||
    !Number.isSafeInteger(o.revision) ||
    !Number.isSafeInteger(o.change) ||
    (o.body !== null && typeof o.body !== 'string')
  ) {
    throw new ServiceError('sync: the server sent a malformed record', {
      status: 502,
      inner: false,
    });
  }
  return {
    id: o.id,
    revision: o.revision as number,
    change: o.change as number,
    body: o.body === null ? null : fromBase64Url(o.body as string),
  };
}

const opt = (v: unknown): Uint8Array | null => (typeof v === 'string' ? fromBase64Url(v) : null);

export class SyncClient {
  readonly #base: string;
  readonly #account: AccountKey | undefined;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;

  constructor(options: SyncClientOptions) {
    this.#base = options.baseUrl.replace(/\/+$/, '');
    this.#account = options.account;
    this.#fetch = options.fetch ?? fetch.bind(globalThis);
    this.#now = options.now ?? Date.now;
  }

  get accountId(): string | undefined {
    return this.#account?.accountId;
  }

  async #send(
    method: string,
    path: string,
    body: unknown,
    signed: boolean,
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const bytes = body === undefined ? new Uint8Array(0) : utf8(JSON.stringify(body));
    const headers: Record<string, string> = {};
    if (bytes.length) headers['content-type'] = 'application/json';
    if (signed) {
      if (!this.#account)
        throw new ConfigurationError('sync: a signed request needs the account key');
      Object.assign(
        headers,
        signRequest(this.#account.secretKey, {
          method,
          path,
          body: bytes,
          accountPublicKey: this.#account.publicKey,
          timestampMs: this.#now(),
          nonce: requestNonce(),
        }),
      );
    }
    let res: Response;
    try {
      res = await this.#fetch(this.#base + path, {
        method,
        headers,
        ...(bytes.length ? { body: bytes as Uint8Array<ArrayBuffer> } : {}),
      });
    } catch (cause) {
      throw new UnreachableError('sync: the server cannot be reached', { cause });
    }
    let json: Record<string, unknown> = {};
    try {
      json = (await res.json()) as Record<string, unknown>;
    } catch {
      // an empty or non-JSON answer: the status says what happened
    }
    if (signed && res.status === 410) {
      throw new DeviceRemovedError('sync: this account was retired (a device was removed)');
    }
    return { status: res.status, json };
  }

  #fail(r: { status: number; json: Record<string, unknown> }, what: string): never {
    const code = typeof r.json.error === 'string' ? r.json.error.slice(0, 40) : 'unknown';
    throw new ServiceError(`sync: ${what} refused (${r.status} ${code})`, {
      status: r.status,
      inner: false,
    });
  }

  /** Writes a record if its current revision is `expected` (0: new). A 409 is `{ ok: false }`. */
  async put(id: string, expected: number, body: Uint8Array): Promise<PutResult> {
    const r = await this.#send(
      'PUT',
      `/v1/sync/records/${id}`,
      { revision: expected, body: toBase64Url(body) },
      true,
    );
    if (r.status === 200) return { ok: true, record: record(r.json.record) };
    if (r.status === 409)
      return { ok: false, current: r.json.current ? record(r.json.current) : null };
    this.#fail(r, 'write');
  }

  /** Deletes a record at revision `expected`. */
  async delete(id: string, expected: number): Promise<PutResult> {
    const r = await this.#send(
      'DELETE',
      `/v1/sync/records/${id}?revision=${expected}`,
      undefined,
      true,
    );
    if (r.status === 200) return { ok: true, record: record(r.json.record) };
    if (r.status === 409)
      return { ok: false, current: r.json.current ? record(r.json.current) : null };
    this.#fail(r, 'delete');
  }

  /** One record, or null if the server has none. */
  async get(id: string): Promise<RemoteRecord | null> {
    const r = await this.#send('GET', `/v1/sync/records/${id}`, undefined, true);
    if (r.status === 404) return null;
    if (r.status !== 200) this.#fail(r, 'read');
    return record(r.json.record);
  }

  /** Every change after `since`, all pages. */
  async changes(since: number): Promise<{ records: RemoteRecord[]; next: number }> {
    const out: RemoteRecord[] = [];
    let cursor = since;
    for (;;) {
      const r = await this.#send('GET', `/v1/sync/changes?since=${cursor}`, undefined, true);
      if (r.status !== 200 || !Array.isArray(r.json.changes)) this.#fail(r, 'listing');
      const page = (r.json.changes as unknown[]).map(record);
      out.push(...page);
      const next = r.json.next;
      if (!Number.isSafeInteger(next) || (next as number) < cursor) this.#fail(r, 'listing');
      cursor = next as number;
      if (r.json.more !== true || page.length === 0) return { records: out, next: cursor };
    }
  }

  /**
   * Retires this account (device removal): the server deletes its records, keeps
   * the handovers (device id → sealed new vault key) and refuses every later request.
   */
  async retire(handovers: ReadonlyMap<string, Uint8Array>): Promise<void> {
    const body = {
      handovers: Object.fromEntries([...handovers].map(([d, h]) => [d, toBase64Url(h)])),
    };
    const r = await this.#send('POST', '/v1/sync/retire', body, true);
    if (r.status !== 200) this.#fail(r, 'retirement');
  }

  /** The handover a retired account left for `deviceId` (unsigned), or null. */
  async handover(accountId: string, deviceId: string): Promise<Uint8Array | null> {
    const r = await this.#send(
      'GET',
      `/v1/sync/handovers/${accountId}/${deviceId}`,
      undefined,
      false,
    );
    if (r.status === 404) return null;
    if (r.status !== 200 || typeof r.json.body !== 'string') this.#fail(r, 'handover');
    return fromBase64Url(r.json.body as string);
  }

  /** New device: files its public key under its code. */
  async openPairing(code: string, publicKey: Uint8Array): Promise<void> {
    const r = await this.#send(
      'POST',
      '/v1/sync/pairings',
      { code, publicKey: toBase64Url(publicKey) },
      false,
    );
    if (r.status !== 201) this.#fail(r, 'pairing');
  }

  /** Reads a pairing slot; null once it has expired or never existed. */
  async pairing(code: string): Promise<RemotePairing | null> {
    const r = await this.#send('GET', `/v1/sync/pairings/${code}`, undefined, false);
    if (r.status === 404) return null;
    if (r.status !== 200 || typeof r.json.publicKey !== 'string') this.#fail(r, 'pairing');
    return {
      publicKey: fromBase64Url(r.json.publicKey as string),
      commitment: opt(r.json.commitment),
      nonce: opt(r.json.nonce),
      enc: opt(r.json.enc),
      payload: opt(r.json.payload),
    };
  }

  /** Writes one pairing field: `nonce` unsigned (the new device), the others signed. */
  async setPairingField(
    code: string,
    field: 'commitment' | 'nonce' | 'enc' | 'payload',
    value: Uint8Array,
  ): Promise<void> {
    const r = await this.#send(
      'PUT',
      `/v1/sync/pairings/${code}/${field}`,
      { value: toBase64Url(value) },
      field !== 'nonce',
    );
    if (r.status !== 200) this.#fail(r, 'pairing');
  }
}

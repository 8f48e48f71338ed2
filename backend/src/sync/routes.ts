/**
 * The sync API. Every body is JSON with bytes as unpadded base64url; every
 * answer is JSON with `cache-control: no-store`; errors are `{"error": code}`
 * from a fixed list and never echo what the client sent.
 *
 *   PUT    /v1/sync/records/:id          {"revision": n, "body": b64}   n = current revision (0: new)
 *   DELETE /v1/sync/records/:id?revision=n                              leaves a deleted record
 *   GET    /v1/sync/records/:id
 *   GET    /v1/sync/changes?since=c&limit=k                             the account's changes after c
 *     200 {"record": {...}} / {"changes": [...], "next": c'} ; 409 {"error":"conflict","current": {...}|null}
 *
 *   POST   /v1/sync/retire               {"handovers": {deviceId: b64}}  retires the account (device removal);
 *                                                                       afterwards its signed requests get 410
 *   GET    /v1/sync/handovers/:account/:device                          a retired account's handover (unsigned;
 *                                                                       sealed to that device)
 *
 *   POST   /v1/sync/pairings             {"code", "publicKey"}           the new device (unsigned)
 *   GET    /v1/sync/pairings/:code                                      anyone with the code
 *   PUT    /v1/sync/pairings/:code/nonce {"value"}                      the new device (unsigned)
 *   PUT    /v1/sync/pairings/:code/(commitment|enc|payload) {"value"}   the approving account (signed)
 */
import type { Request, Response } from 'express';
import { sendError } from '../respond';
import { authOf, rawBody, setOutcome } from './auth';
import type { PairingField, PairingSlot, StoredRecord, SyncStore } from './store';

const RECORD_ID = /^[A-Za-z0-9:_-]{1,128}$/;
const PAIRING_CODE = /^[0-9A-HJKMNP-TV-Z]{8}$/;
const MAX_CHANGES = 500;
const FIELD_BYTES: Readonly<Record<PairingField, readonly [number, number]>> = {
  commitment: [32, 32],
  nonce: [16, 16],
  enc: [32, 32],
  payload: [16, 4096 + 16],
};

class BadRequest extends Error {
  readonly status: number;
  constructor(code: string, status = 400) {
    super(code);
    this.status = status;
  }
}

function b64u(b: Uint8Array): string {
  return Buffer.from(b).toString('base64url');
}

function fromB64u(v: unknown, min: number, max: number): Uint8Array {
  if (typeof v !== 'string' || !/^[A-Za-z0-9_-]*$/.test(v)) throw new BadRequest('malformed');
  if (v.length > Math.ceil((max * 4) / 3)) throw new BadRequest('too_large', 413);
  const b = Buffer.from(v, 'base64url');
  if (b.toString('base64url') !== v) throw new BadRequest('malformed');
  if (b.length < min) throw new BadRequest('malformed');
  if (b.length > max) throw new BadRequest('too_large', 413);
  return new Uint8Array(b);
}

function json(req: Request): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(rawBody(req)).toString('utf8'));
  } catch {
    throw new BadRequest('malformed');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new BadRequest('malformed');
  return v as Record<string, unknown>;
}

function revision(v: unknown): number {
  const n = typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : v;
  if (!Number.isSafeInteger(n) || (n as number) < 0) throw new BadRequest('malformed');
  return n as number;
}

function recordId(req: Request): string {
  const id = req.params.id;
  if (typeof id !== 'string' || !RECORD_ID.test(id)) throw new BadRequest('malformed');
  return id;
}

function view(r: StoredRecord) {
  return {
    id: r.id,
    revision: r.revision,
    body: r.body === null ? null : b64u(r.body),
    change: r.change,
  };
}

function ok(res: Response, status: number, body: unknown): void {
  res.setHeader('cache-control', 'no-store');
  res.status(status).json(body);
}

/** Wraps a handler: a {@link BadRequest} is a clean 4xx; anything else goes to the 500 handler. */
function handle(fn: (req: Request, res: Response) => Promise<void>) {
  return async (req: Request, res: Response): Promise<void> => {
    try {
      await fn(req, res);
    } catch (e) {
      if (!(e instanceof BadRequest)) throw e;
      setOutcome(res, e.message);
      sendError(req, res, e.status, e.message);
    }
  };
}

function noBody(req: Request): void {
  if (rawBody(req).length !== 0) throw new BadRequest('malformed');
}

async function spend(store: SyncStore, res: Response): Promise<void> {
  if (!(await store.spendNonce(authOf(res)))) throw new BadRequest('replay', 401);
}

export function recordRoutes(store: SyncStore, maxRecordBytes: number) {
  const write = (del: boolean) =>
    handle(async (req, res) => {
      const id = recordId(req);
      let expected: number;
      let body: Uint8Array | null = null;
      if (del) {
        noBody(req);
        expected = revision(req.query.revision);
      } else {
        const o = json(req);
        expected = revision(o.revision);
        body = fromB64u(o.body, 1, maxRecordBytes);
      }
      const r = await store.write(authOf(res), id, expected, body);
      if (r.ok) return ok(res, 200, { record: view(r.record) });
      if (r.reason === 'replay') throw new BadRequest('replay', 401);
      if (r.reason === 'quota') throw new BadRequest('quota', 413);
      setOutcome(res, 'conflict');
      ok(res, 409, { error: 'conflict', current: r.current ? view(r.current) : null });
    });
  return {
    put: write(false),
    delete: write(true),
    get: handle(async (req, res) => {
      noBody(req);
      const id = recordId(req);
      await spend(store, res);
      const r = await store.get(authOf(res).accountId, id);
      if (!r) throw new BadRequest('not_found', 404);
      ok(res, 200, { record: view(r) });
    }),
    changes: handle(async (req, res) => {
      noBody(req);
      const since = revision(req.query.since ?? '0');
      const limit = Math.min(
        MAX_CHANGES,
        Math.max(1, revision(req.query.limit ?? String(MAX_CHANGES))),
      );
      await spend(store, res);
      const rows = await store.changes(authOf(res).accountId, since, limit);
      ok(res, 200, {
        changes: rows.map(view),
        next: rows.at(-1)?.change ?? since,
        more: rows.length === limit,
      });
    }),
  };
}

const DEVICE_ID = /^[A-Za-z0-9_-]{1,60}$/;
const ACCOUNT_ID = /^[A-Za-z0-9_-]{43}$/;
/** Devices one retirement may hand over to (the devices that stay). */
const MAX_HANDOVERS = 32;
/** enc, sealed 32-byte key, tag (protocol/src/sync/devices.ts HANDOVER_BYTES). */
const HANDOVER_BYTES = 80;

export function retireRoutes(store: SyncStore) {
  return {
    retire: handle(async (req, res) => {
      const o = json(req);
      const h = o.handovers;
      if (typeof h !== 'object' || h === null || Array.isArray(h))
        throw new BadRequest('malformed');
      const entries = Object.entries(h as Record<string, unknown>);
      if (entries.length > MAX_HANDOVERS) throw new BadRequest('too_large', 413);
      const handovers = new Map<string, Uint8Array>();
      for (const [deviceId, v] of entries) {
        if (!DEVICE_ID.test(deviceId)) throw new BadRequest('malformed');
        handovers.set(deviceId, fromB64u(v, HANDOVER_BYTES, HANDOVER_BYTES));
      }
      if (!(await store.retire(authOf(res), handovers))) throw new BadRequest('replay', 401);
      ok(res, 200, { ok: true });
    }),
    handover: handle(async (req, res) => {
      noBody(req);
      const { account, device } = req.params;
      if (typeof account !== 'string' || !ACCOUNT_ID.test(account))
        throw new BadRequest('malformed');
      if (typeof device !== 'string' || !DEVICE_ID.test(device)) throw new BadRequest('malformed');
      const body = await store.handover(account, device);
      if (!body) throw new BadRequest('not_found', 404);
      ok(res, 200, { body: b64u(body) });
    }),
  };
}

function slotView(s: PairingSlot) {
  const v = (b: Uint8Array | null) => (b === null ? null : b64u(b));
  return {
    code: s.code,
    publicKey: b64u(s.publicKey),
    commitment: v(s.commitment),
    nonce: v(s.nonce),
    enc: v(s.enc),
    payload: v(s.payload),
  };
}

function pairingCode(req: Request): string {
  const code = req.params.code;
  if (typeof code !== 'string' || !PAIRING_CODE.test(code)) throw new BadRequest('malformed');
  return code;
}

export function pairingRoutes(store: SyncStore, ttlMs: number, now: () => number) {
  const setField = (field: PairingField, signed: boolean) =>
    handle(async (req, res) => {
      const code = pairingCode(req);
      const [min, max] = FIELD_BYTES[field];
      const value = fromB64u(json(req).value, min, max);
      if (signed) await spend(store, res);
      const done = await store.setPairingField(
        code,
        field,
        value,
        signed ? authOf(res).accountId : null,
        now(),
      );
      if (!done) throw new BadRequest('pairing_state', 409);
      ok(res, 200, { ok: true });
    });
  return {
    open: handle(async (req, res) => {
      const o = json(req);
      if (typeof o.code !== 'string' || !PAIRING_CODE.test(o.code))
        throw new BadRequest('malformed');
      const publicKey = fromB64u(o.publicKey, 32, 32);
      if (!(await store.openPairing(o.code, publicKey, now(), ttlMs))) {
        throw new BadRequest('pairing_state', 409);
      }
      ok(res, 201, { code: o.code, expiresInSeconds: Math.floor(ttlMs / 1000) });
    }),
    get: handle(async (req, res) => {
      noBody(req);
      const slot = await store.pairing(pairingCode(req), now());
      if (!slot) throw new BadRequest('not_found', 404);
      ok(res, 200, slotView(slot));
    }),
    nonce: setField('nonce', false),
    commitment: setField('commitment', true),
    enc: setField('enc', true),
    payload: setField('payload', true),
  };
}

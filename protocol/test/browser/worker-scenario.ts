/**
 * Browser-run scenario for `browser-bundle.test.ts`: bundled on its own and
 * executed in a `vm` context that has only Web globals. It receives the
 * bundled protocol core as `S` (type-only import here, so none of the core is
 * bundled into this file) and drives a full Sotto exchange: Binary HTTP in
 * chunked Oblivious HTTP both ways, a streamed response, and sealed history.
 * Returns plain data; the test asserts on it.
 */
import type * as Api from '../../src/index';

type Sotto = typeof Api;

async function readText(S: Sotto, stream: ReadableStream<Uint8Array>): Promise<string[]> {
  const reader = stream.getReader();
  const out: string[] = [];
  for (;;) {
    const r = await reader.read();
    if (r.done) return out;
    out.push(S.fromUtf8(r.value));
  }
}

function streamOf(parts: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      for (const p of parts) c.enqueue(p);
      c.close();
    },
  });
}

function codeOf(S: Sotto, f: () => unknown): string {
  try {
    f();
    return 'no error';
  } catch (e) {
    return S.isSottoError(e) ? e.code : `untyped: ${String(e)}`;
  }
}

export async function run(S: Sotto): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  out.globals = {
    process: typeof (globalThis as { process?: unknown }).process,
    require: typeof (globalThis as { require?: unknown }).require,
    Buffer: typeof (globalThis as { Buffer?: unknown }).Buffer,
  };

  // Binary HTTP request (RFC 9292), one shot.
  const body = S.utf8(JSON.stringify({ model: 'm', stream: true, messages: [] }));
  const request = S.encodeRequest({
    method: 'POST',
    scheme: 'https',
    authority: 'enclave.invalid',
    path: '/v1/chat/completions',
    headers: [['Content-Type', 'application/json']],
    body,
  });

  // Chunked OHTTP: client seals, gateway opens (both in this worker).
  const gatewayKey = S.generateKeyConfig(7);
  const client = await S.createChunkedRequest(gatewayKey.config);
  const sealedRequest = await client.encapsulate(request);
  const gateway = await S.openChunkedRequest(streamOf([sealedRequest]), new Map([[7, gatewayKey]]));
  const opened = S.concat(
    ...(await (async () => {
      const parts: Uint8Array[] = [];
      const reader = gateway.request.getReader();
      for (;;) {
        const r = await reader.read();
        if (r.done) return parts;
        parts.push(r.value);
      }
    })()),
  );
  const inner = S.decodeRequest(opened);
  out.request = `${inner.method} ${inner.path} ${inner.headers[0]?.[0]} ${S.fromUtf8(inner.body)}`;

  // Streamed Binary HTTP response sealed chunk by chunk, opened and decoded as it flows.
  const encoder = S.createResponseEncoderStream(
    { status: 200, headers: [['content-type', 'text/event-stream']] },
    { trailers: [['x-finish', 'stop']] },
  );
  const events = ['data: {"t":"Hel"}\n\n', 'data: {"t":"lo"}\n\n', 'data: [DONE]\n\n'];
  const sealedResponse = streamOf(events.map((e) => S.utf8(e)))
    .pipeThrough(encoder)
    .pipeThrough(gateway.createResponseEncapsulator());
  const response = await S.decodeResponseStream(client.decapsulateResponse(sealedResponse));
  out.response = {
    status: response.status,
    headers: response.headers,
    body: (await readText(S, response.body)).join(''),
    trailers: await response.trailers,
  };

  // One-shot OHTTP (RFC 9458) with the same key.
  const oneShot = await S.encapsulateRequest(gatewayKey.config, request);
  const gw = await S.decapsulateRequest(oneShot.encapsulated, new Map([[7, gatewayKey]]));
  const res = await gw.encapsulateResponse(S.encodeResponse({ status: 204 }));
  out.oneShotStatus = S.decodeResponse(await oneShot.decapsulateResponse(res)).status;

  // Post-quantum: the same one-shot exchange sealed with an X-Wing key (KEM 0x647a).
  const pqKey = S.generateKeyConfig(8, undefined, S.KEM_XWING);
  const pq = await S.encapsulateRequest(pqKey.config, request);
  const pqGw = await S.decapsulateRequest(pq.encapsulated, new Map([[8, pqKey]]));
  const pqRes = await pqGw.encapsulateResponse(S.encodeResponse({ status: 204 }));
  out.xwingStatus = S.decodeResponse(await pq.decapsulateResponse(pqRes)).status;

  // Sealed history: vault key under a passkey PRF, records bound to id/type/schema.
  const prf = crypto.getRandomValues(new Uint8Array(32));
  const credentialId = S.utf8('credential');
  const vaultKey = S.generateVaultKey();
  const locked = S.lockVaultKey(prf, vaultKey, { credentialId });
  const unlocked = S.unlockVaultKey(prf, locked, { credentialId });
  const meta = { id: 'conv-1', type: 'conversation', schemaVersion: 1 };
  const record = S.sealJson(unlocked, meta, { title: 'hello', events: events.length });
  out.record = S.openJson(vaultKey, meta, record);
  out.replay = codeOf(S, () => S.openRecord(vaultKey, { ...meta, id: 'conv-2' }, record));
  out.wrongPasskey = codeOf(S, () =>
    S.unlockVaultKey(crypto.getRandomValues(new Uint8Array(32)), locked, { credentialId }),
  );
  out.testOnlyHook = codeOf(S, () =>
    S.sealRecord(vaultKey, meta, new Uint8Array(1), { random: (n) => new Uint8Array(n) }),
  );
  const backup = S.sealBackup(vaultKey, S.utf8('export'), {
    envelope: { credentialId, locked },
  });
  const envelope = S.readBackupEnvelope(backup);
  out.backup = envelope
    ? S.fromUtf8(S.openBackup(S.unlockVaultKey(prf, envelope.locked, { credentialId }), backup))
    : 'no envelope';
  return out;
}

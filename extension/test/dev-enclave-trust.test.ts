/**
 * Development enclaves (issue 11): `dev` evidence while development mode is off is
 * refused with one sentence of why and the relay it is for; "Use this development
 * enclave" accepts it for that relay URL only (development mode stays off), and the
 * relay's dev signing key is pinned on first use. A restarted enclave with another
 * key is refused (`dev-key-changed`) until the user accepts that key by fingerprint.
 * Against REAL enclave processes (the test model) serving `/v1/evidence` and
 * `/v1/ohttp` as the relay does.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EnclaveProcess, startEnclave } from '../../enclave/test/support/enclave-process';
import type { ErrorInfo, WorkerToPanel } from '../src/messaging';
import type { ChatStart } from '../src/services/chat';
import { dispatch } from '../src/services/router';
import { type Harness, harness, prfBytes, TEST_EXTENSION_ORIGIN } from './support/services';

let enclave: EnclaveProcess;
let port: string;

beforeAll(async () => {
  enclave = await startEnclave();
  port = new URL(enclave.url).port;
}, 120_000);

afterAll(async () => {
  await enclave?.stop();
});

async function ready(relayUrl: string): Promise<Harness> {
  const h = harness();
  await h.vault.create({
    prf: prfBytes(5),
    salt: new Uint8Array(32).fill(5),
    credentialId: new Uint8Array([5]),
  });
  await h.settings.set({ relayUrl, generation: { maxTokens: 16, temperature: 0 } });
  return h;
}

const start = (content: string): ChatStart => ({
  type: 'chat/start',
  requestId: crypto.randomUUID(),
  messages: [{ role: 'user', content }],
});

async function run(h: Harness, content = 'Once upon a time'): Promise<WorkerToPanel[]> {
  const out: WorkerToPanel[] = [];
  await h.chat.run(start(content), (m) => out.push(m));
  return out;
}

function errorOf(out: WorkerToPanel[]): ErrorInfo {
  const last = out.at(-1)!;
  expect(last.type).toBe('chat/error');
  return last as unknown as ErrorInfo;
}

/** What the panel sends, through the router as the worker dispatches it. */
async function ask(h: Harness, message: Record<string, unknown>) {
  return dispatch(
    h.handlers,
    message,
    { url: `${TEST_EXTENSION_ORIGIN}sidepanel.html` },
    TEST_EXTENSION_ORIGIN,
  );
}

async function devKeyOf(url: string): Promise<string> {
  const bundle = (await (await fetch(`${url}/v1/evidence`)).json()) as {
    certificates: { devKey: string };
  };
  return createHash('sha256')
    .update(Buffer.from(bundle.certificates.devKey, 'base64'))
    .digest('hex');
}

describe('a development enclave while development mode is off', () => {
  it('explains, then "Use this development enclave" sends — for that relay only, mode stays off', async () => {
    const h = await ready(enclave.url);
    const refused = errorOf(await run(h));
    expect(refused).toMatchObject({ code: 'dev-refused', relayUrl: enclave.url });
    expect(refused.message).toMatch(/proves no hardware/);
    expect(refused.message).toMatch(/whoever runs it can read this conversation/);
    expect(h.fetchCalls).toEqual(['GET /v1/evidence']);

    expect(await ask(h, { type: 'evidence/use-dev', relayUrl: enclave.url })).toEqual({
      ok: true,
      value: {},
    });
    const out = await run(h);
    expect(out.at(-1)).toMatchObject({ type: 'chat/done' });
    expect(out[0]).toMatchObject({ type: 'chat/started', evidence: { development: true } });
    expect((await h.settings.get()).developmentMode).toBe(false);
    expect(await h.devTrust.get(enclave.url)).toEqual({
      accepted: true,
      keySha256: await devKeyOf(enclave.url),
    });

    // The same enclave under another relay URL is another relay: asked again.
    const other = `http://localhost:${port}`;
    await h.settings.set({ relayUrl: other });
    expect(errorOf(await run(h))).toMatchObject({ code: 'dev-refused', relayUrl: other });

    // Listed for the options page; Forget makes the panel ask again.
    expect((await ask(h, { type: 'evidence/dev-list' })) as unknown).toEqual({
      ok: true,
      value: [{ relayUrl: enclave.url, accepted: true, keySha256: await devKeyOf(enclave.url) }],
    });
    await h.settings.set({ relayUrl: enclave.url });
    expect((await run(h)).at(-1)).toMatchObject({ type: 'chat/done' });
    await ask(h, { type: 'evidence/dev-forget', relayUrl: enclave.url });
    expect(errorOf(await run(h))).toMatchObject({ code: 'dev-refused', relayUrl: enclave.url });
    await ask(h, { type: 'evidence/use-dev', relayUrl: enclave.url });

    // "Erase everything" forgets the choice and the pinned key with the rest.
    await h.handlers['history/erase-all']({});
    expect(await h.devTrust.get(enclave.url)).toEqual({ accepted: false });
  }, 120_000);

  it('accepts the choice only for the relay in use, and a fingerprint only as 64 hex digits', async () => {
    const h = await ready(enclave.url);
    for (const bad of [
      { type: 'evidence/use-dev', relayUrl: 'http://elsewhere.example' },
      { type: 'evidence/use-dev' },
      { type: 'evidence/trust-dev-key', relayUrl: enclave.url, devKeySha256: 'zz' },
      { type: 'evidence/trust-dev-key', relayUrl: enclave.url, devKeySha256: 'A'.repeat(64) },
      { type: 'evidence/trust-dev-key', relayUrl: enclave.url, devKeySha256: { x: 1 } },
    ]) {
      const r = await ask(h, bad);
      expect({ bad, ok: r.ok }).toEqual({ bad, ok: false });
      expect(r).toMatchObject({ error: { code: 'invalid' } });
    }
    expect(await h.devTrust.get(enclave.url)).toEqual({ accepted: false });
  });
});

describe('the pinned dev signing key', () => {
  it('refuses a changed key with a way to re-pin it, then answers', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sotto-enclave-'));
    let own = await startEnclave({ SOTTO_DATA_DIR: dataDir });
    const ownPort = new URL(own.url).port;
    try {
      const h = await ready(own.url);
      await h.settings.set({ developmentMode: true }); // pinning holds in development mode too
      expect((await run(h)).at(-1)).toMatchObject({ type: 'chat/done' });
      const pinned = await devKeyOf(own.url);
      expect((await h.devTrust.get(own.url)).keySha256).toBe(pinned);

      // Another enclave on the same address, with a new dev key (new data dir).
      await own.stop('SIGKILL');
      own = await startEnclave({
        SOTTO_ENCLAVE_PORT: ownPort,
        SOTTO_DATA_DIR: mkdtempSync(join(tmpdir(), 'sotto-enclave-')),
      });
      const fresh = await devKeyOf(own.url);
      expect(fresh).not.toBe(pinned);
      const messagesBefore = await h.db.messages.count();
      const out = await run(h);
      const changed = errorOf(out);
      expect(changed).toMatchObject({
        code: 'dev-key-changed',
        relayUrl: own.url,
        devKeySha256: fresh,
        retryable: false,
      });
      expect(changed.message).toMatch(/different key/);
      expect(out.some((m) => m.type === 'chat/delta' || m.type === 'chat/done')).toBe(false);
      expect(await h.db.messages.count()).toBe(messagesBefore);
      // Still refused until the user accepts the new key; the badge asks say the same.
      expect(await h.handlers['evidence/get']({})).toMatchObject({
        error: { code: 'dev-key-changed' },
      });

      expect(
        await ask(h, { type: 'evidence/trust-dev-key', relayUrl: own.url, devKeySha256: fresh }),
      ).toEqual({ ok: true, value: {} });
      expect((await run(h)).at(-1)).toMatchObject({ type: 'chat/done' });
      expect((await h.devTrust.get(own.url)).keySha256).toBe(fresh);
    } finally {
      await own.stop();
    }
  }, 180_000);
});

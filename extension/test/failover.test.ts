/**
 * Failover (issue 11): the enclave holding the extension's key dies while another
 * is up behind the same relay. The worker's chat service, against the REAL relay
 * process and two REAL enclave processes (test model, one shared data dir so both
 * sign dev evidence with the key the client pinned), gets `503 enclave_unavailable`,
 * fetches fresh evidence once and answers with the other enclave's key. Without a
 * second enclave, the failure says the enclave is down, not that it is busy.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { equalBytes, parseEvidenceV2, readEvidenceJson } from '@sotto/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EnclaveProcess, startEnclave } from '../../enclave/test/support/enclave-process';
import { waitForRelayLog } from '../../e2e/browser/support/stack';
import { type RelayProcess, startRelayProcess } from '../../e2e/support/relay-process';
import type { WorkerToPanel } from '../src/messaging';
import type { ChatStart } from '../src/services/chat';
import { type Harness, harness, prfBytes } from './support/services';

let enclaves: EnclaveProcess[] = [];
let relay: RelayProcess;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'sotto-enclave-'));
  // One after the other: the first makes the dev signing key the second reads.
  enclaves.push(await startEnclave({ SOTTO_DATA_DIR: dataDir }));
  enclaves.push(await startEnclave({ SOTTO_DATA_DIR: dataDir }));
  relay = await startRelayProcess({
    SOTTO_ENCLAVES: enclaves.map((e) => e.url).join(','),
    SOTTO_HEALTH_INTERVAL: '300ms',
  });
}, 180_000);

afterAll(async () => {
  await relay?.stop();
  for (const e of enclaves) await e.stop();
  enclaves = [];
});

const isDead = (e: EnclaveProcess) => e.child.exitCode !== null || e.child.signalCode !== null;

/** Starts dead enclaves again on their ports (same data dir), and waits until the relay sees them. */
async function reviveAll(): Promise<void> {
  for (let i = 0; i < enclaves.length; i++) {
    const old = enclaves[i]!;
    if (!isDead(old)) continue;
    const skip = relay.logs().length;
    enclaves[i] = await startEnclave({
      SOTTO_DATA_DIR: dataDir,
      SOTTO_ENCLAVE_PORT: new URL(old.url).port,
    });
    await waitForRelayLog(
      relay,
      (l) => l.event === 'enclave_health' && l.healthy === true && l.enclave === i,
      skip,
    );
  }
}

async function ready(maxTokens = 24): Promise<Harness> {
  const h = harness();
  await h.vault.create({
    prf: prfBytes(9),
    salt: new Uint8Array(32).fill(3),
    credentialId: new Uint8Array([9, 9]),
  });
  await h.settings.set({
    relayUrl: relay.url,
    developmentMode: true,
    generation: { maxTokens, temperature: 0 },
  });
  return h;
}

const start = (content: string): ChatStart => ({
  type: 'chat/start',
  requestId: crypto.randomUUID(),
  messages: [{ role: 'user', content }],
});

async function run(
  h: Harness,
  request: ChatStart,
  onMessage?: (m: WorkerToPanel) => void,
): Promise<WorkerToPanel[]> {
  const out: WorkerToPanel[] = [];
  await h.chat.run(request, (m) => {
    out.push(m);
    onMessage?.(m);
  });
  return out;
}

/** The running enclave whose own evidence names this key config. */
async function holderOf(keyConfigs: Uint8Array): Promise<EnclaveProcess> {
  for (const e of enclaves) {
    if (isDead(e)) continue;
    const bundle = parseEvidenceV2(
      readEvidenceJson(await (await fetch(`${e.url}/v1/evidence`)).text()),
    );
    if (equalBytes(bundle.keyConfigs, keyConfigs)) return e;
  }
  throw new Error('no enclave holds the verified key');
}

describe('failover when the enclave holding the key dies', () => {
  it('mid-answer: the cut answer is retried with fresh evidence, on the enclave that is up', async () => {
    const h = await ready(400);
    const first = await h.evidence.current();
    const holder = await holderOf(first.evidence.keyConfigs);
    let killed: Promise<void> | undefined;
    const out = await run(h, start('Once upon a time there was a big castle'), (m) => {
      if (m.type === 'chat/delta' && !killed) killed = holder.stop('SIGKILL');
    });
    await killed;
    expect(out.filter((m) => m.type === 'chat/retrying')).toEqual([
      expect.objectContaining({ reason: 'truncated' }),
    ]);
    expect(out.at(-1)).toMatchObject({ type: 'chat/done' });
    expect(h.fetchCalls).toEqual([
      'GET /v1/evidence',
      'POST /v1/ohttp',
      'GET /v1/evidence', // fresh, after the cut
      'POST /v1/ohttp',
    ]);
    const now = await h.evidence.current();
    expect(equalBytes(now.evidence.keyConfigs, first.evidence.keyConfigs)).toBe(false);
    // Only the retried, complete answer is stored.
    const stored = await h.db.messages.count();
    expect(stored).toBe(2);
  }, 120_000);

  it('between answers: refetches evidence once and answers with the enclave that is up', async () => {
    await reviveAll();
    const h = await ready();
    // Fresh: the relay's short evidence cache may still hold the revived enclave's old key.
    const first = await h.evidence.current({ fresh: true });
    const holder = await holderOf(first.evidence.keyConfigs);
    await holder.stop('SIGKILL');

    const out = await run(h, start('Once upon a time'));
    expect(out.filter((m) => m.type === 'chat/retrying')).toEqual([
      expect.objectContaining({ reason: 'enclave-down' }),
    ]);
    expect(out.at(-1)).toMatchObject({ type: 'chat/done' });
    expect(out.filter((m) => m.type === 'chat/error')).toEqual([]);
    // The retry was sealed to the other enclave's key, verified afresh.
    const started = out.filter((m) => m.type === 'chat/started');
    expect(started).toHaveLength(2);
    const now = await h.evidence.current();
    expect(equalBytes(now.evidence.keyConfigs, first.evidence.keyConfigs)).toBe(false);
    expect(await holderOf(now.evidence.keyConfigs)).not.toBe(holder);
    expect(h.fetchCalls).toEqual([
      'GET /v1/evidence',
      'POST /v1/ohttp',
      'GET /v1/evidence',
      'POST /v1/ohttp',
    ]);
    expect(await h.db.messages.count()).toBe(2);
  }, 120_000);

  it('with no enclave left, says the enclave is down (not busy), and stores nothing', async () => {
    await reviveAll();
    const h = await ready();
    await h.evidence.current();
    for (const e of enclaves) await e.stop('SIGKILL');
    const out = await run(h, start('Once upon a time'));
    const error = out.at(-1);
    expect(error).toMatchObject({ type: 'chat/error', retryable: true });
    // The fresh evidence fetch finds no enclave either: the relay answers 503 enclave_unavailable.
    expect((error as { code: string }).code).toBe('enclave-unavailable');
    expect((error as { message: string }).message).toMatch(/down/);
    expect((error as { message: string }).message).not.toMatch(/busy/);
    expect(await h.db.messages.count()).toBe(0);
  }, 120_000);
});

/**
 * Item 8 (issue 18): what post-quantum sealing costs. X-Wing (ML-KEM-768 + X25519) against
 * X25519 alone, side by side:
 * - per request, in a fresh Node process and in a fresh Chromium page (bench/kem/kem-timing.ts):
 *   the client's sealing and the gateway's opening of a chunked request with a 1 KiB body;
 * - time to first token through the relay and the bench enclave (which holds both keys, as the
 *   real one does), requests sealed to each key in turn, paired;
 * - the request-size overhead on the wire (the 1120-byte encapsulated key against 32 bytes).
 * Added cost = X-Wing − X25519 of paired samples; the target is ≤ 1 ms per request.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { KEM_X25519_HKDF_SHA256, KEM_XWING } from '@sotto/protocol';
import { CHROMIUM } from '../../e2e/support/chromium';
import type { KemTimings } from '../kem/kem-timing';
import { sealedChat } from '../lib/chat-clients';
import { runInChromium } from '../lib/in-chromium';
import { REPO_ROOT } from '../lib/processes';
import { interleaved, roundSummary, type Summary, summarize } from '../lib/stats';
import { type EnclaveStack, summarizeRequest } from './ttft';

export interface KemRuntime {
  runtime: string;
  sealMs: { x25519: Summary; xwing: Summary; added: Summary };
  openMs: { x25519: Summary; xwing: Summary; added: Summary };
  /** Seal + open, CPU time (Node only; absent in Chromium). */
  cpuMs?: { x25519: Summary; xwing: Summary; added: Summary };
}

export interface KemResult {
  node: KemRuntime;
  chromium: KemRuntime | { skipped: string };
  /** Client sealing in Chromium plus gateway opening in Node: what the extension adds per request. */
  extensionAddedMs: number | null;
  /** Node client and gateway: what the CLI adds per request. */
  cliAddedMs: number;
  requestBytes: { x25519: number; xwing: number; overhead: number };
  ttft: { model: string; reps: number; x25519Ms: Summary; xwingMs: Summary; addedMs: Summary };
}

const diffs = (a: number[], b: number[]) => a.map((v, i) => v - b[i]!);

function shape(t: KemTimings): KemRuntime {
  const s = (v: number[]) => roundSummary(summarize(v));
  return {
    runtime: t.runtime,
    sealMs: {
      x25519: s(t.x25519.sealMs),
      xwing: s(t.xwing.sealMs),
      added: s(diffs(t.xwing.sealMs, t.x25519.sealMs)),
    },
    openMs: {
      x25519: s(t.x25519.openMs),
      xwing: s(t.xwing.openMs),
      added: s(diffs(t.xwing.openMs, t.x25519.openMs)),
    },
    ...(t.x25519.cpuMs.some(Number.isFinite)
      ? {
          cpuMs: {
            x25519: s(t.x25519.cpuMs),
            xwing: s(t.xwing.cpuMs),
            added: s(diffs(t.xwing.cpuMs, t.x25519.cpuMs)),
          },
        }
      : {}),
  };
}

async function inNode(rounds: number): Promise<KemTimings> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'bench/kem/node-main.ts', JSON.stringify([rounds])],
    { cwd: REPO_ROOT, maxBuffer: 1 << 22 },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!) as KemTimings;
}

export async function benchKem(
  stack: EnclaveStack,
  modelName: string,
  rounds: number,
  ttftReps: number,
): Promise<KemResult> {
  const nodeTimings = await inNode(rounds);
  const node = shape(nodeTimings);
  const chromium = existsSync(CHROMIUM)
    ? shape(
        await runInChromium<KemTimings>(
          resolve(REPO_ROOT, 'bench/kem/kem-timing.ts'),
          'runKemTimings',
          [rounds],
        ),
      )
    : { skipped: `${CHROMIUM} not found` };

  const xwing = stack.keyConfigs.find((c) => c.kemId === KEM_XWING);
  const x25519 = stack.keyConfigs.find((c) => c.kemId === KEM_X25519_HKDF_SHA256);
  if (!xwing || !x25519) throw new Error('the bench enclave does not offer both KEMs');
  const ttftOf = async (config: typeof xwing) =>
    (await sealedChat(stack.relay.url, config, summarizeRequest(1024, 8))).ttftMs;
  const t = await interleaved(
    { x25519: () => ttftOf(x25519), xwing: () => ttftOf(xwing) },
    ttftReps,
    3,
  );
  const cliAddedMs = node.sealMs.added.median + node.openMs.added.median;
  return {
    node,
    chromium,
    extensionAddedMs:
      'skipped' in chromium
        ? null
        : Number((chromium.sealMs.added.median + node.openMs.added.median).toFixed(3)),
    cliAddedMs: Number(cliAddedMs.toFixed(3)),
    requestBytes: {
      x25519: nodeTimings.x25519.requestBytes,
      xwing: nodeTimings.xwing.requestBytes,
      overhead: nodeTimings.xwing.requestBytes - nodeTimings.x25519.requestBytes,
    },
    ttft: {
      model: modelName,
      reps: ttftReps,
      x25519Ms: roundSummary(summarize(t.x25519)),
      xwingMs: roundSummary(summarize(t.xwing)),
      addedMs: roundSummary(summarize(diffs(t.xwing, t.x25519))),
    },
  };
}

/**
 * BENCH-ONLY enclave process (never part of a normal build: it lives under bench/, which no
 * package imports). It is the real enclave — the same engine, key ring, dev attestation,
 * OHTTP gateway and inner application (`enclave/src/app.ts`) — with two additions that exist
 * only for measurement:
 *
 * 1. `POST /bench/plain/v1/chat/completions`: the same inner application
 *    (`serveInnerRequest`) and the same engine, answered as plain server-sent events with no
 *    OHTTP and no Binary HTTP. This is the "unencrypted server" the encrypted path is compared
 *    with, in the same process, on the same model, at the same time.
 * 2. A bounded prompt (BENCH_PROMPT_TAIL_CHARS): the test model's context holds 512 tokens,
 *    so a 32 KB or 256 KB page cannot be fed to it whole. Both paths carry, seal, open and
 *    JSON-parse the whole page; then the engine is given only the last N characters of each
 *    message. Model work is therefore identical on both paths and bounded; what differs is
 *    exactly the transport and encryption of the full page.
 *
 * Prints one JSON line `{"event":"listening","url":…}` on stdout when ready.
 */

import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { computeReportData, evidenceToJson, fromHex } from '@sotto/protocol';
import { installNodeAesGcm } from '@sotto/protocol/node/aes-gcm';
import { createEnclaveServer } from '../../enclave/src/app';
import { createAttestationProvider } from '../../enclave/src/attestation';
import { type CompletionEngine, serveInnerRequest } from '../../enclave/src/completions';
import { loadConfig } from '../../enclave/src/config';
import { createEngine, type InferenceEngine } from '../../enclave/src/inference/engine';
import { KeyRing } from '../../enclave/src/keys';
import { createLogger } from '../../enclave/src/log';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** The engine, with each message cut to its last `tailChars` characters before inference. */
function boundedPrompt(engine: InferenceEngine, tailChars: number): InferenceEngine {
  return {
    ...engine,
    model: engine.model,
    stats: () => engine.stats(),
    complete(request, signal) {
      const body = request as { messages?: { role: string; content: unknown }[] };
      const messages = Array.isArray(body?.messages)
        ? body.messages.map((m) =>
            typeof m.content === 'string' && m.content.length > tailChars
              ? { ...m, content: m.content.slice(-tailChars) }
              : m,
          )
        : body?.messages;
      return engine.complete({ ...body, messages }, signal);
    },
  };
}

async function readBody(req: IncomingMessage, max: number): Promise<Uint8Array | undefined> {
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > max) return undefined;
    parts.push(chunk);
  }
  return new Uint8Array(Buffer.concat(parts));
}

/** The plaintext twin of the OHTTP route: same inner application, no encryption. */
async function servePlain(req: IncomingMessage, res: ServerResponse, engine: CompletionEngine) {
  const body = await readBody(req, MAX_BODY_BYTES);
  if (!body) {
    res.writeHead(413).end();
    return;
  }
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  const write = (bytes: Uint8Array) =>
    new Promise<void>((r) => {
      if (res.destroyed || res.write(bytes)) r();
      else res.once('drain', () => r());
    });
  await serveInnerRequest(
    { method: 'POST', path: '/v1/chat/completions', body },
    engine,
    {
      async start(status, headers) {
        res.writeHead(status, Object.fromEntries(headers));
        res.flushHeaders();
      },
      write,
      async end() {
        res.end();
      },
    },
    abort.signal,
  );
}

async function main(): Promise<void> {
  // As the enclave does (enclave/src/server.ts); BENCH_AEAD=webcrypto keeps the old path.
  if (process.env.BENCH_AEAD !== 'webcrypto') installNodeAesGcm();
  const env = process.env;
  const config = loadConfig({
    ...env,
    SOTTO_MODEL: env.BENCH_MODEL,
    SOTTO_DATA_DIR: mkdtempSync(join(tmpdir(), 'sotto-bench-enclave-')),
    SOTTO_ATTESTATION: 'dev',
  });
  const tailChars = Number(env.BENCH_PROMPT_TAIL_CHARS ?? 600);
  const engine = await createEngine({
    modelSpec: config.modelSpec,
    threads: Number(env.BENCH_THREADS ?? 1),
    sequences: Number(env.BENCH_SEQUENCES ?? 1),
    queueLimit: 64,
    ...(env.BENCH_CONTEXT ? { contextSize: Number(env.BENCH_CONTEXT) } : {}),
  });
  const bounded = boundedPrompt(engine, tailChars);
  const provider = await createAttestationProvider(config, REPO_ROOT);
  const modelSha = fromHex(engine.model.sha256);
  const ring = await KeyRing.create({
    async makeEvidence(keyConfigs, createdAt) {
      const att = await provider.attest(computeReportData(keyConfigs, modelSha, config.releaseId));
      return JSON.stringify(
        evidenceToJson({
          platform: att.platform,
          report: att.report,
          certificates: att.certificates,
          keyConfigs,
          model: { name: engine.model.name, sha256: modelSha },
          release: { id: config.releaseId },
          keyCreatedAt: createdAt,
        }),
      );
    },
  });
  // The enclave's request log lines (status, token counts, evaluated prompt tokens; never
  // content) go to stdout, where the bench reads the evaluated-token counts of item 5.
  const enclave = createEnclaveServer({
    ring,
    engine: bounded,
    queueLimit: 64,
    maxBodyBytes: MAX_BODY_BYTES,
    // The bench reads per-request token counts: detailed logging, as SOTTO_LOG_DETAIL=1 would give.
    log: createLogger((line) => process.stdout.write(`${line}\n`), { detail: true }),
    // SOTTO_PACE from the bench (processes.ts): "off" unless a section measures pacing.
    ...(config.pacing ? { pacing: config.pacing } : {}),
  });
  const enclaveHandler = enclave.listeners('request')[0] as (
    req: IncomingMessage,
    res: ServerResponse,
  ) => void;
  const server = createServer({ noDelay: true }, (req, res) => {
    if (req.method === 'POST' && req.url === '/bench/plain/v1/chat/completions') {
      servePlain(req, res, bounded).catch(() => res.destroy());
      return;
    }
    enclaveHandler(req, res);
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    process.stdout.write(
      `${JSON.stringify({ event: 'listening', url: `http://127.0.0.1:${port}`, threads: engine.threads, contextSize: engine.contextSize })}\n`,
    );
  });
  const stop = () => {
    ring.stop();
    server.close();
    server.closeAllConnections();
    engine.close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e: unknown) => {
  console.error('bench enclave failed to start', e);
  process.exit(1);
});

/**
 * The built-in engine served as a plain OpenAI-compatible HTTP server on
 * loopback: `POST /v1/chat/completions` (`stream: true`), server-sent events.
 * It stands in for vLLM / llama-server when testing `SOTTO_ENGINE=openai:…`
 * (enclave/test/openai-engine.test.ts) and for trying that path locally. Plain
 * HTTP with plaintext: it binds 127.0.0.1 only and belongs inside the VM.
 *
 *   SOTTO_MODEL=../shared/models/stories260K.gguf tsx enclave/scripts/openai-server.ts
 *
 * Prints one JSON line `{"listening":"http://127.0.0.1:PORT"}` (port from
 * OPENAI_SERVER_PORT, default 0 = any free one).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveInnerRequest } from '../src/completions';
import { createEngine } from '../src/inference/engine';

const engine = await createEngine({
  modelSpec: process.env.SOTTO_MODEL ?? '',
  threads: 1,
  sequences: 2,
  queueLimit: 16,
});
const MAX_BODY_BYTES = 4 * 1024 * 1024;

const server = createServer({ noDelay: true }, (req, res) => {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size > MAX_BODY_BYTES) req.destroy();
    else chunks.push(c);
  });
  req.on('end', () => {
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    void serveInnerRequest(
      {
        method: req.method ?? 'GET',
        path: (req.url ?? '/').split('?')[0]!,
        body: Buffer.concat(chunks),
      },
      engine,
      {
        async start(status, headers) {
          res.writeHead(status, Object.fromEntries(headers));
          res.flushHeaders();
        },
        async write(bytes) {
          if (!res.write(bytes)) await new Promise((r) => res.once('drain', r));
        },
        async end() {
          res.end();
        },
      },
      abort.signal,
    );
  });
});
server.listen(Number(process.env.OPENAI_SERVER_PORT ?? 0), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  console.log(JSON.stringify({ listening: `http://127.0.0.1:${port}` }));
});
const stop = () => {
  server.close();
  server.closeAllConnections();
  void engine.close().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

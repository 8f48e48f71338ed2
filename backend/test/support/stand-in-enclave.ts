/**
 * Network stand-ins for the enclave in relay tests: small node:http servers
 * that behave like `enclave/` at the byte level (evidence JSON, /healthz,
 * /v1/ohttp) and can misbehave on cue (hang, die mid-stream, answer busy).
 * They are not the enclave: the lead's integration tests run the real one.
 */
import http, {
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  readonly headers: IncomingHttpHeaders;
  /** All body bytes received so far. */
  readonly chunks: Buffer[];
  /** Resolves when the request stream closes: whether it arrived whole. */
  readonly closed: Promise<{ complete: boolean; bytes: number }>;
  /** Resolves once the bytes received so far contain `needle`. */
  received(needle: string): Promise<void>;
}

export type OhttpHandler = (req: IncomingMessage, res: ServerResponse, seen: SeenRequest) => void;

export interface StandIn {
  readonly url: string;
  /** Key id of the first config in the evidence's key config list. */
  keyId: number;
  /** Key ids of further configs in the list (a real enclave has one per KEM). */
  moreKeyIds: number[];
  evidenceHits: number;
  readonly requests: SeenRequest[];
  onOhttp: OhttpHandler;
  /** Resolves on the next /v1/ohttp request. */
  nextRequest(): Promise<SeenRequest>;
  close(): Promise<void>;
}

/**
 * Evidence JSON shaped like protocol/evidence (only the key ids of `keyConfigs`
 * matter to the relay): an `application/ohttp-keys` list with one X25519-shaped
 * config per key id.
 */
export function evidenceJson(keyId: number, ...moreKeyIds: number[]): string {
  const configs = [keyId, ...moreKeyIds].map((id) => {
    const c = Buffer.concat([
      Buffer.from([id, 0x00, 0x20]),
      Buffer.alloc(32, 7),
      Buffer.from([0, 4, 0, 1, 0, 1]),
    ]);
    return Buffer.concat([Buffer.from([0, c.length]), c]);
  });
  const keyConfigs = Buffer.concat(configs);
  return JSON.stringify({
    format: 'sotto-evidence/1',
    platform: 'dev',
    report: Buffer.alloc(16, 1).toString('base64'),
    certificates: {},
    keyConfigs: keyConfigs.toString('base64'),
    model: { name: 'stand-in', sha256: '00'.repeat(32) },
    release: { id: 'test' },
    keyCreatedAt: new Date(0).toISOString(),
  });
}

/** Default /v1/ohttp behaviour: read the whole body, answer `R` + the body. */
export const echo: OhttpHandler = (req, res, seen) => {
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'message/ohttp-chunked-res' });
    res.end(Buffer.concat([Buffer.from('R'), ...seen.chunks]));
  });
};

export async function startStandIn(keyId: number, onOhttp: OhttpHandler = echo): Promise<StandIn> {
  const waiters: Array<(s: SeenRequest) => void> = [];
  const standIn: StandIn = {
    url: '',
    keyId,
    moreKeyIds: [],
    evidenceHits: 0,
    requests: [],
    onOhttp,
    nextRequest: () => new Promise((resolve) => waiters.push(resolve)),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
      return;
    }
    if (req.url === '/v1/evidence') {
      standIn.evidenceHits++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(evidenceJson(standIn.keyId, ...standIn.moreKeyIds));
      return;
    }
    if (req.url === '/v1/ohttp' && req.method === 'POST') {
      const chunks: Buffer[] = [];
      let bytes = 0;
      req.on('data', (c: Buffer) => {
        chunks.push(c);
        bytes += c.length;
      });
      const closed = new Promise<{ complete: boolean; bytes: number }>((resolve) => {
        req.on('close', () => resolve({ complete: req.complete, bytes }));
      });
      const received = (needle: string) =>
        new Promise<void>((resolve) => {
          const check = () => {
            if (!Buffer.concat(chunks).includes(needle)) return;
            req.off('data', check);
            resolve();
          };
          req.on('data', check);
          check();
        });
      const seen: SeenRequest = { headers: req.headers, chunks, closed, received };
      standIn.requests.push(seen);
      waiters.shift()?.(seen);
      standIn.onOhttp(req, res, seen);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (standIn as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return standIn;
}

/** A URL on which nothing listens (connection refused). */
export async function refusedUrl(): Promise<string> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/**
 * HTTP towards the enclaves. Plain `node:http`/`node:https` so bytes move as
 * they arrive with backpressure; no connection reuse (`keepAlive: false`): a
 * fresh connection per request means a stale pooled socket can never be
 * mistaken for a dead enclave, and an enclave dying shows on that request only.
 */
import http, {
  type ClientRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from 'node:http';
import https from 'node:https';

/** A failure talking to an enclave before any response: refused, reset, unreachable. */
export class UpstreamConnectError extends Error {
  readonly code = 'UPSTREAM_CONNECT' as const;
  constructor(options?: { cause?: unknown }) {
    super('enclave connection failed', options);
    this.name = 'UpstreamConnectError';
  }
}

/** No response within the allowed time. */
export class UpstreamTimeoutError extends Error {
  readonly code = 'UPSTREAM_TIMEOUT' as const;
  constructor() {
    super('enclave did not answer in time');
    this.name = 'UpstreamTimeoutError';
  }
}

/** A response larger than the caller allows (evidence, health). */
export class UpstreamTooLargeError extends Error {
  readonly code = 'UPSTREAM_TOO_LARGE' as const;
  constructor() {
    super('enclave response is too large');
    this.name = 'UpstreamTooLargeError';
  }
}

export interface BufferedResponse {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: Buffer;
}

export class Upstream {
  readonly #httpAgent = new http.Agent({ keepAlive: false });
  readonly #httpsAgent = new https.Agent({ keepAlive: false });

  /** Starts a request to `base + path`. The caller owns the request and must handle `error`. */
  request(base: string, path: string, method: string, headers: OutgoingHttpHeaders): ClientRequest {
    const url = new URL(base + path);
    const secure = url.protocol === 'https:';
    return (secure ? https : http).request(url, {
      method,
      headers,
      agent: secure ? this.#httpsAgent : this.#httpAgent,
    });
  }

  /**
   * GETs a small resource and buffers it.
   * @throws {UpstreamConnectError} refused/reset/unreachable.
   * @throws {UpstreamTimeoutError} no complete answer within `timeoutMs`.
   * @throws {UpstreamTooLargeError} body over `maxBytes`.
   */
  get(base: string, path: string, timeoutMs: number, maxBytes: number): Promise<BufferedResponse> {
    return new Promise((resolve, reject) => {
      const req = this.request(base, path, 'GET', { accept: 'application/json' });
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        reject(err);
      };
      const timer = setTimeout(() => fail(new UpstreamTimeoutError()), timeoutMs);
      req.on('error', (cause) => fail(new UpstreamConnectError({ cause })));
      req.on('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) fail(new UpstreamTooLargeError());
          else chunks.push(chunk);
        });
        res.on('error', (cause) => fail(new UpstreamConnectError({ cause })));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({
            status: res.statusCode ?? 0,
            contentType: res.headers['content-type'],
            body: Buffer.concat(chunks),
          });
        });
      });
      req.end();
    });
  }

  /** Closes idle sockets (there are none with keep-alive off; kept for shutdown symmetry). */
  destroy(): void {
    this.#httpAgent.destroy();
    this.#httpsAgent.destroy();
  }
}

/**
 * HTTP towards the enclaves. Plain `node:http`/`node:https` so bytes move as
 * they arrive with backpressure, over keep-alive pools (one agent per scheme,
 * sockets kept per enclave): no TCP handshake per request (issue 17, "Relay").
 *
 * A pooled socket the enclave has just closed fails on reuse; such a failure
 * (`req.reusedSocket`, Node's documented pattern) is retried once on a fresh
 * connection and never taken for a dead enclave. Node 20's agent also drops
 * an idle socket before the server's `Keep-Alive: timeout` hint runs out.
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

/** Idle connections kept per enclave. */
const MAX_FREE_SOCKETS = 64;

export class Upstream {
  readonly #httpAgent = new http.Agent({ keepAlive: true, maxFreeSockets: MAX_FREE_SOCKETS });
  readonly #httpsAgent = new https.Agent({ keepAlive: true, maxFreeSockets: MAX_FREE_SOCKETS });

  /**
   * Starts a request to `base + path`; `fresh` opens a new connection instead of
   * a pooled one. The caller owns the request and must handle `error`.
   */
  request(
    base: string,
    path: string,
    method: string,
    headers: OutgoingHttpHeaders,
    fresh = false,
  ): ClientRequest {
    const url = new URL(base + path);
    const secure = url.protocol === 'https:';
    return (secure ? https : http).request(url, {
      method,
      headers,
      agent: fresh ? false : secure ? this.#httpsAgent : this.#httpAgent,
    });
  }

  /**
   * GETs a small resource and buffers it.
   * @throws {UpstreamConnectError} refused/reset/unreachable.
   * @throws {UpstreamTimeoutError} no complete answer within `timeoutMs`.
   * @throws {UpstreamTooLargeError} body over `maxBytes`.
   */
  get(
    base: string,
    path: string,
    timeoutMs: number,
    maxBytes: number,
    // Evidence and health: a new connection each time. They are rare, and a
    // pooled socket to an enclave behind an L4 proxy that died would only time out.
    fresh = true,
  ): Promise<BufferedResponse> {
    return new Promise((resolve, reject) => {
      const req = this.request(base, path, 'GET', { accept: 'application/json' }, fresh);
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        reject(err);
      };
      const timer = setTimeout(() => fail(new UpstreamTimeoutError()), timeoutMs);
      req.on('error', (cause) => {
        if (req.reusedSocket && !fresh && !settled) {
          settled = true;
          clearTimeout(timer);
          this.get(base, path, timeoutMs, maxBytes, true).then(resolve, reject);
          return;
        }
        fail(new UpstreamConnectError({ cause }));
      });
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

  /** Closes the pooled sockets (shutdown). */
  destroy(): void {
    this.#httpAgent.destroy();
    this.#httpsAgent.destroy();
  }
}

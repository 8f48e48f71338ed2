/** Starts a real relay on 127.0.0.1:0 for tests, with its log lines captured. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRelay, type Relay } from '../../src/app';
import { loadConfig, type RelayConfig } from '../../src/config';

export interface RunningRelay {
  readonly url: string;
  readonly relay: Relay;
  readonly logs: string[];
  /** Request log lines, parsed. */
  requestLogs(): Array<Record<string, unknown>>;
  /** Resolves once at least `n` request log lines have been written. */
  waitForRequestLogs(n: number): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

export async function startRelay(
  enclaves: string[],
  overrides: Partial<RelayConfig> = {},
  options: { now?: () => number; checkFirst?: boolean } = {},
): Promise<RunningRelay> {
  const config: RelayConfig = {
    ...loadConfig({ SOTTO_ENCLAVES: enclaves.join(',') }),
    port: 0,
    ...overrides,
  };
  const logs: string[] = [];
  const waiters: Array<() => void> = [];
  const requestLogs = () =>
    logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => 'route' in l);
  const relay = createRelay(config, {
    sink: (line) => {
      logs.push(line);
      for (const w of waiters.splice(0)) w();
    },
    ...(options.now ? { now: options.now } : {}),
  });
  if (options.checkFirst) await relay.start();
  const server = http.createServer(relay.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    relay,
    logs,
    requestLogs,
    waitForRequestLogs: async (n) => {
      while (requestLogs().length < n) await new Promise<void>((r) => waiters.push(r));
      return requestLogs();
    },
    close: () =>
      new Promise((resolve) => {
        relay.stop();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An OHTTP-shaped body: key id byte first, then opaque bytes. */
export function sealedLike(keyId: number, rest: string | Buffer = 'opaque'): Buffer {
  return Buffer.concat([Buffer.from([keyId]), Buffer.isBuffer(rest) ? rest : Buffer.from(rest)]);
}

export const CHUNKED_REQ = 'message/ohttp-chunked-req';

/** Starts a real relay on 127.0.0.1:0 for tests (listenRelay), with its log lines captured. */
import { listenRelay, type Relay } from '../../src/app';
import { loadConfig, type RelayConfig } from '../../src/config';

export interface TestRelay {
  readonly url: string;
  readonly relay: Relay;
  readonly logs: string[];
  /** Request log lines, parsed. */
  requestLogs(): Array<Record<string, unknown>>;
  /** Resolves once at least `n` request log lines have been written. */
  waitForRequestLogs(n: number): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

/**
 * Enclaves start optimistic (healthy) unless `checkFirst`: then one health
 * round runs before the first request, as in `server.ts`.
 */
export async function startRelay(
  enclaves: string[],
  overrides: Partial<RelayConfig> = {},
  options: { now?: () => number; checkFirst?: boolean } = {},
): Promise<TestRelay> {
  const config: RelayConfig = {
    ...loadConfig({ SOTTO_ENCLAVES: enclaves.join(',') }),
    port: 0,
    // Checks run when a test asks (pool.checkAll) or when nothing is healthy.
    healthIntervalMs: 3_600_000,
    ...overrides,
  };
  const logs: string[] = [];
  const waiters: Array<() => void> = [];
  const requestLogs = () =>
    logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => 'route' in l);
  const running = await listenRelay(config, {
    sink: (line) => {
      logs.push(line);
      for (const w of waiters.splice(0)) w();
    },
    ...(options.now ? { now: options.now } : {}),
    checkFirst: options.checkFirst ?? false,
  });
  return {
    url: running.url,
    relay: running.relay,
    logs,
    requestLogs,
    waitForRequestLogs: async (n) => {
      while (requestLogs().length < n) await new Promise<void>((r) => waiters.push(r));
      return requestLogs();
    },
    close: () => running.close(),
  };
}

/** An OHTTP-shaped body: key id byte first, then opaque bytes. */
export function sealedLike(keyId: number, rest: string | Buffer = 'opaque'): Buffer {
  return Buffer.concat([Buffer.from([keyId]), Buffer.isBuffer(rest) ? rest : Buffer.from(rest)]);
}

export const CHUNKED_REQ = 'message/ohttp-chunked-req';

/**
 * The enclave's request log: one JSON line per request with ids, sizes, token
 * counts, timings and outcome. The field set is closed on purpose: there is no
 * way to log a prompt, a token, a page or key material through this type.
 */
export interface RequestLogEntry {
  requestId: string;
  route: string;
  status: number;
  outcome: string;
  keyId?: number;
  requestBytes?: number;
  responseBytes?: number;
  promptTokens?: number;
  completionTokens?: number;
  evaluatedPromptTokens?: number;
  ttfbMs?: number;
  totalMs: number;
}

export interface LifecycleLogEntry {
  event: 'listening' | 'key-rotated' | 'key-rotation-failed' | 'stopping';
  [field: string]: string | number | boolean | undefined;
}

export type LogSink = (line: string) => void;

export function createLogger(sink: LogSink = (l) => process.stderr.write(`${l}\n`)) {
  const stamp = () => new Date().toISOString();
  return {
    request(entry: RequestLogEntry): void {
      sink(JSON.stringify({ t: stamp(), ...entry }));
    },
    lifecycle(entry: LifecycleLogEntry): void {
      sink(JSON.stringify({ t: stamp(), ...entry }));
    },
  };
}

export type Logger = ReturnType<typeof createLogger>;

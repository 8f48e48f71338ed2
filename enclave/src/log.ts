/**
 * The enclave's request log: one JSON line per request with its id, route,
 * status, outcome and key id. The field set is closed on purpose: there is no
 * way to log a prompt, a token, a page or key material through this type.
 *
 * Sizes, token counts, cache hits and timings (issue 13) describe what was
 * asked and answered, so they never leave this process per request: they are
 * summed in memory and written as one `traffic` line per interval, only for an
 * interval with at least {@link MIN_AGGREGATE_REQUESTS} requests, the sums rounded to two
 * significant digits (whoever sends four of five requests in an interval knows their
 * figures; the rounding blurs what differencing leaves of the fifth). A logger made
 * with `detail: true` (`SOTTO_LOG_DETAIL=1`, the bench) writes them on every
 * line instead; the process says so when it starts.
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
  event: 'listening' | 'key-rotated' | 'key-rotation-failed' | 'stopping' | 'traffic';
  [field: string]: string | number | boolean | undefined;
}

export type LogSink = (line: string) => void;

/** Fewest requests an aggregate line may describe; smaller intervals carry over. */
export const MIN_AGGREGATE_REQUESTS = 5;

export function createLogger(
  sink: LogSink = (l) => process.stderr.write(`${l}\n`),
  options: { detail?: boolean } = {},
) {
  const stamp = () => new Date().toISOString();
  const sums = { requests: 0, promptTokens: 0, completionTokens: 0, cachedPromptTokens: 0 };
  return {
    /** Whether per-request figures are written (debugging only). */
    detail: options.detail === true,
    request(entry: RequestLogEntry): void {
      sums.requests++;
      sums.promptTokens += entry.promptTokens ?? 0;
      sums.completionTokens += entry.completionTokens ?? 0;
      sums.cachedPromptTokens += (entry.promptTokens ?? 0) - (entry.evaluatedPromptTokens ?? 0);
      if (options.detail) {
        sink(JSON.stringify({ t: stamp(), ...entry }));
        return;
      }
      const { requestId, route, status, outcome, keyId } = entry;
      sink(
        JSON.stringify({ t: stamp().slice(0, 16) + 'Z', requestId, route, status, outcome, keyId }),
      );
    },
    lifecycle(entry: LifecycleLogEntry): void {
      sink(JSON.stringify({ t: stamp(), ...entry }));
    },
    /** Writes the interval's `traffic` line, if it saw enough requests, and starts a new one. */
    flushAggregates(): void {
      if (sums.requests < MIN_AGGREGATE_REQUESTS) return;
      sink(
        JSON.stringify({
          t: stamp(),
          event: 'traffic',
          requests: sums.requests,
          promptTokens: twoDigits(sums.promptTokens),
          completionTokens: twoDigits(sums.completionTokens),
          cachedPromptTokens: twoDigits(sums.cachedPromptTokens),
        }),
      );
      sums.requests = sums.promptTokens = sums.completionTokens = sums.cachedPromptTokens = 0;
    },
  };
}

export type Logger = ReturnType<typeof createLogger>;

function twoDigits(n: number): number {
  return n === 0 ? 0 : Number(n.toPrecision(2));
}

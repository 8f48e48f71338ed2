/**
 * Aggregated traffic figures for the relay log (DESIGN.md, "Traffic analysis"):
 * instead of each request's exact size, time to first byte and duration, the
 * relay writes one `traffic` line per interval with counts per route and
 * outcome and histograms over coarse classes. A line is written only for an
 * interval that saw at least `minRequests` requests, so a quiet relay does not
 * log one request's figures on their own.
 */
import { type LogSink, logEvent } from './log';

/** Upper bounds of the time classes, in ms; the last class is "more". */
const TIME_CLASSES_MS = [100, 1_000, 10_000, 60_000] as const;

/** A size class: the smallest power of four ≥ n, from 1 KiB ("≤1KiB", "≤4KiB", … "≤4MiB", ">4MiB"). */
export function sizeClass(n: number): string {
  let b = 1024;
  while (b < n && b < 4 * 1024 * 1024) b *= 4;
  if (n > b) return '>4MiB';
  return b >= 1024 * 1024 ? `≤${b / (1024 * 1024)}MiB` : `≤${b / 1024}KiB`;
}

/** A time class: "≤100ms", "≤1s", "≤10s", "≤60s" or ">60s". */
export function timeClass(ms: number): string {
  for (const c of TIME_CLASSES_MS) if (ms <= c) return c < 1000 ? `≤${c}ms` : `≤${c / 1000}s`;
  return '>60s';
}

/** What one finished request adds to the aggregate (already coarse where it can be). */
export interface RequestFigures {
  route: string;
  outcome: string;
  requestBytes: number;
  responseBytes: number;
  ttfbMs: number | null;
  totalMs: number;
}

type Histogram = Record<string, number>;
const bump = (h: Histogram, k: string) => {
  h[k] = (h[k] ?? 0) + 1;
};

export class TrafficAggregate {
  #requests = 0;
  #byRoute: Histogram = {};
  #byOutcome: Histogram = {};
  #requestSize: Histogram = {};
  #responseSize: Histogram = {};
  #ttfb: Histogram = {};
  #total: Histogram = {};

  constructor(
    private readonly sink: LogSink,
    private readonly minRequests = 5,
  ) {}

  add(f: RequestFigures): void {
    this.#requests++;
    bump(this.#byRoute, f.route);
    bump(this.#byOutcome, f.outcome);
    if (f.route !== 'ohttp') return;
    bump(this.#requestSize, sizeClass(f.requestBytes));
    bump(this.#responseSize, sizeClass(f.responseBytes));
    if (f.ttfbMs !== null) bump(this.#ttfb, timeClass(f.ttfbMs));
    bump(this.#total, timeClass(f.totalMs));
  }

  /** Writes the interval's line (if it saw enough requests) and starts a new interval. */
  flush(): void {
    if (this.#requests === 0) return;
    if (this.#requests < this.minRequests) return; // carried into the next interval
    logEvent(this.sink, 'traffic', {
      requests: this.#requests,
      routes: JSON.stringify(this.#byRoute),
      outcomes: JSON.stringify(this.#byOutcome),
      requestSize: JSON.stringify(this.#requestSize),
      responseSize: JSON.stringify(this.#responseSize),
      ttfb: JSON.stringify(this.#ttfb),
      total: JSON.stringify(this.#total),
    });
    this.#requests = 0;
    this.#byRoute = {};
    this.#byOutcome = {};
    this.#requestSize = {};
    this.#responseSize = {};
    this.#ttfb = {};
    this.#total = {};
  }
}

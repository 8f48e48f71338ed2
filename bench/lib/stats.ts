/**
 * Summary statistics for the benchmarks: median and spread (p10–p90) of repeated samples,
 * nearest-rank percentiles, and ratios of paired samples taken side by side.
 */

export interface Summary {
  n: number;
  median: number;
  p10: number;
  p90: number;
  min: number;
  max: number;
}

/** Nearest-rank percentile of `values` (0 ≤ p ≤ 100); NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** Summary of the finite values (a failed repetition is recorded as NaN and left out). */
export function summarize(all: readonly number[]): Summary {
  const values = all.filter(Number.isFinite);
  return {
    n: values.length,
    median: percentile(values, 50),
    p10: percentile(values, 10),
    p90: percentile(values, 90),
    min: values.length ? Math.min(...values) : Number.NaN,
    max: values.length ? Math.max(...values) : Number.NaN,
  };
}

/**
 * Ratio of paired samples (`a[i] / b[i]`, taken in the same repetition), summarized: its
 * median is the figure reported; p10–p90 its spread.
 */
export function pairedRatio(a: readonly number[], b: readonly number[]): Summary {
  const n = Math.min(a.length, b.length);
  const ratios: number[] = [];
  for (let i = 0; i < n; i++) ratios.push(a[i]! / b[i]!);
  return summarize(ratios);
}

/** Rounds for display and JSON: 3 significant digits below 100, integers above. */
export function round(x: number): number {
  if (!Number.isFinite(x)) return x;
  if (Math.abs(x) >= 100) return Math.round(x);
  return Number(x.toPrecision(3));
}

export function roundSummary(s: Summary): Summary {
  return {
    n: s.n,
    median: round(s.median),
    p10: round(s.p10),
    p90: round(s.p90),
    min: round(s.min),
    max: round(s.max),
  };
}

/** Runs `fns` in turn, `reps` times after `warmup` untimed rounds, in rotating order. */
export async function interleaved<K extends string>(
  fns: Record<K, () => Promise<number>>,
  reps: number,
  warmup = 1,
): Promise<Record<K, number[]>> {
  const keys = Object.keys(fns) as K[];
  const out = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let r = 0; r < warmup + reps; r++) {
    // Rotate the order so neither side always runs first (caches, GC, turbo).
    const order = keys.map((_, i) => keys[(i + r) % keys.length]!);
    for (const k of order) {
      const v = await fns[k]();
      if (r >= warmup) out[k].push(v);
    }
  }
  return out;
}

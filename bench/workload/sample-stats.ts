/**
 * Summaries of repeated measurements: median, p95 (nearest rank), min, max. Benchmarks
 * report these and never fail on them.
 */

/** Summary of a sample, in the sample's own unit. All NaN for an empty sample. */
export interface SampleSummary {
  readonly n: number;
  readonly median: number;
  /** 95th percentile by nearest rank (the max for fewer than 20 values). */
  readonly p95: number;
  readonly min: number;
  readonly max: number;
}

/** Summarizes `values` (not modified). */
export function summarize(values: readonly number[]): SampleSummary {
  if (values.length === 0) return { n: 0, median: NaN, p95: NaN, min: NaN, max: NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const p95 = sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)]!;
  return { n: sorted.length, median, p95, min: sorted[0]!, max: sorted.at(-1)! };
}

/**
 * Benchmark helpers: timing, MB/s (10^6 bytes per second), and the result rows every
 * benchmark reports. Benchmarks print numbers and never fail on time.
 */

/** One measured number. */
export interface BenchRow {
  readonly group: string;
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly note?: string;
}

/** Best-of-`runs` throughput of `fn` over `bytes`, in MB/s. Runs at least once more to warm up when `warmup`. */
export async function throughput(bytes: number, fn: () => unknown, runs = 3, warmup = true): Promise<number> {
  if (warmup) await fn();
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    best = Math.min(best, performance.now() - t);
  }
  return bytes / best / 1e3;
}

/** Percentile (0..1) of sorted numbers. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** Prints rows as a markdown table grouped by `group`. */
export function formatTable(rows: readonly BenchRow[]): string {
  const lines = ['| group | what | value | unit | note |', '|---|---|---:|---|---|'];
  for (const r of rows) {
    const v = r.value >= 100 ? Math.round(r.value).toLocaleString('en-US') : r.value.toFixed(r.value >= 10 ? 1 : 2);
    lines.push(`| ${r.group} | ${r.name} | ${v} | ${r.unit} | ${r.note ?? ''} |`);
  }
  return lines.join('\n');
}

/** A progress line on stderr, so stdout stays a clean table. */
export function progress(text: string): void {
  process.stderr.write(`# ${text}\n`);
}

/** Chunker MB/s and chunk-size distribution for each frozen chunker. */
import { fileChunker, pageChunker, cutLengths, type Chunker } from '../src/chunker/index.js';
import { percentile, progress, throughput, type BenchRow } from './lib.js';

/** The frozen chunkers, the page one over 4 KiB pages. */
export function allChunkers(): Chunker[] {
  return [fileChunker('fastcdc-v1-16k'), fileChunker('fastcdc-v1-8k'), pageChunker('pages-v1-8k', 4096)];
}

export async function benchChunkers(random: Uint8Array, text: Uint8Array): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const chunker of allChunkers()) {
    progress(`chunker ${chunker.name}`);
    const mbs = await throughput(random.length, () => cutLengths(random, chunker), 2);
    rows.push({ group: 'chunker', name: `${chunker.name} random ${random.length >> 20} MiB`, value: mbs, unit: 'MB/s' });
    for (const [label, data] of [['random', random], ['text', text]] as const) {
      const sizes = cutLengths(data, chunker).sort((a, b) => a - b);
      const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
      const stats: [string, number][] = [
        ['min', sizes[0]!],
        ['p10', percentile(sizes, 0.1)],
        ['median', percentile(sizes, 0.5)],
        ['p90', percentile(sizes, 0.9)],
        ['max', sizes[sizes.length - 1]!],
        ['mean', mean],
      ];
      rows.push({
        group: 'chunk sizes',
        name: `${chunker.name} ${label}`,
        value: mean,
        unit: 'B mean',
        note: stats.map(([k, v]) => `${k} ${Math.round(v)}`).join(', ') + `; ${sizes.length} chunks`,
      });
    }
  }
  return rows;
}

/**
 * The issue-2 ingest rows alone, with CPU time, for quick A/B runs while tuning ingest:
 * unique and fully duplicate ingest of text and random data into a durable local store
 * (fastcdc-v1-16k, zstd 3), repeated `--runs N` times (default 3) in fresh stores, plus
 * parallel chunk+hash of the same random data. Prints one line per measurement with wall
 * MB/s, process CPU seconds (all threads) and the 1-minute load average.
 *
 *   npx tsx bench/ingest-ab.ts [--runs 3] [--mib 128] [--json FILE]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { initLocalStore, sharedCompressionPool } from '../src/cas/index.js';
import { fileChunker } from '../src/chunker/index.js';
import { chunkAndHashParallel, ingestBuffer, sharedHashPool } from '../src/ingest/index.js';
import { randomData, textData } from './data.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string): string => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1]! : fallback;
};
const runs = Number(arg('--runs', '3'));
const bytes = Number(arg('--mib', '128')) << 20;
const jsonFile = args.includes('--json') ? arg('--json', '') : undefined;

interface Sample {
  what: string;
  mbps: number;
  cpuSeconds: number;
  load: number;
}

/** Wall MB/s and process CPU seconds (user + system, every thread) of one call. */
async function measure(what: string, n: number, fn: () => Promise<unknown>): Promise<Sample> {
  const cpu = process.cpuUsage();
  const t = performance.now();
  await fn();
  const ms = performance.now() - t;
  const used = process.cpuUsage(cpu);
  return { what, mbps: n / 1e3 / ms, cpuSeconds: (used.user + used.system) / 1e6, load: loadavg()[0]! };
}

const chunker = fileChunker('fastcdc-v1-16k');
const text = textData(bytes, 2);
const random = randomData(bytes, 1);
await sharedCompressionPool().start();
await sharedHashPool().start();
await chunkAndHashParallel(random, chunker);

const samples: Sample[] = [];
for (let r = 0; r < runs; r++) {
  samples.push(await measure('chunk+hash parallel random', bytes, () => chunkAndHashParallel(random, chunker)));
  for (const [label, data] of [['text', text], ['random', random]] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'memsnap-ab-'));
    const store = await initLocalStore(dir, { durable: true });
    const ingest = async (): Promise<void> => {
      const writer = store.createWriter();
      await ingestBuffer(writer, data, chunker);
      await writer.close();
    };
    try {
      samples.push(await measure(`unique ${label}`, bytes, ingest));
      samples.push(await measure(`duplicate ${label}`, bytes, ingest));
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
for (const s of samples) {
  process.stdout.write(`${s.what.padEnd(28)} ${s.mbps.toFixed(0).padStart(6)} MB/s  cpu ${s.cpuSeconds.toFixed(2)} s  load ${s.load.toFixed(2)}\n`);
}
// Medians: single runs on a shared 2-core machine swing by 2x.
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
for (const what of [...new Set(samples.map((s) => s.what))]) {
  const mine = samples.filter((s) => s.what === what);
  process.stdout.write(`median ${what.padEnd(28)} ${median(mine.map((s) => s.mbps)).toFixed(0).padStart(6)} MB/s  cpu ${median(mine.map((s) => s.cpuSeconds)).toFixed(2)} s  (${mine.length} runs)\n`);
}
if (jsonFile) writeFileSync(jsonFile, `${JSON.stringify(samples, null, 2)}\n`);

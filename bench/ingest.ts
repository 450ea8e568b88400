/**
 * Chunk + hash (sequential vs parallel, with the crossover) and store ingest: unique text,
 * unique random, fully duplicate, and reads, into a durable local store under the OS temp
 * directory. "before" rows replay the old path (sequential chunking, `put` per chunk,
 * compression in the main thread) for comparison in the same run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChunkWriter, initLocalStore, sharedCompressionPool, type ChunkStore } from '../src/cas/index.js';
import { fileChunker, splitBuffer, type Chunker } from '../src/chunker/index.js';
import { chunkAndHash, chunkAndHashParallel, ingestBuffer, sharedHashPool } from '../src/ingest/index.js';
import { progress, throughput, type BenchRow } from './lib.js';

function shared(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(new SharedArrayBuffer(data.length));
  out.set(data);
  return out;
}

export async function benchChunkAndHash(random: Uint8Array): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const chunker = fileChunker('fastcdc-v1-16k');
  const mib = random.length >> 20;
  progress('chunk+hash sequential');
  rows.push({ group: 'chunk+hash', name: `sequential fastcdc-v1-16k ${mib} MiB`, value: await throughput(random.length, () => chunkAndHash(random, chunker), 2), unit: 'MB/s' });
  await sharedHashPool().start();
  progress('chunk+hash parallel');
  rows.push({
    group: 'chunk+hash',
    name: `parallel fastcdc-v1-16k ${mib} MiB`,
    value: await throughput(random.length, () => chunkAndHashParallel(random, chunker), 3),
    unit: 'MB/s',
    note: 'ordinary buffer (segments copied to shared memory)',
  });
  const sab = shared(random);
  rows.push({
    group: 'chunk+hash',
    name: `parallel fastcdc-v1-16k ${mib} MiB, shared input`,
    value: await throughput(sab.length, () => chunkAndHashParallel(sab, chunker), 3),
    unit: 'MB/s',
    note: 'SharedArrayBuffer input, as ingestFile reads it',
  });
  const pages = (await import('../src/chunker/index.js')).pageChunker('pages-v1-8k', 4096);
  rows.push({ group: 'chunk+hash', name: `sequential pages-v1-8k ${mib} MiB`, value: await throughput(random.length, () => chunkAndHash(random, pages), 1), unit: 'MB/s' });
  rows.push({ group: 'chunk+hash', name: `parallel pages-v1-8k ${mib} MiB`, value: await throughput(random.length, () => chunkAndHashParallel(random, pages), 2), unit: 'MB/s' });
  progress('chunk+hash crossover');
  for (const size of [256 << 10, 1 << 20, 2 << 20, 4 << 20, 8 << 20, 16 << 20]) {
    const data = random.subarray(0, size);
    const seq = await throughput(size, () => chunkAndHash(data, chunker), 5);
    const par = await throughput(size, () => chunkAndHashParallel(data, chunker, { minParallelBytes: 0, segmentBytes: Math.max(256 << 10, size >> 2) }), 5);
    rows.push({ group: 'crossover', name: `${size >> 10} KiB seq / parallel`, value: par / seq, unit: 'x', note: `sequential ${Math.round(seq)} MB/s, parallel ${Math.round(par)} MB/s (warm pool)` });
  }
  return rows;
}

/** The old path: sequential chunks, `put` hashes each, compression in the calling thread. */
async function ingestBefore(store: ChunkStore, data: Uint8Array, chunker: Chunker): Promise<ChunkWriter> {
  const writer = new ChunkWriter({
    backend: store.backend,
    index: store.index,
    packTargetBytes: store.config.packTargetBytes,
    compressionLevel: store.config.compression.level,
    compressionPool: null,
  });
  for (const chunk of splitBuffer(data, chunker)) await writer.put(chunk);
  await writer.flush();
  return writer;
}

async function ingestAfter(store: ChunkStore, data: Uint8Array, chunker: Chunker): Promise<{ ids: string[]; writer: ChunkWriter }> {
  const writer = store.createWriter();
  const { ids } = await ingestBuffer(writer, data, chunker);
  await writer.flush();
  return { ids, writer };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

export async function benchIngest(text: Uint8Array, random: Uint8Array, durable = true): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const chunker = fileChunker('fastcdc-v1-16k');
  await sharedCompressionPool().start();
  await sharedHashPool().start();
  const tag = durable ? '' : ' (durable=false)';
  for (const [label, data] of [['text', text], ['random', random]] as const) {
    const mb = data.length / 1e6;
    for (const which of ['before', 'after'] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'memsnap-bench-'));
      const store = await initLocalStore(dir, { durable });
      try {
        progress(`ingest ${label} ${which}${tag}`);
        const run = which === 'before' ? () => ingestBefore(store, data, chunker).then(() => undefined) : () => ingestAfter(store, data, chunker).then(() => undefined);
        const unique = await timed(run);
        const ratio = store.stats().storedBytes / data.length;
        rows.push({ group: `ingest ${which}${tag}`, name: `unique ${label} ${data.length >> 20} MiB`, value: mb / (unique.ms / 1e3), unit: 'MB/s', note: `stored/raw ${ratio.toFixed(3)}` });
        const dup = await timed(run);
        rows.push({ group: `ingest ${which}${tag}`, name: `duplicate ${label} ${data.length >> 20} MiB`, value: mb / (dup.ms / 1e3), unit: 'MB/s' });
        if (which === 'after' && durable) {
          const ids = chunkAndHash(data, chunker).ids;
          const read = await timed(async () => {
            for (const id of ids) await store.get(id as never);
          });
          rows.push({ group: 'read', name: `get every chunk, ${label} ${data.length >> 20} MiB`, value: mb / (read.ms / 1e3), unit: 'MB/s', note: 'verified (decompress + BLAKE3), page cache warm' });
        }
      } finally {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  return rows;
}

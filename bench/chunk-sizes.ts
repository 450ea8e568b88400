/**
 * Stored bytes after zstd for average 8 KiB vs 16 KiB chunking on an agent-memory-like
 * workload edited across turns: markdown notes (1-20 KB) edited in place, append-style
 * logs, and a JSON-lines memory file with appends and in-place updates. Justifies (or not)
 * the default `fastcdc-v1-16k`. Run alone with `npx tsx bench/chunk-sizes.ts`.
 */
import { pathToFileURL } from 'node:url';
import { ChunkIndex, ChunkStore, MemoryBackend } from '../src/cas/index.js';
import { fileChunker } from '../src/chunker/index.js';
import { ingestBuffer } from '../src/ingest/index.js';
import { jsonRecord, logLine, markdownNote, Rng, sentence } from './data.js';
import { formatTable, progress, type BenchRow } from './lib.js';

/** Bytes per chunk reference outside the payload: entry header + table record (48 + 48) + id in a content list (32). */
const PER_CHUNK_OVERHEAD = 128;

interface Memdir {
  files: Map<string, string>;
}

function initialMemdir(rng: Rng, notes: number): Memdir {
  const files = new Map<string, string>();
  for (let i = 0; i < notes; i++) files.set(`notes/n${i}.md`, markdownNote(rng, 1000 + rng.below(19_000)));
  for (let i = 0; i < 3; i++) files.set(`logs/agent${i}.log`, Array.from({ length: 2000 }, (_, t) => logLine(rng, t)).join(''));
  files.set('memory.jsonl', Array.from({ length: 3000 }, (_, id) => jsonRecord(rng, id)).join(''));
  return { files };
}

/** One agent turn: ~20 notes edited, logs appended, JSON records appended and updated. */
function turn(rng: Rng, dir: Memdir, t: number): void {
  const notes = [...dir.files.keys()].filter((k) => k.startsWith('notes/'));
  for (let e = 0; e < 20; e++) {
    const key = notes[rng.below(notes.length)]!;
    const text = dir.files.get(key)!;
    const at = rng.below(text.length);
    const r = rng.below(3);
    const edit = `${sentence(rng)} ${sentence(rng)}\n`;
    dir.files.set(key, r === 0 ? text + edit : r === 1 ? text.slice(0, at) + edit + text.slice(at) : text.slice(0, at) + edit + text.slice(at + edit.length));
  }
  for (let i = 0; i < 3; i++) {
    const key = `logs/agent${i}.log`;
    dir.files.set(key, dir.files.get(key)! + Array.from({ length: 20 + rng.below(40) }, (_, k) => logLine(rng, t * 100 + k)).join(''));
  }
  const lines = dir.files.get('memory.jsonl')!.split('\n');
  for (let u = 0; u < 10; u++) lines[rng.below(lines.length - 1)] = jsonRecord(rng, rng.below(100000)).trimEnd();
  for (let a = 0; a < 15; a++) lines.splice(lines.length - 1, 0, jsonRecord(rng, 100000 + t * 100 + a).trimEnd());
  dir.files.set('memory.jsonl', lines.join('\n'));
}

export async function benchChunkSizes(quick = false): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const turns = quick ? 5 : 12;
  for (const name of ['fastcdc-v1-8k', 'fastcdc-v1-16k']) {
    progress(`chunk sizes ${name}`);
    const chunker = fileChunker(name);
    const rng = new Rng(42);
    const dir = initialMemdir(rng, 300);
    const store = await ChunkStore.create(new MemoryBackend(), new ChunkIndex(':memory:'));
    let logical = 0;
    let refs = 0;
    let afterFirst = { stored: 0, chunks: 0 };
    for (let t = 0; t <= turns; t++) {
      if (t > 0) turn(rng, dir, t);
      const writer = store.createWriter();
      for (const content of dir.files.values()) {
        const data = Buffer.from(content, 'latin1');
        logical += data.length;
        refs += (await ingestBuffer(writer, data, chunker)).ids.length;
      }
      await writer.flush();
      if (t === 0) afterFirst = { stored: store.stats().storedBytes, chunks: store.stats().chunks };
    }
    const s = store.stats();
    const initialMb = afterFirst.stored / 1e6;
    const growth = (s.storedBytes - afterFirst.stored) / turns;
    const growthWithOverhead = (s.storedBytes - afterFirst.stored + (s.chunks - afterFirst.chunks) * PER_CHUNK_OVERHEAD) / turns;
    rows.push({ group: 'chunk-size choice', name: `${name} first snapshot`, value: initialMb, unit: 'MB stored', note: `${afterFirst.chunks} chunks; memdir ${(logical / (turns + 1) / 1e6).toFixed(1)} MB` });
    rows.push({
      group: 'chunk-size choice',
      name: `${name} growth per turn`,
      value: growth / 1e3,
      unit: 'KB/turn',
      note: `zstd payloads; ${(growthWithOverhead / 1e3).toFixed(1)} KB with per-chunk metadata; ${((s.chunks - afterFirst.chunks) / turns).toFixed(0)} new chunks/turn; ${(refs / (turns + 1)).toFixed(0)} chunk refs per snapshot`,
    });
    await store.close();
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(`${formatTable(await benchChunkSizes(process.argv.includes('--quick')))}\n`);
}

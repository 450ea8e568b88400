/**
 * Rebuilds a store's chunk index from its packs alone. Packs with a sound table are
 * trusted by their table hash; damaged or truncated packs are scanned and only entries
 * whose payload verifies are indexed. Runs in one transaction: readers see the old index
 * or the new one, never a mix.
 */
import type { PackEntry } from './pack-format.js';
import { packHashFromKey } from './pack-format.js';
import { checkEntry, readPack } from './pack-reader.js';
import type { ChunkStore } from './chunk-store.js';
import type { PackProblem } from './verify-store.js';
import type { ProgressCallback } from './progress.js';

/** The outcome of {@link rebuildIndex}. */
export interface RebuildReport {
  readonly packs: number;
  readonly chunks: number;
  /** Entries dropped because their payload failed verification in a damaged pack. */
  readonly droppedChunks: number;
  readonly packProblems: PackProblem[];
}

/** Options of {@link rebuildIndex}. */
export interface RebuildOptions {
  /** Also verify payloads of packs whose table is sound (slower). Default false. */
  readonly verifyPayloads?: boolean;
  readonly onProgress?: ProgressCallback;
}

/** Replaces the index's chunk and pack rows with what the packs hold. */
export async function rebuildIndex(store: ChunkStore, options: RebuildOptions = {}): Promise<RebuildReport> {
  const keys: string[] = [];
  for await (const obj of store.backend.list('packs/')) {
    const hash = packHashFromKey(obj.key);
    if (hash) keys.push(hash);
  }
  keys.sort();
  const packs: { hash: string; size: number; entries: PackEntry[] }[] = [];
  const packProblems: PackProblem[] = [];
  let droppedChunks = 0;
  for (const [i, hash] of keys.entries()) {
    const { readout, bytes } = await readPack(store.backend, hash);
    let entries = readout.entries;
    if (readout.structureError || !readout.nameMatches || options.verifyPayloads) {
      if (readout.structureError) packProblems.push({ pack: hash, reason: readout.structureError.message });
      const good = entries.filter((e) => checkEntry(bytes, e) === undefined);
      droppedChunks += entries.length - good.length;
      entries = good;
    }
    packs.push({ hash, size: readout.size, entries });
    options.onProgress?.({ phase: 'rebuild', done: i + 1, total: keys.length, unit: 'packs' });
  }
  store.index.database.transaction(() => {
    store.index.clear();
    for (const p of packs) store.index.addPackRows(p.hash, p.size, p.entries);
  }).immediate();
  return { packs: packs.length, chunks: packs.reduce((n, p) => n + p.entries.length, 0), droppedChunks, packProblems };
}

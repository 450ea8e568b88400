/**
 * Full verification of a chunk store: every pack read whole, every chunk decoded and
 * hashed, and the index compared with what the packs hold. Reports exactly which chunks
 * are damaged; changes nothing.
 */
import type { ContentId } from '../hash/index.js';
import { packHashFromKey } from './pack-format.js';
import { checkEntry, readPack } from './pack-reader.js';
import type { ChunkStore } from './chunk-store.js';
import type { ProgressCallback } from './progress.js';

/** One damaged or unreachable chunk. */
export interface DamagedChunk {
  readonly id: ContentId;
  readonly pack: string;
  /** Offset of the entry in its pack. */
  readonly offset: number;
  readonly reason: string;
}

/** A pack-level problem (missing, truncated, misnamed). */
export interface PackProblem {
  readonly pack: string;
  readonly reason: string;
}

/** The outcome of {@link verifyStore}. */
export interface VerifyReport {
  readonly ok: boolean;
  readonly packsChecked: number;
  readonly chunksChecked: number;
  /** Bytes of packs read. */
  readonly bytesChecked: number;
  /** Chunks the index promises that cannot be read back intact. */
  readonly damaged: DamagedChunk[];
  readonly packProblems: PackProblem[];
  /** Packs present in the backend that the index does not know (harmless; GC or rebuild picks them up). */
  readonly unindexedPacks: string[];
}

/** Options of {@link verifyStore}. */
export interface VerifyOptions {
  /** Called after each pack. */
  readonly onProgress?: ProgressCallback;
}

/** Reads every pack and checks every chunk; see {@link VerifyReport}. Never throws for damage. */
export async function verifyStore(store: ChunkStore, options: VerifyOptions = {}): Promise<VerifyReport> {
  const damaged: DamagedChunk[] = [];
  const packProblems: PackProblem[] = [];
  const indexed = new Map(store.index.packs().map((p) => [p.name, p]));
  const present = new Set<string>();
  for await (const obj of store.backend.list('packs/')) {
    const hash = packHashFromKey(obj.key);
    if (hash) present.add(hash);
  }
  const unindexedPacks = [...present].filter((p) => !indexed.has(p));
  let packsChecked = 0;
  let chunksChecked = 0;
  let bytesChecked = 0;
  const total = indexed.size;
  for (const pack of indexed.keys()) {
    const promised = store.index.chunksInPack(pack);
    if (!present.has(pack)) {
      packProblems.push({ pack, reason: 'pack is missing' });
      for (const c of promised) damaged.push({ id: c.id, pack, offset: c.offset, reason: 'its pack is missing' });
      continue;
    }
    const { readout, bytes } = await readPack(store.backend, pack);
    bytesChecked += bytes.length;
    if (readout.structureError) packProblems.push({ pack, reason: readout.structureError.message });
    else if (!readout.nameMatches) packProblems.push({ pack, reason: 'pack bytes do not match its name' });
    const found = new Map(readout.entries.map((e) => [e.id, e]));
    for (const c of promised) {
      chunksChecked++;
      const entry = found.get(c.id);
      const reason =
        entry === undefined
          ? 'not found in its pack'
          : entry.offset !== c.offset || entry.storedLength !== c.storedLength
            ? 'index and pack disagree on its location'
            : checkEntry(bytes, entry);
      if (reason) damaged.push({ id: c.id, pack, offset: c.offset, reason });
    }
    packsChecked++;
    options.onProgress?.({ phase: 'verify', done: packsChecked, total, unit: 'packs' });
  }
  return { ok: damaged.length === 0 && packProblems.length === 0, packsChecked, chunksChecked, bytesChecked, damaged, packProblems, unindexedPacks };
}

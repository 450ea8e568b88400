/** Store-wide numbers: agents, snapshots, logical and stored bytes, dedup ratio, chunks. */
import type { Repository } from '../snapshot/index.js';

/** The outcome of {@link summarizeStore}. */
export interface StoreSummary {
  readonly agents: number;
  readonly snapshots: number;
  /** Sum over snapshots of the file and database bytes they describe. */
  readonly logicalBytes: number;
  /** Bytes of all packs on the backend. */
  readonly storedBytes: number;
  /** logicalBytes / storedBytes (0 for an empty store). */
  readonly dedupRatio: number;
  readonly chunks: number;
  readonly packs: number;
  /** Chunk bytes before compression. */
  readonly uniqueBytes: number;
}

/** Summarizes the store from its index and catalog (no pack reads). */
export function summarizeStore(repo: Repository): StoreSummary {
  const chunks = repo.chunks.stats();
  const snapshots = repo.catalog.list();
  const logicalBytes = snapshots.reduce((sum, s) => sum + s.bytes, 0);
  return {
    agents: repo.catalog.agents().length,
    snapshots: snapshots.length,
    logicalBytes,
    storedBytes: chunks.packBytes,
    dedupRatio: chunks.packBytes === 0 ? 0 : logicalBytes / chunks.packBytes,
    chunks: chunks.chunks,
    packs: chunks.packs,
    uniqueBytes: chunks.rawBytes,
  };
}

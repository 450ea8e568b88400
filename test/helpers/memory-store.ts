/**
 * Throwaway chunk stores for tests: a MemoryBackend (optionally wrapped to count calls and
 * inject faults) and an in-memory SQLite index.
 */
import { MemoryBackend } from '../../src/cas/backend/memory-backend.js';
import { ChunkIndex } from '../../src/cas/chunk-index.js';
import { ChunkStore } from '../../src/cas/chunk-store.js';
import type { StoreConfigOptions } from '../../src/cas/store-config.js';
import { InstrumentedBackend } from './instrumented-backend.js';

/** A new store in memory, with its instrumented backend (counts start after the config put). */
export async function createMemoryStore(options: StoreConfigOptions = {}): Promise<{ store: ChunkStore; backend: InstrumentedBackend }> {
  const backend = new InstrumentedBackend(new MemoryBackend());
  const store = await ChunkStore.create(backend, new ChunkIndex(':memory:'), options);
  backend.resetCounts();
  return { store, backend };
}

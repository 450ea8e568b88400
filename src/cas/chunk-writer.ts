/**
 * Batched, deduplicating chunk writes into new packs.
 *
 * `put` hashes a chunk, skips it when the index (or this writer) already has it, and
 * otherwise copies it into the open batch. A full batch (1 MiB) is compressed on the
 * {@link CompressionPool}'s worker threads once this writer has taken enough new bytes to
 * pay for them, else in the main thread. Compressed batches are appended to the pack being
 * filled strictly in `put` order, and a pack is sealed when its payloads reach the store's
 * `packTargetBytes`; `flush` seals the rest. So packs hold the same chunks in the same order
 * whichever thread compressed them. Durability order, always: pack bytes durable in the
 * backend → index rows committed. So an index row never points at bytes that are not
 * there, whatever process dies when. Chunks become readable through the store once their
 * pack is sealed and indexed (after `flush` at the latest).
 *
 * One writer per task; writers in different processes (or the same one) never share packs.
 */
import { ClosedError, InvalidArgumentError } from '../errors/index.js';
import type Database from 'better-sqlite3';
import { contentIdToBytes, hashContent, type ContentId } from '../hash/index.js';
import type { ObjectBackend } from './backend/object-backend.js';
import type { ChunkIndex } from './chunk-index.js';
import { CompressionPool, sharedCompressionPool } from './compression-pool.js';
import type { EncodedPayload } from './compression.js';
import { PackBufferPool } from './pack-buffers.js';
import { buildPack, packSize, type PackItem } from './pack-builder.js';
import { packKey, type PackEntry } from './pack-format.js';
import type { PresenceCache } from './presence-cache.js';
import { SharedBufferPool } from './shared-buffer-pool.js';
import { acquireLease, confirmLease, pinIds, releaseLease, type WriterLease } from './writer-leases.js';

/** Kind byte of plain data chunks. Upper layers define other kinds (1..255). */
export const KIND_DATA = 0;

/** Largest chunk a writer accepts, in bytes (16 MiB). */
export const MAX_CHUNK_BYTES = 16 << 20;

/** What `put` did with a chunk. */
export interface PutResult {
  readonly id: ContentId;
  /** False when the chunk was already stored (deduplicated). */
  readonly stored: boolean;
}

/** Running totals of one writer. */
export interface WriterStats {
  chunksStored: number;
  chunksDeduplicated: number;
  /** Raw bytes of chunks stored / deduplicated. */
  bytesStored: number;
  bytesDeduplicated: number;
  /** Bytes after compression of stored chunks (complete once `flush` resolves). */
  bytesCompressed: number;
  packsWritten: number;
}

/** What a writer needs from its store: the narrowest slice. */
export interface ChunkWriterTarget {
  readonly backend: Pick<ObjectBackend, 'put'>;
  readonly index: Pick<ChunkIndex, 'has' | 'addPack' | 'presentAmong'> & Partial<Pick<ChunkIndex, 'addPackRows' | 'hasPack'>>;
  readonly packTargetBytes: number;
  readonly compressionLevel: number;
  /**
   * Where batches are compressed. Default: the process-wide {@link sharedCompressionPool};
   * `null` compresses everything in the calling thread.
   */
  readonly compressionPool?: CompressionPool | null;
  /**
   * The index database in which the writer holds a lease for its lifetime, so garbage
   * collection in any process fences around it (writer-leases.ts). Absent: no lease and
   * `confirmReferences` does nothing (only for stores no collector ever runs on).
   */
  readonly leaseDatabase?: Database.Database;
  /** Ids known indexed across this store's writers (used only with a lease). */
  readonly presence?: PresenceCache;
}

/** Raw bytes per compression batch (a batch is one worker job). */
export const WRITER_BATCH_BYTES = 1 << 20;

/**
 * New bytes a writer takes before it starts the worker pool. Below this, starting workers
 * (~40 ms) costs more than compressing in the main thread (measured in bench/ingest.ts).
 */
export const WRITER_POOL_START_BYTES = 4 << 20;

/** Raw bytes of batches being compressed before `put` waits (bounds memory). */
const MAX_INFLIGHT_BYTES = 8 << 20;

/** Pack buffers of every writer in this process: two packs may be sealing at once (see `put`). */
const packBuffers = new PackBufferPool(2);

/** Batch buffers of every writer in this process: shared memory, reused (shared-buffer-pool.ts). */
const batchBuffers = new SharedBufferPool(WRITER_BATCH_BYTES, MAX_INFLIGHT_BYTES / WRITER_BATCH_BYTES + 2);

interface BatchEntry {
  readonly id: ContentId;
  readonly kind: number;
  readonly rawLength: number;
}


/** Writes chunks into new packs. Create through `ChunkStore.createWriter`. */
export class ChunkWriter {
  readonly stats: WriterStats = {
    chunksStored: 0,
    chunksDeduplicated: 0,
    bytesStored: 0,
    bytesCompressed: 0,
    bytesDeduplicated: 0,
    packsWritten: 0,
  };
  private readonly pool: CompressionPool | null;
  /** The open batch: raw chunks end to end (taken from `batchBuffers` at the first new chunk), and what they are. */
  private batch: Uint8Array | undefined;
  private batchUsed = 0;
  private batchEntries: BatchEntry[] = [];
  /** Batches handed to compression, in order: each resolves after its items joined a pack. */
  private filling: Promise<void> = Promise.resolve();
  private inflightBytes = 0;
  private readonly inflightDone: Promise<void>[] = [];
  /** The pack being filled with compressed payloads. */
  private items: PackItem[] = [];
  private itemBytes = 0;
  /** Ids accepted but not yet indexed (in a batch, in `items` or in a pack being sealed). */
  private readonly pending = new Set<ContentId>();
  /** Ids found in the index by `prefetchPresence` (a collection fences around this writer: see `confirmReferences`). */
  private readonly known = new Set<ContentId>();
  /** Ids the last `prefetchPresence` found absent: `has` need not ask the index again. */
  private absent = new Set<ContentId>();
  /** Every id put (stored or deduplicated), 32 bytes each, for `confirmReferences`. */
  private relied = new Uint8Array(32 * 1024);
  private reliedBytes = 0;
  private readonly lease: WriterLease | undefined;
  private readonly presence: PresenceCache | undefined;
  private sealing: Promise<void> = Promise.resolve();
  /** Set by `flushDeferred`: packs sealed from then on leave their index rows to `indexDeferred`. */
  private deferIndex = false;
  /** Durable packs whose index rows wait for the caller's commit transaction. */
  private readonly deferred: { name: string; size: number; entries: readonly PackEntry[]; ids: ContentId[] }[] = [];
  private sealsInFlight = 0;
  private failure: unknown;
  private closed = false;

  constructor(private readonly target: ChunkWriterTarget) {
    if (!Number.isInteger(target.compressionLevel) || target.compressionLevel < 1 || target.compressionLevel > 19) {
      throw new InvalidArgumentError(`zstd level must be 1..19, got ${target.compressionLevel}`);
    }
    this.pool = target.compressionPool === undefined ? sharedCompressionPool() : target.compressionPool;
    this.lease = target.leaseDatabase && acquireLease(target.leaseDatabase);
    this.presence = this.lease && target.presence;
    this.presence?.begin(this.lease!.epoch);
  }

  /** Whether `id` is stored or accepted by this writer. */
  has(id: ContentId): boolean {
    if (this.pending.has(id) || this.known.has(id) || this.presence?.has(id) === true) return true;
    return !this.absent.has(id) && this.target.index.has(id);
  }

  /**
   * Looks up many ids in the index with a few queries instead of one per chunk, so the
   * `put`s that follow skip their lookups. Call before putting a large batch of chunks
   * whose ids are known (a database image: mostly unchanged chunks; new content: mostly
   * absent chunks, which `put` then stores without a lookup each). Only the ids of the
   * latest call are remembered as absent; a chunk indexed meanwhile by another process is
   * at worst stored twice (harmless: the index keeps its first location).
   */
  prefetchPresence(ids: readonly ContentId[]): void {
    const unknown = ids.filter((id) => !this.pending.has(id) && !this.known.has(id) && this.presence?.has(id) !== true);
    const found = this.target.index.presentAmong(unknown);
    for (const id of found) this.known.add(id);
    this.presence?.add(found);
    const foundSet = new Set(found);
    this.absent = new Set(unknown.filter((id) => !foundSet.has(id)));
  }

  /**
   * Pins ids the commit will reference without putting them (say, the base an incremental
   * import builds on): until this writer ends, a collection keeps them and everything they
   * reach (writer-leases.ts). Pin before checking that they are present.
   */
  pin(ids: readonly ContentId[]): void {
    this.assertUsable();
    if (this.lease && this.target.leaseDatabase) pinIds(this.target.leaseDatabase, this.lease, ids);
  }

  /**
   * Stores `data` (copied; the caller may reuse its buffer) unless already present.
   * @param kind opaque kind byte recorded with the chunk, default {@link KIND_DATA}.
   * @throws InvalidArgumentError for chunks over 16 MiB or a bad kind; the error of an
   *   earlier failed seal; ClosedError after `flush` with `close`.
   */
  async put(data: Uint8Array, kind: number = KIND_DATA): Promise<PutResult> {
    return this.putWithId(hashContent(data), data, kind);
  }

  /** Like `put` with an id the caller already computed as BLAKE3(data). Internal fast path. */
  async putWithId(id: ContentId, data: Uint8Array, kind: number = KIND_DATA): Promise<PutResult> {
    this.assertUsable();
    if (data.length > MAX_CHUNK_BYTES) throw new InvalidArgumentError(`chunk of ${data.length} bytes exceeds ${MAX_CHUNK_BYTES}`);
    if (!Number.isInteger(kind) || kind < 0 || kind > 255) throw new InvalidArgumentError(`chunk kind must be 0..255, got ${kind}`);
    if (this.lease) this.rely(id);
    if (this.has(id)) {
      this.stats.chunksDeduplicated++;
      this.stats.bytesDeduplicated += data.length;
      return { id, stored: false };
    }
    let dispatched = false;
    if (this.batch && this.batchUsed + data.length > this.batch.length) {
      this.dispatchBatch();
      dispatched = true;
    }
    this.batch ??= data.length > WRITER_BATCH_BYTES ? new Uint8Array(new SharedArrayBuffer(data.length)) : batchBuffers.take();
    this.batch.set(data, this.batchUsed);
    this.batchUsed += data.length;
    this.batchEntries.push({ id, kind, rawLength: data.length });
    this.pending.add(id);
    this.stats.chunksStored++;
    this.stats.bytesStored += data.length;
    if (this.batchUsed >= WRITER_BATCH_BYTES) {
      this.dispatchBatch();
      dispatched = true;
    }
    if (dispatched) {
      // Let the event loop run once per batch: worker replies (and a pool's start-up) arrive
      // as messages, which a caller putting in a tight loop would otherwise starve.
      await new Promise<void>((resolve) => setImmediate(resolve));
      // Bound memory: a few batches compressing, at most one pack sealing while the next fills.
      while (this.inflightBytes > MAX_INFLIGHT_BYTES && this.inflightDone.length > 0) await this.inflightDone[0];
      if (this.sealsInFlight > 1) await this.sealing;
      this.assertUsable();
    }
    return { id, stored: true };
  }

  /** Seals the open pack and waits until every accepted chunk is durable and indexed. */
  async flush(): Promise<void> {
    this.assertUsable();
    this.dispatchBatch();
    await this.filling;
    if (this.items.length > 0) this.startSeal();
    await this.sealing;
    if (this.failure !== undefined) throw this.failure;
  }

  /**
   * Like `flush`, but the index rows of the packs it seals wait for {@link indexDeferred},
   * which the caller runs inside the transaction that commits what references them: one
   * index commit (and fsync) instead of two. The packs are durable when this resolves.
   * Whatever `indexDeferred` did not get committed is indexed by `release` (packs are never
   * left unindexed by a failed commit).
   */
  async flushDeferred(): Promise<void> {
    this.assertUsable();
    if (!this.target.index.addPackRows || !this.target.index.hasPack) return this.flush();
    this.deferIndex = true;
    await this.flush();
  }

  /**
   * Inserts the index rows of packs sealed after `flushDeferred`. Synchronous, without a
   * transaction of its own: call it inside the caller's commit transaction, before
   * `confirmReferences`.
   */
  indexDeferred(): void {
    this.assertUsable();
    for (const p of this.deferred) this.target.index.addPackRows!(p.name, p.size, p.entries);
  }

  /**
   * Confirms, inside the SQLite transaction that makes this writer's chunks reachable (a
   * snapshot or ref commit), that every chunk it stored or found present is still indexed.
   * Garbage collection beside running writers relies on this call (docs/ARCHITECTURE.md,
   * "Garbage collection beside writers"). Synchronous: call it from the transaction body.
   * Returns how many condemned chunks it rescued.
   * @throws ConflictError when a chunk this writer relied on is gone (the commit must fail).
   */
  confirmReferences(): number {
    this.assertUsable();
    if (!this.lease || !this.target.leaseDatabase) return 0;
    return confirmLease(this.target.leaseDatabase, this.lease, this.relied.subarray(0, this.reliedBytes));
  }

  /** Flushes, then refuses further puts and releases the writer's registration. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    this.release();
  }

  /**
   * Ends the writer without flushing (after a failure): nothing more is written and its
   * registration is dropped. Idempotent, safe after `close`.
   */
  release(): void {
    this.closed = true;
    this.settleDeferred();
    if (this.lease && this.target.leaseDatabase) releaseLease(this.target.leaseDatabase, this.lease);
  }

  /**
   * After the caller's commit (or its failure): packs whose deferred rows did not commit are
   * indexed on their own, so their chunks are never stranded outside the index; only then
   * are their ids known indexed.
   */
  private settleDeferred(): void {
    const index = this.target.index;
    for (const p of this.deferred.splice(0)) {
      try {
        if (!index.hasPack!(p.name)) index.addPack(p.name, p.size, p.entries);
      } catch {
        continue; // the store failed too: the pack stays unindexed (an index rebuild adopts it)
      }
      for (const id of p.ids) this.pending.delete(id);
      this.presence?.add(p.ids);
    }
  }

  /** Remembers `id` as relied on (binary, so a million ids cost 32 MB). */
  private rely(id: ContentId): void {
    if (this.reliedBytes + 32 > this.relied.length) {
      const grown = new Uint8Array(this.relied.length * 2);
      grown.set(this.relied);
      this.relied = grown;
    }
    this.relied.set(contentIdToBytes(id), this.reliedBytes);
    this.reliedBytes += 32;
  }

  /** Sends the open batch to compression; its payloads join packs in order, after earlier batches. */
  private dispatchBatch(): void {
    if (this.batchEntries.length === 0 || !this.batch) return;
    const entries = this.batchEntries;
    const raw = this.batch.subarray(0, this.batchUsed);
    this.batchEntries = [];
    this.batch = undefined;
    this.batchUsed = 0;
    const encoded = this.compressBatch(raw, entries);
    const bytes = raw.length;
    this.inflightBytes += bytes;
    const done = (this.filling = this.filling.then(async () => {
      try {
        const payloads = await encoded;
        // Payloads never view the batch (CompressionPool.compress), so it can be reused now.
        batchBuffers.give(raw);
        if (this.failure === undefined) this.fill(entries, payloads);
      } catch (err) {
        this.failure ??= err;
      } finally {
        this.inflightBytes -= bytes;
        this.inflightDone.shift();
      }
    }));
    this.inflightDone.push(done);
  }

  /** Compresses on workers when they run; starts them once this writer has seen enough new bytes. */
  private compressBatch(raw: Uint8Array, entries: readonly BatchEntry[]): Promise<EncodedPayload[]> {
    const lengths = entries.map((e) => e.rawLength);
    const pool = this.pool ?? fallbackPool();
    if (this.pool && !this.pool.ready && this.stats.bytesStored >= WRITER_POOL_START_BYTES) void this.pool.start();
    return pool.compress(raw, lengths, this.target.compressionLevel);
  }

  /** Appends one batch's payloads to the open pack, sealing whenever it reaches its target. */
  private fill(entries: readonly BatchEntry[], payloads: readonly EncodedPayload[]): void {
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      const p = payloads[i]!;
      this.items.push({ id: e.id, kind: e.kind, rawLength: e.rawLength, codec: p.codec, bytes: p.bytes });
      this.itemBytes += p.bytes.length;
      this.stats.bytesCompressed += p.bytes.length;
      if (this.itemBytes >= this.target.packTargetBytes) this.startSeal();
    }
  }

  private startSeal(): void {
    const items = this.items;
    this.items = [];
    this.itemBytes = 0;
    this.sealsInFlight++;
    this.sealing = this.sealing.then(async () => {
      try {
        if (this.failure === undefined) await this.seal(items);
      } catch (err) {
        this.failure = err;
      } finally {
        this.sealsInFlight--;
      }
    });
  }

  private async seal(items: PackItem[]): Promise<void> {
    const buffer = packBuffers.take(packSize(items));
    try {
      const pack = buildPack(items, buffer);
      await this.target.backend.put(packKey(pack.hash), pack.bytes);
      if (this.deferIndex) this.deferred.push({ name: pack.hash, size: pack.bytes.length, entries: pack.entries, ids: items.map((item) => item.id) });
      else this.target.index.addPack(pack.hash, pack.bytes.length, pack.entries);
    } finally {
      packBuffers.give(buffer);
    }
    this.stats.packsWritten++;
    if (this.deferIndex) return; // pending until its rows are committed (settleDeferred)
    for (const item of items) this.pending.delete(item.id);
    this.presence?.add(items.map((item) => item.id));
  }

  private assertUsable(): void {
    if (this.closed) throw new ClosedError('chunk writer');
    if (this.failure !== undefined) throw this.failure;
  }
}

let mainThreadPool: CompressionPool | undefined;

/** A pool that is never started: compresses in the calling thread. */
function fallbackPool(): CompressionPool {
  mainThreadPool ??= new CompressionPool({ workers: 1 });
  return mainThreadPool;
}

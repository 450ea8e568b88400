/**
 * Batched, deduplicating chunk writes into new packs.
 *
 * `put` hashes a chunk, skips it when the index (or this writer) already has it, and
 * otherwise compresses it into the pack being filled. A pack is sealed when its payloads
 * reach the store's `packTargetBytes`; `flush` seals the rest. Durability order, always:
 * pack bytes durable in the backend → index rows committed. So an index row never points
 * at bytes that are not there, whatever process dies when. Chunks become readable through
 * the store once their pack is sealed and indexed (after `flush` at the latest).
 *
 * One writer per task; writers in different processes (or the same one) never share packs.
 */
import { ClosedError, InvalidArgumentError } from '../errors/index.js';
import { hashContent, type ContentId } from '../hash/index.js';
import type { ObjectBackend } from './backend/object-backend.js';
import type { ChunkIndex } from './chunk-index.js';
import { PayloadEncoder } from './compression.js';
import { buildPack, type PackItem } from './pack-builder.js';
import { packKey } from './pack-format.js';

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
  /** Bytes after compression of stored chunks. */
  bytesCompressed: number;
  packsWritten: number;
}

/** What a writer needs from its store: the narrowest slice. */
export interface ChunkWriterTarget {
  readonly backend: Pick<ObjectBackend, 'put'>;
  readonly index: Pick<ChunkIndex, 'has' | 'addPack'>;
  readonly packTargetBytes: number;
  readonly compressionLevel: number;
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
  private readonly encoder: PayloadEncoder;
  private items: PackItem[] = [];
  private itemBytes = 0;
  /** Ids accepted but not yet indexed (in `items` or in a pack being sealed). */
  private readonly pending = new Set<ContentId>();
  private sealing: Promise<void> = Promise.resolve();
  private sealsInFlight = 0;
  private failure: unknown;
  private closed = false;

  constructor(private readonly target: ChunkWriterTarget) {
    this.encoder = new PayloadEncoder(target.compressionLevel);
  }

  /** Whether `id` is stored or accepted by this writer. */
  has(id: ContentId): boolean {
    return this.pending.has(id) || this.target.index.has(id);
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
    if (this.has(id)) {
      this.stats.chunksDeduplicated++;
      this.stats.bytesDeduplicated += data.length;
      return { id, stored: false };
    }
    const encoded = this.encoder.encode(data);
    const bytes = encoded.bytes === data ? data.slice() : encoded.bytes;
    this.items.push({ id, kind, rawLength: data.length, codec: encoded.codec, bytes });
    this.pending.add(id);
    this.itemBytes += bytes.length;
    this.stats.chunksStored++;
    this.stats.bytesStored += data.length;
    this.stats.bytesCompressed += bytes.length;
    if (this.itemBytes >= this.target.packTargetBytes) {
      this.startSeal();
      // Bound memory: at most one pack sealing while the next one fills.
      if (this.sealsInFlight > 1) await this.sealing;
    }
    return { id, stored: true };
  }

  /** Seals the open pack and waits until every accepted chunk is durable and indexed. */
  async flush(): Promise<void> {
    this.assertUsable();
    if (this.items.length > 0) this.startSeal();
    await this.sealing;
    if (this.failure !== undefined) throw this.failure;
  }

  /** Flushes, then refuses further puts. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
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
    const pack = buildPack(items);
    await this.target.backend.put(packKey(pack.hash), pack.bytes);
    this.target.index.addPack(pack.hash, pack.bytes.length, pack.entries);
    for (const item of items) this.pending.delete(item.id);
    this.stats.packsWritten++;
  }

  private assertUsable(): void {
    if (this.closed) throw new ClosedError('chunk writer');
    if (this.failure !== undefined) throw this.failure;
  }
}

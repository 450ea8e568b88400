/**
 * The content-addressed chunk store: packs in an {@link ObjectBackend}, located through a
 * {@link ChunkIndex}. Every read is verified against its id; nothing here knows what a
 * chunk means (snapshots live in a layer above).
 */
import { CorruptChunkError, NotAStoreError, NotFoundError, StoreExistsError } from '../errors/index.js';
import { hashContent, type ContentId } from '../hash/index.js';
import type { ObjectBackend } from './backend/object-backend.js';
import type { ChunkIndex, ChunkLocation } from './chunk-index.js';
import { ChunkWriter } from './chunk-writer.js';
import { PresenceCache } from './presence-cache.js';
import { decodePayload } from './compression.js';
import { packKey, payloadOffset } from './pack-format.js';
import { readChunkStream, type ChunkStreamOptions } from './chunk-stream.js';
import { CONFIG_KEY, formatStoreConfig, newStoreConfig, parseStoreConfig, type StoreConfig, type StoreConfigOptions } from './store-config.js';

/** Totals of a store's index. */
export interface ChunkStoreStats {
  readonly chunks: number;
  readonly packs: number;
  /** Sum of chunk sizes before compression, in bytes. */
  readonly rawBytes: number;
  /** Sum of stored payload sizes, in bytes. */
  readonly storedBytes: number;
  /** Sum of pack file sizes (payloads plus headers and tables), in bytes. */
  readonly packBytes: number;
}

/** A chunk store over one backend and one index. */
export class ChunkStore {
  /** Ids its writers have seen indexed, under the current collection epoch. */
  private readonly presence = new PresenceCache();

  private constructor(
    readonly backend: ObjectBackend,
    readonly index: ChunkIndex,
    readonly config: StoreConfig,
  ) {}

  /**
   * Writes a new config into an empty backend and returns the store.
   * @throws StoreExistsError when the backend already holds a config.
   */
  static async create(backend: ObjectBackend, index: ChunkIndex, options: StoreConfigOptions = {}): Promise<ChunkStore> {
    if (await backend.stat(CONFIG_KEY)) throw new StoreExistsError(backend.location.replace(/^file:/, ''));
    const config = newStoreConfig(options);
    await backend.put(CONFIG_KEY, Buffer.from(formatStoreConfig(config)));
    return new ChunkStore(backend, index, config);
  }

  /**
   * Opens an existing store.
   * @throws NotAStoreError when there is no valid config, UnsupportedVersionError for a newer store.
   */
  static async open(backend: ObjectBackend, index: ChunkIndex): Promise<ChunkStore> {
    let text: string;
    try {
      text = Buffer.from(await backend.get(CONFIG_KEY)).toString('utf8');
    } catch (err) {
      if (err instanceof NotFoundError) throw new NotAStoreError(backend.location, 'no config.json', err);
      throw err;
    }
    try {
      return new ChunkStore(backend, index, parseStoreConfig(text));
    } catch (err) {
      if (err instanceof Error && 'code' in err && err.code === 'INVALID_ARGUMENT') {
        throw new NotAStoreError(backend.location, err.message, err);
      }
      throw err;
    }
  }

  /** Whether the index holds `id`. */
  has(id: ContentId): boolean {
    return this.index.has(id);
  }

  /** Where `id` is stored, or undefined. */
  locate(id: ContentId): ChunkLocation | undefined {
    return this.index.lookup(id);
  }

  /**
   * The bytes of chunk `id`, verified against the id.
   * @throws NotFoundError when the index does not have it; CorruptChunkError (naming pack
   *   and offset) when its pack is missing or short, it does not decode, or it hashes wrong.
   */
  async get(id: ContentId): Promise<Uint8Array> {
    const loc = this.index.lookup(id);
    if (!loc) throw new NotFoundError('chunk', id);
    return this.readLocated(loc);
  }

  /**
   * Reads a located chunk; when its pack has vanished, looks the chunk up once more and
   * reads it from its new pack (a collection repacked it between lookup and read).
   */
  private async readLocated(loc: ChunkLocation): Promise<Uint8Array> {
    try {
      return await readChunkAt(this.backend, loc);
    } catch (err) {
      if (!(err instanceof CorruptChunkError && err.cause instanceof NotFoundError)) throw err;
      const moved = this.index.lookup(loc.id);
      if (!moved || moved.pack === loc.pack) throw err;
      return readChunkAt(this.backend, moved);
    }
  }

  /**
   * The verified bytes of many chunks, in the order given (`ids` may be produced lazily).
   * Pipelined: see {@link readChunkStream}.
   * @throws NotFoundError for an id the index does not have; CorruptChunkError as `get`.
   *   Both are thrown when the consumer reaches that id, after the chunks before it.
   */
  async *getMany(ids: Iterable<ContentId> | AsyncIterable<ContentId>, options: ChunkStreamOptions = {}): AsyncGenerator<Uint8Array> {
    for await (const chunks of this.getBatches(groupsOf(ids), options)) yield* chunks;
  }

  /**
   * Like {@link getMany} for ids given in groups, yielding chunks an array at a time (one
   * await per batch of about 1 MiB rather than per chunk: what a bulk reader wants).
   */
  getBatches(groups: Iterable<readonly ContentId[]> | AsyncIterable<readonly ContentId[]>, options: ChunkStreamOptions = {}): AsyncGenerator<Uint8Array[]> {
    return readChunkStream({ backend: this.backend, index: this.index, readAlone: (loc) => this.readLocated(loc) }, groups, options);
  }

  /** A writer for new chunks; see {@link ChunkWriter}. */
  createWriter(): ChunkWriter {
    return new ChunkWriter({
      backend: this.backend,
      index: this.index,
      packTargetBytes: this.config.packTargetBytes,
      compressionLevel: this.config.compression.level,
      leaseDatabase: this.index.database,
      presence: this.presence,
    });
  }

  /** Counts from the index. */
  stats(): ChunkStoreStats {
    const counts = this.index.counts();
    const packs = this.index.packs();
    return { ...counts, packs: packs.length, packBytes: packs.reduce((sum, p) => sum + p.size, 0) };
  }

  /** Closes the index and backend. */
  async close(): Promise<void> {
    this.index.close();
    await this.backend.close();
  }
}

/** Ids in groups of up to 1024 (arrays are sliced, other iterables gathered). */
async function* groupsOf(ids: Iterable<ContentId> | AsyncIterable<ContentId>): AsyncGenerator<readonly ContentId[]> {
  if (Array.isArray(ids)) {
    for (let i = 0; i < ids.length; i += 1024) yield (ids as readonly ContentId[]).slice(i, i + 1024);
    return;
  }
  let group: ContentId[] = [];
  for await (const id of ids) {
    group.push(id);
    if (group.length === 1024) {
      yield group;
      group = [];
    }
  }
  if (group.length > 0) yield group;
}

/** Reads and verifies one chunk at a known location. @throws CorruptChunkError. */
export async function readChunkAt(backend: Pick<ObjectBackend, 'getRange'>, loc: ChunkLocation): Promise<Uint8Array> {
  // Errors name the entry's offset (its header), as verify reports do.
  const at = loc.offset;
  let stored: Uint8Array;
  try {
    stored = await backend.getRange(packKey(loc.pack), payloadOffset(loc), loc.storedLength);
  } catch (err) {
    if (err instanceof NotFoundError) throw new CorruptChunkError(loc.id, loc.pack, at, 'its pack is missing', err);
    throw err;
  }
  if (stored.length < loc.storedLength) throw new CorruptChunkError(loc.id, loc.pack, at, `pack is truncated (${stored.length} of ${loc.storedLength} bytes)`);
  let raw: Uint8Array;
  try {
    raw = decodePayload(loc.codec, stored, loc.rawLength);
  } catch (err) {
    throw new CorruptChunkError(loc.id, loc.pack, at, (err as Error).message, err);
  }
  if (hashContent(raw) !== loc.id) throw new CorruptChunkError(loc.id, loc.pack, at, 'content does not match its hash');
  return raw;
}

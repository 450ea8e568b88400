/**
 * A repository: a chunk store plus the snapshot catalog, opened once and used for every
 * capture, restore, listing and diff. The snapshot layer's entry point.
 */
import type { ContentId } from '../hash/index.js';
import { initLocalStore, openLocalStore, type ChunkStore, type LocalStoreOptions, type StoreConfigOptions } from '../cas/index.js';
import { Catalog } from './catalog.js';
import { ObjectReader } from './object-store.js';
import { readSnapshot, type Snapshot } from './snapshot-object.js';
import { readTree, type TreeEntry } from './tree.js';

/** Options for opening a repository. */
export type RepositoryOptions = LocalStoreOptions;

/** An open store with its catalog. Close it when done. */
export class Repository {
  readonly catalog: Catalog;
  readonly objects: ObjectReader;

  constructor(readonly chunks: ChunkStore) {
    this.catalog = new Catalog(chunks.index.database);
    this.objects = new ObjectReader(chunks);
  }

  /** Creates a new local store in `dir`. @throws StoreExistsError. */
  static async init(dir: string, options: RepositoryOptions & StoreConfigOptions = {}): Promise<Repository> {
    return new Repository(await initLocalStore(dir, options));
  }

  /** Opens the local store in `dir`. @throws NotAStoreError, UnsupportedVersionError, IndexDamagedError. */
  static async open(dir: string, options: RepositoryOptions = {}): Promise<Repository> {
    return new Repository(await openLocalStore(dir, options));
  }

  /** The snapshot root `id`. */
  readSnapshot(id: ContentId): Promise<Snapshot> {
    return readSnapshot(this.objects, id);
  }

  /** The entries of tree `id`. */
  readTree(id: ContentId): Promise<TreeEntry[]> {
    return readTree(this.objects, id);
  }

  /** The verified bytes of a chunk. */
  getChunk(id: ContentId): Promise<Uint8Array> {
    return this.chunks.get(id);
  }

  async close(): Promise<void> {
    await this.chunks.close();
  }
}

/**
 * The embedded default: a chunk store in one local directory.
 *
 * ```
 * <dir>/config.json      store config (FsBackend object)
 * <dir>/packs/xx/*.pack  immutable packs (FsBackend objects)
 * <dir>/tmp/             temporary files of puts in progress
 * <dir>/index.sqlite     the SQLite index (+ -wal, -shm)
 * ```
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError, NotAStoreError } from '../errors/index.js';
import { FsBackend } from './backend/fs-backend.js';
import { ChunkIndex } from './chunk-index.js';
import { ChunkStore } from './chunk-store.js';
import { rebuildIndex, type RebuildOptions, type RebuildReport } from './rebuild-index.js';
import { CONFIG_KEY, type StoreConfigOptions } from './store-config.js';

/** File name of the index inside a local store. */
export const INDEX_FILE = 'index.sqlite';

/** Options of a local store. */
export interface LocalStoreOptions {
  /** fsync packs and directories. Default true. */
  readonly durable?: boolean;
  /** Wait for other processes' index locks, in ms. Default 10000. */
  readonly busyTimeoutMs?: number;
}

/** Creates a store in `dir` (created 0700 if missing; must not hold a store already). */
export async function initLocalStore(dir: string, options: LocalStoreOptions & StoreConfigOptions = {}): Promise<ChunkStore> {
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) throw new InvalidArgumentError(`${dir} exists and is not a directory`);
  // A store goes into a new or empty directory (or one holding a store: StoreExistsError
  // below); never among someone's files. Leftovers of an init that failed are allowed.
  const foreign = fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => !name.startsWith(INDEX_FILE) && name !== CONFIG_KEY) : [];
  if (foreign.length > 0 && !fs.existsSync(path.join(dir, CONFIG_KEY))) {
    throw new InvalidArgumentError(`${dir} is not empty and holds no store; create the store in a new or empty directory`, { dir });
  }
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const backend = new FsBackend(dir, options);
  const index = new ChunkIndex(path.join(dir, INDEX_FILE), options);
  try {
    return await ChunkStore.create(backend, index, options);
  } catch (err) {
    index.close();
    await backend.close();
    throw err;
  }
}

/**
 * Opens the store in `dir`.
 * @throws NotAStoreError when `dir` is missing or has no config; UnsupportedVersionError;
 *   IndexDamagedError when the index cannot be opened (repair with {@link repairLocalIndex}).
 */
export async function openLocalStore(dir: string, options: LocalStoreOptions = {}): Promise<ChunkStore> {
  assertLooksLikeStore(dir);
  const backend = new FsBackend(dir, options);
  let index: ChunkIndex | undefined;
  try {
    index = new ChunkIndex(path.join(dir, INDEX_FILE), options);
    return await ChunkStore.open(backend, index);
  } catch (err) {
    index?.close();
    await backend.close();
    throw err;
  }
}

/**
 * Rebuilds the index of the store in `dir` from its packs. A damaged index file is moved
 * aside as `index.sqlite.damaged-<ms>` first (never deleted), with its -wal and -shm.
 */
export async function repairLocalIndex(dir: string, options: LocalStoreOptions & RebuildOptions = {}): Promise<RebuildReport & { movedAside?: string }> {
  assertLooksLikeStore(dir);
  const file = path.join(dir, INDEX_FILE);
  let movedAside: string | undefined;
  let store: ChunkStore;
  try {
    store = await openLocalStore(dir, options);
  } catch (err) {
    if (!(err instanceof Error && 'code' in err && err.code === 'INDEX_DAMAGED')) throw err;
    movedAside = `${file}.damaged-${Date.now()}`;
    for (const suffix of ['', '-wal', '-shm']) {
      if (fs.existsSync(file + suffix)) fs.renameSync(file + suffix, movedAside + suffix);
    }
    store = await openLocalStore(dir, options);
  }
  try {
    const report = await rebuildIndex(store, options);
    return movedAside === undefined ? report : { ...report, movedAside };
  } finally {
    await store.close();
  }
}

function assertLooksLikeStore(dir: string): void {
  const stat = fs.statSync(dir, { throwIfNoEntry: false });
  if (!stat) throw new NotAStoreError(dir, 'the directory does not exist');
  if (!stat.isDirectory()) throw new NotAStoreError(dir, 'it is not a directory');
  if (!fs.existsSync(path.join(dir, CONFIG_KEY))) throw new NotAStoreError(dir, 'no config.json');
}

/** Streams the bytes of one file or database image out of a snapshot. */
import { InvalidArgumentError } from '../errors/index.js';
import { contentChunks, resolveSnapshot, type Repository } from '../snapshot/index.js';
import { findEntry } from './walk-snapshot.js';

/**
 * Yields the verified chunks of the file at `relPath` in snapshot `ref`, in order.
 * @throws NotFoundError for an unknown snapshot or path; InvalidArgumentError for a directory or symlink.
 */
export async function* catFile(repo: Repository, ref: string, relPath: string): AsyncGenerator<Uint8Array> {
  const info = resolveSnapshot(repo.catalog, ref);
  const snapshot = await repo.readSnapshot(info.id);
  const entry = await findEntry(repo, snapshot.sources.memdir.tree, relPath);
  if (!entry.content) throw new InvalidArgumentError(`${relPath} is a ${entry.kind}, not a file`);
  for await (const [id] of contentChunks((cid) => repo.getChunk(cid), entry.content)) yield repo.getChunk(id);
}

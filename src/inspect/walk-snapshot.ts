/**
 * Walks a snapshot's trees depth-first, yielding every entry with its path, and finds the
 * entry at one path.
 */
import { NotFoundError } from '../errors/index.js';
import type { ContentId } from '../hash/index.js';
import type { Repository, TreeEntry } from '../snapshot/index.js';

/** An entry with its `/`-separated path from the agent directory. */
export interface WalkedEntry {
  readonly path: string;
  readonly entry: TreeEntry;
}

/** Every entry below `tree`, parents before children, siblings by name. */
export async function* walkTree(repo: Repository, tree: ContentId, prefix = ''): AsyncGenerator<WalkedEntry> {
  for (const entry of await repo.readTree(tree)) {
    const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    yield { path, entry };
    if (entry.kind === 'dir') yield* walkTree(repo, entry.tree!, path);
  }
}

/** The entry at `relPath` (`/`-separated) under `tree`. @throws NotFoundError. */
export async function findEntry(repo: Repository, tree: ContentId, relPath: string): Promise<TreeEntry> {
  const parts = relPath.split('/').filter((p) => p !== '' && p !== '.');
  let current = tree;
  for (const [i, name] of parts.entries()) {
    const entry = (await repo.readTree(current)).find((e) => e.name === name);
    if (!entry) break;
    if (i === parts.length - 1) return entry;
    if (entry.kind !== 'dir') break;
    current = entry.tree!;
  }
  throw new NotFoundError('path', relPath);
}

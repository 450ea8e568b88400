/**
 * Everything a snapshot needs: its root, trees, list nodes and data chunks, walked from the
 * top. The one traversal behind GC's mark phase and bundle export.
 *
 * The walk asks `enter` before it reads or descends into an id; returning false skips the
 * id and everything beneath it (an id already marked or already exported: shared subtrees
 * are visited once). Only metadata objects (snapshot roots, trees, list nodes) are read;
 * data chunks are only announced. Memory is bounded by the depth of the tree and the width
 * of one directory, not by the number of ids: remembering what was visited is the caller's.
 */
import type { ContentId } from '../hash/index.js';
import { decodeListNode, type ContentRef } from './content-list.js';
import type { Repository } from './repository.js';

/** What an id is to the snapshot that reaches it. */
export type ReachableKind = 'snapshot' | 'tree' | 'list' | 'chunk';

/**
 * Decides whether to visit `id`. Called before the id is read; `path` is where it is used
 * (`''` for a snapshot root or memdir root tree). Return false to skip it and its subtree.
 */
export type ReachableEnter = (id: ContentId, kind: ReachableKind, path: string) => boolean | Promise<boolean>;

/** The object reads the walk needs (a repository, or anything that reads like one). */
export type ReachableSource = Pick<Repository, 'readSnapshot' | 'readTree' | 'getChunk'>;

/**
 * Walks every id reachable from the snapshot roots `snapshots`, depth first, calling
 * `enter` once per reference met (the same id may be offered more than once when nothing
 * stops it). External databases are walked under the path `(external databases)`.
 * @throws what reads throw: NotFoundError, CorruptChunkError for a missing or damaged object.
 */
export async function walkReachable(source: ReachableSource, snapshots: Iterable<ContentId>, enter: ReachableEnter): Promise<void> {
  for (const id of snapshots) {
    if (!(await enter(id, 'snapshot', ''))) continue;
    const snap = await source.readSnapshot(id);
    await walkReachableTree(source, snap.sources.memdir.tree, '', enter);
    const external = snap.sources.databases;
    if (external) await walkReachableTree(source, external.tree, '(external databases)', enter);
  }
}

/** Walks one tree and everything beneath it (see {@link walkReachable}). */
export async function walkReachableTree(source: ReachableSource, tree: ContentId, path: string, enter: ReachableEnter): Promise<void> {
  if (!(await enter(tree, 'tree', path))) return;
  for (const entry of await source.readTree(tree)) {
    const child = path === '' ? entry.name : `${path}/${entry.name}`;
    if (entry.kind === 'dir') await walkReachableTree(source, entry.tree!, child, enter);
    else if (entry.content) await walkReachableContent(source, entry.content, child, enter);
  }
}

/** Walks a file's or database's content: inline chunks, or list nodes and their chunks. */
export async function walkReachableContent(source: ReachableSource, content: ContentRef, path: string, enter: ReachableEnter): Promise<void> {
  for (const [id] of content.chunks ?? []) await enter(id, 'chunk', path);
  if (content.list) await walkList(source, content.list, path, enter);
}

async function walkList(source: ReachableSource, node: ContentId, path: string, enter: ReachableEnter): Promise<void> {
  if (!(await enter(node, 'list', path))) return;
  const { level, items } = decodeListNode(node, await source.getChunk(node));
  for (const [id] of items) {
    if (level > 0) await walkList(source, id, path, enter);
    else await enter(id, 'chunk', path);
  }
}

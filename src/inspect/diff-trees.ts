/**
 * Differences between two snapshots' directories: files added, removed and modified (with
 * sizes), found by walking both trees together and skipping subtrees whose ids match.
 */
import type { ContentId } from '../hash/index.js';
import type { Repository, TreeEntry } from '../snapshot/index.js';

/** One changed path. */
export interface PathChange {
  readonly path: string;
  readonly change: 'added' | 'removed' | 'modified';
  readonly kind: TreeEntry['kind'];
  /** Size before (removed, modified) and after (added, modified), for files and databases. */
  readonly sizeBefore?: number;
  readonly sizeAfter?: number;
}

function size(e: TreeEntry | undefined): number | undefined {
  return e?.content?.size;
}

function sameLeaf(a: TreeEntry, b: TreeEntry): boolean {
  return a.kind === b.kind && a.mode === b.mode && a.target === b.target && JSON.stringify(a.content) === JSON.stringify(b.content);
}

/** Changed paths between trees `a` (before) and `b` (after), sorted by path. */
export async function diffTrees(repo: Repository, a: ContentId | undefined, b: ContentId | undefined, prefix = ''): Promise<PathChange[]> {
  if (a === b) return [];
  const before = new Map((a ? await repo.readTree(a) : []).map((e) => [e.name, e]));
  const after = new Map((b ? await repo.readTree(b) : []).map((e) => [e.name, e]));
  const names = [...new Set([...before.keys(), ...after.keys()])].sort();
  const out: PathChange[] = [];
  for (const name of names) {
    const x = before.get(name);
    const y = after.get(name);
    const path = prefix === '' ? name : `${prefix}/${name}`;
    const xDir = x?.kind === 'dir' ? x.tree : undefined;
    const yDir = y?.kind === 'dir' ? y.tree : undefined;
    if (xDir || yDir) {
      out.push(...(await diffTrees(repo, xDir, yDir, path)));
      if (x && !xDir) out.push(leafChange(path, 'removed', x));
      if (y && !yDir) out.push(leafChange(path, 'added', y));
      continue;
    }
    if (!x) out.push(leafChange(path, 'added', y!));
    else if (!y) out.push(leafChange(path, 'removed', x));
    else if (!sameLeaf(x, y)) out.push({ path, change: 'modified', kind: y.kind, ...sizes(size(x), size(y)) });
  }
  return out.sort((p, q) => (p.path < q.path ? -1 : p.path > q.path ? 1 : 0));
}

function leafChange(path: string, change: 'added' | 'removed', e: TreeEntry): PathChange {
  return { path, change, kind: e.kind, ...(change === 'added' ? sizes(undefined, size(e)) : sizes(size(e), undefined)) };
}

function sizes(before: number | undefined, after: number | undefined): { sizeBefore?: number; sizeAfter?: number } {
  return { ...(before === undefined ? {} : { sizeBefore: before }), ...(after === undefined ? {} : { sizeAfter: after }) };
}

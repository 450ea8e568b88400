/**
 * Everything that differs between two snapshots: paths, per-database row changes, runtime
 * state and key/value fields.
 */
import { canonicalJson, resolveSnapshot, type CanonicalValue, type Repository, type SnapshotInfo } from '../snapshot/index.js';
import { diffDatabase, type TableChange } from './diff-database.js';
import { diffTrees, type PathChange } from './diff-trees.js';
import { findEntry } from './walk-snapshot.js';

/** The outcome of {@link diffSnapshots}. */
export interface SnapshotDiff {
  readonly from: SnapshotInfo;
  readonly to: SnapshotInfo;
  readonly paths: PathChange[];
  /** Row changes for every database that was added, removed or modified. */
  readonly databases: { readonly path: string; readonly tables: TableChange[] }[];
  /** Names of state providers whose value changed, appeared or disappeared. */
  readonly state: string[];
  /** Field keys whose value changed, appeared or disappeared. */
  readonly fields: string[];
}

/** Options of {@link diffSnapshots}. */
export interface DiffOptions {
  /** Compare database rows (slower: images are materialized). Default true. */
  readonly rows?: boolean;
}

function changedKeys(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((k) => (a[k] === undefined ? undefined : canonicalJson(a[k] as CanonicalValue)) !== (b[k] === undefined ? undefined : canonicalJson(b[k] as CanonicalValue)))
    .sort();
}

/** Compares snapshot `fromRef` (before) with `toRef` (after). */
export async function diffSnapshots(repo: Repository, fromRef: string, toRef: string, options: DiffOptions = {}): Promise<SnapshotDiff> {
  const from = resolveSnapshot(repo.catalog, fromRef);
  const to = resolveSnapshot(repo.catalog, toRef);
  const a = await repo.readSnapshot(from.id);
  const b = await repo.readSnapshot(to.id);
  // The directory, then external databases (shown by the path they were captured from).
  const roots = [
    { before: a.sources.memdir.tree, after: b.sources.memdir.tree, label: (p: string) => p },
    { before: a.sources.databases?.tree, after: b.sources.databases?.tree, label: (p: string) => b.sources.databases?.origins[p] ?? a.sources.databases?.origins[p] ?? p },
  ];
  const paths: PathChange[] = [];
  const databases: SnapshotDiff['databases'] = [];
  for (const root of roots) {
    const changes = await diffTrees(repo, root.before, root.after);
    paths.push(...changes.map((c) => ({ ...c, path: root.label(c.path) })));
    if (options.rows === false) continue;
    for (const change of changes.filter((c) => c.kind === 'sqlite')) {
      const before = change.change === 'added' ? undefined : (await findEntry(repo, root.before!, change.path)).content;
      const after = change.change === 'removed' ? undefined : (await findEntry(repo, root.after!, change.path)).content;
      databases.push({ path: root.label(change.path), tables: await diffDatabase(repo, before, after) });
    }
  }
  return { from, to, paths, databases, state: changedKeys(a.sources.state, b.sources.state), fields: changedKeys(a.sources.fields, b.sources.fields) };
}

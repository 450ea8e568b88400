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
  const paths = await diffTrees(repo, a.sources.memdir.tree, b.sources.memdir.tree);
  const databases: SnapshotDiff['databases'] = [];
  if (options.rows !== false) {
    for (const change of paths.filter((p) => p.kind === 'sqlite')) {
      const before = change.change === 'added' ? undefined : (await findEntry(repo, a.sources.memdir.tree, change.path)).content;
      const after = change.change === 'removed' ? undefined : (await findEntry(repo, b.sources.memdir.tree, change.path)).content;
      databases.push({ path: change.path, tables: await diffDatabase(repo, before, after) });
    }
  }
  return { from, to, paths, databases, state: changedKeys(a.sources.state, b.sources.state), fields: changedKeys(a.sources.fields, b.sources.fields) };
}

/**
 * The capture cache: per agent, the stat facts and content of every entry seen by the last
 * capture, so an unchanged file costs one lstat and an unchanged directory tree costs no
 * encoding at all. Kept as rows in the store's catalog (`capture_entries`), never in
 * snapshots (inode and ctime mean nothing on another machine); a capture writes only the
 * rows that changed.
 *
 * An entry is reused only when size, mtime (ns), ctime (ns) and inode all match (for
 * databases the `-wal` file's size, mtime and inode too). Racy-timestamp rule: entries whose
 * mtime is within the racy window of the capture's start are not cached, because a later
 * write in the same timestamp tick could leave the stat unchanged. A directory is reused
 * whole when its own stat and every entry below it are unchanged and none is racy.
 */
import { parseContentRef, type ContentRef, type EntryKind, type SnapshotTotals } from '../snapshot/index.js';
import type { ContentId } from '../hash/index.js';

/** Stat facts that identify an unchanged file. */
export interface StatKey {
  readonly size: number;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
  readonly ino: bigint;
}

/**
 * What the cache remembers of one path. `value` is raw JSON, parsed only when needed:
 * a ContentRef (file, sqlite), the link text (symlink), or {@link CachedDir} (dir).
 */
export interface CachedEntry {
  readonly kind: EntryKind;
  readonly stat: string;
  readonly value: string;
  readonly pageSize?: number;
}

/** A cached directory: its tree and the totals of everything below it. */
export interface CachedDir {
  readonly tree: ContentId;
  readonly totals: SnapshotTotals;
}

/** Stat facts as one comparable string; `extra` adds e.g. the `-wal` file's facts. */
export function statFingerprint(s: StatKey, extra = ''): string {
  return `${s.size}:${s.mtimeNs}:${s.ctimeNs}:${s.ino}${extra ? `|${extra}` : ''}`;
}

/** The content reference of a cached file or database. */
export function cachedContent(entry: CachedEntry): ContentRef {
  return parseContentRef(JSON.parse(entry.value));
}

/** The tree and totals of a cached directory. */
export function cachedDir(entry: CachedEntry): CachedDir {
  return JSON.parse(entry.value) as CachedDir;
}

/** Rows to write after a capture: changed or new entries, and paths no longer cached. */
export interface CacheUpdate {
  readonly upserts: [rel: string, entry: CachedEntry][];
  readonly deletes: string[];
}

/**
 * The difference between the previous cache and the entries this capture produced.
 * Entries under `keptDirs` (directories reused whole) are unchanged and stay as they are.
 */
export function cacheUpdate(previous: ReadonlyMap<string, CachedEntry>, next: ReadonlyMap<string, CachedEntry>, keptDirs: readonly string[]): CacheUpdate {
  const upserts: [string, CachedEntry][] = [];
  for (const [rel, entry] of next) {
    const old = previous.get(rel);
    if (!old || old.stat !== entry.stat || old.value !== entry.value || old.kind !== entry.kind || old.pageSize !== entry.pageSize) upserts.push([rel, entry]);
  }
  const kept = underDirs(keptDirs);
  const deletes = [...previous.keys()].filter((rel) => !next.has(rel) && !kept(rel));
  return { upserts, deletes };
}

/** Whether a relative path lies in (or is) one of `dirs` (`''` is the root: everything). */
export function underDirs(dirs: readonly string[]): (rel: string) => boolean {
  const set = new Set(dirs);
  if (set.has('')) return () => true;
  // Check the path's own ancestors: O(depth), not O(number of reused directories).
  return (rel) => {
    for (let at = rel.length; at > 0; at = rel.lastIndexOf('/', at - 1)) {
      if (set.has(rel.slice(0, at))) return true;
    }
    return false;
  };
}

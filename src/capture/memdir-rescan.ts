/**
 * Phase 1 of a capture guided by a change journal: the previous scan, brought up to date
 * by looking again only at what the journal says changed.
 *
 * In a dirty directory the entries the journal named are lstat-ed again (exactly as a full
 * scan does), or, when it named none, the whole directory is listed again; the
 * directory's own stat is re-read too. Everything else keeps the previous scan's nodes.
 * Databases are stat-ed again wherever they are (their writers may not notify), and a
 * change that names a database lists its whole directory (side files left out while the
 * database was there become plain files when it goes). Every reused node is brought up to date with this capture: its cache match
 * is looked up again (the cache moved on with the previous commit) and the racy rule
 * applied against this capture's start. Nodes that come out the same are shared with the
 * previous scan. The result equals what a full scan would return as long as the journal
 * saw every change.
 */
import * as fs from 'node:fs';
import type { JournalTake } from './change-journal.js';
import { baseNode, cacheMatch, dropSideFiles, isRacy, scanDir, scanEntry, scanFile, withReuse, type Descend, type ScanNode, type ScanOptions } from './memdir-scan.js';

type Dirty = JournalTake['dirty'];

/**
 * Rescans the directory whose previous scan is `previous` (the root node of a
 * `scanMemdir` with the same filter and no include rules), looking again only at what
 * `dirty` names.
 * @throws Error when the filter has include rules (a rescan cannot follow them).
 */
export function rescanMemdir(previous: ScanNode, dirty: Dirty, o: ScanOptions): ScanNode {
  if (o.filter.hasIncludes) throw new Error('a rescan cannot follow include rules (directories without captured entries are not in the scan)');
  if (!dirty.has('')) return refreshEntry(previous, dirty, o)!;
  const children = relist(previous, dirty, o);
  return withReuse({ ...baseNode('', '', previous.abs, 'dir', fs.statSync(previous.abs, { bigint: true }), o, o.filter.signature), children }, o);
}

/** The entries of dirty directory `dir`: the named ones looked at again, or all of them listed again. */
function relist(dir: ScanNode, dirty: Dirty, o: ScanOptions): ScanNode[] {
  const names = dirty.get(dir.rel);
  const previous = dir.children ?? [];
  const descend = descender(dir, dirty, o);
  // A database gone or replaced turns its side files (left out so far) into plain files: list all.
  const touchesDatabase = names && previous.some((c) => c.kind === 'sqlite' && names.has(c.name));
  if (!names || touchesDatabase) return scanDir(dir.abs, dir.rel, o, descend, 'again');
  o.onListDir?.(dir.rel, 'partial');
  const byName = new Map<string, ScanNode>();
  for (const child of previous) {
    if (names.has(child.name)) continue;
    const next = refreshEntry(child, dirty, o);
    if (next) byName.set(child.name, next);
  }
  for (const name of names) {
    const node = scanEntry(dir.abs, dir.rel, name, o, descend);
    if (node) byName.set(name, node);
  }
  // The order of a full listing (readdir names sorted).
  const nodes = [...byName.keys()].sort().map((name) => byName.get(name)!);
  return dropSideFiles(nodes);
}

/**
 * How a dirty directory's listing gets its child directories' entries: from their previous
 * scan, unless the child is new, another directory under the old name, or its name was
 * among the directory's changes (created, deleted or moved: even with the same inode it
 * may be another directory, and libuv names the notifications of a directory watched
 * under two names, after a move, by the first name). Those are scanned whole.
 */
function descender(prev: ScanNode, dirty: Dirty, o: ScanOptions): Descend {
  const before = new Map<string, ScanNode>();
  for (const child of prev.children ?? []) if (child.kind === 'dir') before.set(child.rel, child);
  const names = dirty.get(prev.rel);
  return (abs, rel, st) => {
    const old = before.get(rel);
    if (!old || old.ino !== st.ino || names === null || names?.has(old.name)) return scanDir(abs, rel, o);
    return dirty.has(rel) ? relist(old, dirty, o) : refreshEntries(old, dirty, o);
  };
}

/** The entries of a clean directory: the previous ones, each brought up to date. */
function refreshEntries(dir: ScanNode, dirty: Dirty, o: ScanOptions): ScanNode[] {
  const previous = dir.children ?? [];
  const out: ScanNode[] = [];
  let same = true;
  for (const child of previous) {
    const next = refreshEntry(child, dirty, o);
    if (next !== child) same = false;
    if (next) out.push(next);
  }
  return same ? previous : out;
}

function refreshEntry(node: ScanNode, dirty: Dirty, o: ScanOptions): ScanNode | undefined {
  if (node.kind === 'dir') {
    if (!dirty.has(node.rel)) {
      const children = refreshEntries(node, dirty, o);
      return refreshed(children === node.children ? node : { ...node, children }, o);
    }
    // Its own stat moved if entries came or went.
    const st = lstatOrUndefined(node.abs);
    if (!st?.isDirectory()) return undefined; // gone: its parent is dirty too and lists what is there now
    // Another directory under the old name (its parent will list it too): all of it is new.
    const children = st.ino === node.ino ? relist(node, dirty, o) : scanDir(node.abs, node.rel, o);
    return withReuse({ ...baseNode(node.name, node.rel, node.abs, 'dir', st, o, o.filter.signature), children }, o);
  }
  if (node.kind === 'sqlite') {
    // Databases are always looked at again: stat, and the -wal file's stat.
    const st = lstatOrUndefined(node.abs);
    if (!st?.isFile()) return undefined;
    return scanFile(node.name, node.rel, node.abs, st, o);
  }
  return refreshed(node, o);
}

/** `node` with its cache match and racy flag for this capture; the same object when neither changed. */
function refreshed(node: ScanNode, o: ScanOptions): ScanNode {
  const reuse = cacheMatch(node, o);
  const racy = isRacy(node.changedNs, o);
  if (reuse === node.reuse && racy === node.racy) return node;
  const next: ScanNode = { ...node, racy };
  next.reuse = reuse;
  return next;
}

function lstatOrUndefined(abs: string): fs.BigIntStats | undefined {
  try {
    return fs.lstatSync(abs, { bigint: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
}

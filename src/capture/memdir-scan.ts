/**
 * Walks an agent directory and records what is there (phase 1 of a capture): kinds,
 * stat facts, symlink targets, which files are SQLite databases, and which entries the
 * capture cache lets us reuse. Reads no file content except 16-byte headers of new or
 * changed files. Symlinks are recorded, never followed. Sockets, FIFOs and devices are
 * skipped with a warning. `-wal`, `-shm` and `-journal` files of databases are left out:
 * a database is captured as one consistent image.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError } from '../errors/index.js';
import type { EntryKind } from '../snapshot/index.js';
import { statFingerprint, type CachedEntry } from './capture-cache.js';
import type { PathFilter } from './glob.js';
import { looksLikeSqlite } from './sqlite-image.js';

/** One entry found by the scan. */
export interface ScanNode {
  readonly name: string;
  /** Path relative to the agent directory, `/`-separated. */
  readonly rel: string;
  readonly abs: string;
  readonly kind: EntryKind;
  readonly mode: number;
  readonly mtimeNs: bigint;
  /** The later of mtime and ctime, ns (what the racy rule compares). */
  readonly changedNs: bigint;
  /** Inode number (0 for virtual nodes). */
  readonly ino: bigint;
  readonly size: number;
  /** Stat fingerprint (with the `-wal` file's for databases), for the cache. */
  readonly stat: string;
  /** Whether this entry's mtime is too close to the capture start to be cached. */
  readonly racy: boolean;
  /** Cached content that is still valid, if any. */
  reuse?: CachedEntry;
  readonly target?: string;
  readonly children?: ScanNode[];
}

/** Options of {@link scanMemdir}. */
export interface ScanOptions {
  readonly filter: PathFilter;
  readonly cache: ReadonlyMap<string, CachedEntry>;
  /** Capture start, ns since the epoch. */
  readonly startNs: bigint;
  /** Racy window in ns. */
  readonly racyNs: bigint;
  /** Absolute real paths never captured (the store itself, when it sits inside the directory). */
  readonly skipPaths: ReadonlySet<string>;
  readonly warnings: string[];
  /**
   * Called with a directory's relative path just before it is listed (a change journal
   * watches it): `new` for a directory listed for the first time (or possibly another
   * directory under an old name), `again` for one listed before, `partial` when only some
   * of its entries are looked at again.
   */
  readonly onListDir?: (rel: string, how: 'new' | 'again' | 'partial') => void;
}

const SIDE_FILES = ['-wal', '-shm', '-journal'];

/** Scans `root` (which must be a directory) and returns its node. */
export function scanMemdir(root: string, options: ScanOptions): ScanNode {
  const st = fs.statSync(root, { bigint: true });
  // A directory's fingerprint carries the filter rules: its cached tree holds only what they let in.
  return withReuse({ ...baseNode('', '', root, 'dir', st, options, options.filter.signature), children: scanDir(root, '', options) }, options);
}

/** Attaches the cached entry when its kind and stat still match. */
export function withReuse(node: ScanNode, o: ScanOptions): ScanNode {
  const cached = cacheMatch(node, o);
  if (cached) node.reuse = cached;
  return node;
}

/** The cache entry of `node`'s path, when its kind and stat still match. */
export function cacheMatch(node: ScanNode, o: ScanOptions): CachedEntry | undefined {
  const cached = o.cache.get(node.rel);
  return cached && cached.kind === node.kind && cached.stat === node.stat ? cached : undefined;
}

/**
 * The racy-timestamp rule: an entry whose later of mtime and ctime (`changedNs`) lies within
 * the racy window of the capture's start is not trusted by the cache. ctime counts too: a
 * rewrite that puts the old mtime back (cp -p, rsync -t) still moves it.
 */
export function isRacy(changedNs: bigint, o: ScanOptions): boolean {
  return changedNs >= o.startNs - o.racyNs;
}

export function baseNode(name: string, rel: string, abs: string, kind: EntryKind, st: fs.BigIntStats, o: ScanOptions, extra = ''): ScanNode {
  return {
    name,
    rel,
    abs,
    kind,
    mode: Number(st.mode & 0o7777n),
    mtimeNs: st.mtimeNs,
    changedNs: st.mtimeNs > st.ctimeNs ? st.mtimeNs : st.ctimeNs,
    ino: st.ino,
    size: Number(st.size),
    stat: statFingerprint({ size: Number(st.size), mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, ino: st.ino }, extra),
    racy: isRacy(st.mtimeNs > st.ctimeNs ? st.mtimeNs : st.ctimeNs, o),
  };
}

/** How a listing gets a child directory's entries (given the directory's fresh lstat). */
export type Descend = (abs: string, rel: string, st: fs.BigIntStats) => ScanNode[];

/**
 * Lists directory `dir` (relative path `rel`) with an lstat of every entry. `descend`
 * gives a child directory's entries (default: scan it the same way).
 */
export function scanDir(dir: string, rel: string, o: ScanOptions, descend: Descend = (abs, r) => scanDir(abs, r, o), how: 'new' | 'again' = 'new'): ScanNode[] {
  o.onListDir?.(rel, how);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []; // vanished mid-capture
    throw err;
  }
  const nodes: ScanNode[] = [];
  for (const name of names.sort()) {
    const node = scanEntry(dir, rel, name, o, descend);
    if (node) nodes.push(node);
  }
  return dropSideFiles(nodes);
}

/**
 * Scans entry `name` of directory `dir` (relative path `rel`): undefined when it is gone,
 * left out by the filter or the store, or not a file, directory or symlink (with a warning).
 */
export function scanEntry(dir: string, rel: string, name: string, o: ScanOptions, descend: Descend): ScanNode | undefined {
  const abs = path.join(dir, name);
  const childRel = rel === '' ? name : `${rel}/${name}`;
  if (o.skipPaths.has(abs)) return undefined;
  let st: fs.BigIntStats;
  try {
    st = fs.lstatSync(abs, { bigint: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (st.isDirectory()) {
    if (!o.filter.walksDir(childRel)) return undefined;
    const children = descend(abs, childRel, st);
    // With include rules only directories that lead to a captured entry are recorded.
    if (children.length === 0 && o.filter.hasIncludes) return undefined;
    return withReuse({ ...baseNode(name, childRel, abs, 'dir', st, o, o.filter.signature), children }, o);
  }
  if (st.isSymbolicLink()) {
    if (!o.filter.takesFile(childRel)) return undefined;
    const target = readLinkOrUndefined(abs);
    return target === undefined ? undefined : withReuse({ ...baseNode(name, childRel, abs, 'symlink', st, o), target }, o);
  }
  if (st.isFile()) return o.filter.takesFile(childRel) ? scanFile(name, childRel, abs, st, o) : undefined;
  o.warnings.push(`skipped ${childRel}: not a regular file, directory or symlink`);
  return undefined;
}

/** A listing without the side files of the databases in it. */
export function dropSideFiles(nodes: ScanNode[]): ScanNode[] {
  const databases = new Set<string>();
  for (const n of nodes) if (n.kind === 'sqlite') databases.add(n.name);
  if (databases.size === 0) return nodes;
  return nodes.filter((n) => !SIDE_FILES.some((s) => n.name.endsWith(s) && databases.has(n.name.slice(0, -s.length))));
}

export function scanFile(name: string, rel: string, abs: string, st: fs.BigIntStats, o: ScanOptions): ScanNode | undefined {
  const plain = baseNode(name, rel, abs, 'file', st, o);
  const cached = o.cache.get(rel);
  let kind: EntryKind;
  // The kind of an unchanged file is known from the cache: no header read.
  if (cached && cached.stat.split('|')[0] === plain.stat) kind = cached.kind;
  else {
    try {
      kind = looksLikeSqlite(abs, plain.size) ? 'sqlite' : 'file';
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }
  const node = kind === 'sqlite' ? { ...baseNode(name, rel, abs, 'sqlite', st, o, walFingerprint(abs)), racy: plain.racy || walRacy(abs, o) } : plain;
  return withReuse(node, o);
}

/**
 * A database named explicitly (outside the agent directory), as a node named `name`.
 * @throws InvalidArgumentError when `abs` is missing or not a SQLite database.
 */
export function scanDatabaseFile(name: string, abs: string, o: ScanOptions): ScanNode {
  const st = fs.statSync(abs, { bigint: true, throwIfNoEntry: false });
  if (!st?.isFile() || !looksLikeSqlite(abs, Number(st.size))) throw new InvalidArgumentError(`${abs} is not a SQLite database`);
  return withReuse({ ...baseNode(name, name, abs, 'sqlite', st, o, walFingerprint(abs)), racy: st.mtimeNs >= o.startNs - o.racyNs || walRacy(abs, o) }, o);
}

/** A directory node that exists only in the snapshot (the tree of external databases). */
export function virtualDir(children: ScanNode[], o: ScanOptions): ScanNode {
  const stat = `virtual:${children.map((c) => `${c.name}=${c.abs}`).join('\0')}`;
  return withReuse({ name: '', rel: '', abs: '', kind: 'dir', mode: 0o700, mtimeNs: 0n, changedNs: 0n, ino: 0n, size: 0, stat, racy: false, children }, o);
}

/**
 * Stat fingerprint of a database's `-wal` file, or `-` when there is none or it is empty. Its ctime is
 * left out: every connection that opens the database touches the file's metadata (ours
 * included) without changing its content, while every write changes size or mtime.
 */
export function walFingerprint(dbFile: string): string {
  const st = fs.statSync(`${dbFile}-wal`, { bigint: true, throwIfNoEntry: false });
  // An empty WAL holds no frames: the same as none (opening the database may create one).
  return st && st.size > 0n ? statFingerprint({ size: Number(st.size), mtimeNs: st.mtimeNs, ctimeNs: 0n, ino: st.ino }) : '-';
}

function walRacy(dbFile: string, o: ScanOptions): boolean {
  const st = fs.statSync(`${dbFile}-wal`, { bigint: true, throwIfNoEntry: false });
  return st !== undefined && st.size > 0n && st.mtimeNs >= o.startNs - o.racyNs;
}

function readLinkOrUndefined(abs: string): string | undefined {
  try {
    return fs.readlinkSync(abs);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Phase 2 of a capture: turns scanned nodes into stored content and trees, bottom-up.
 *
 * A directory whose own stat and every entry below it are unchanged since the last capture
 * (and not racy) reuses its cached tree id whole: nothing below it is encoded or hashed.
 * Otherwise unchanged files reuse their cached content reference; changed files are read
 * and chunked; databases are read from their open read transactions and chunked on page
 * boundaries. The cache entries for the next capture are collected in `nextCache`.
 */
import * as fs from 'node:fs';
import { MemsnapError, SourceUnreadableError } from '../errors/index.js';
import type { Chunker } from '../chunker/index.js';
import type { ProgressCallback } from '../cas/index.js';
import { contentRefJson, writeTree, type ContentRef, type ListNodeMemo, type SnapshotTotals, type TreeEntry } from '../snapshot/index.js';
import { cachedContent, cachedDir, statFingerprint, type CachedEntry } from './capture-cache.js';
import { storeFile, type ContentSink } from './content-writer.js';
import { captureDatabaseImage } from './database-image.js';
import type { DatabaseState } from './database-state.js';
import { walFingerprint, type ScanNode } from './memdir-scan.js';
import type { SqliteReadCut } from './sqlite-image.js';

/** Counters of one capture's work. */
export interface MemdirStoreStats {
  filesRead: number;
  filesReused: number;
  databasesRead: number;
  databasesReused: number;
  /** Directories reused whole from the cache (nothing below them looked at twice). */
  dirsReused: number;
  /** Databases captured by reading only the pages changed since the last capture. */
  databasesIncremental: number;
  /** Bytes of content read and chunked. */
  bytesRead: number;
}

/** Remembered database states: loaded per database, collected for the next capture. */
export interface DatabaseStates {
  load(rel: string): DatabaseState | undefined;
  /** New states of databases read by this capture. */
  readonly next: Map<string, DatabaseState>;
  /** Databases reused unchanged: their remembered state stays. */
  readonly kept: Set<string>;
  /** Check every database image against serialize() (slow; tests). */
  readonly verify: boolean;
  /** The list nodes of a database's previous capture in this process, if a session keeps them. */
  memo?(rel: string): ListNodeMemo | undefined;
}

/** Running totals, as recorded in the snapshot. */
type Totals = { -readonly [K in keyof SnapshotTotals]: SnapshotTotals[K] };

/** What phase 2 needs. */
export interface MemdirStoreContext {
  readonly writer: ContentSink;
  readonly fileChunker: Chunker;
  readonly pageChunkerName: string;
  /** Open read transactions by absolute database path. */
  readonly cuts: ReadonlyMap<string, SqliteReadCut>;
  /** Cache entries for the next capture, filled here (reused directories are not repeated). */
  readonly nextCache: Map<string, CachedEntry>;
  /** Relative paths of directories reused whole; their cache rows stay as they are. */
  readonly keptDirs: string[];
  readonly databaseStates: DatabaseStates;
  readonly warnings: string[];
  readonly stats: MemdirStoreStats;
  readonly totals: Totals;
  readonly totalFiles: number;
  readonly onProgress?: ProgressCallback;
}

/**
 * Stores the tree rooted at `root` and returns the root directory's entry.
 * @param unchanged the nodes {@link findUnchanged} found (call it after the read transactions opened).
 */
export async function storeMemdir(root: ScanNode, ctx: MemdirStoreContext, unchanged: ReadonlySet<ScanNode>): Promise<TreeEntry> {
  return storeDir(root, ctx, unchanged);
}

/** The nodes that are unchanged since the last capture, with everything below them. */
export function findUnchanged(root: ScanNode): Set<ScanNode> {
  return markUnchanged(root, new Set());
}

function markUnchanged(node: ScanNode, out: Set<ScanNode>): Set<ScanNode> {
  let same = node.reuse !== undefined && !node.racy;
  for (const child of node.children ?? []) {
    markUnchanged(child, out);
    if (!out.has(child)) same = false;
  }
  if (same && node.kind === 'sqlite') same = databaseUnchanged(node);
  if (same) out.add(node);
  return out;
}

/** A database is unchanged if its stat still matches after its read transaction opened. */
function databaseUnchanged(node: ScanNode): boolean {
  return node.reuse?.pageSize !== undefined && currentFingerprint(node.abs) === node.stat;
}

async function storeDir(node: ScanNode, ctx: MemdirStoreContext, unchanged: ReadonlySet<ScanNode>): Promise<TreeEntry> {
  const base = { name: node.name, kind: 'dir' as const, mode: node.mode, mtimeNs: String(node.mtimeNs) };
  if (unchanged.has(node)) {
    const dir = cachedDir(node.reuse!);
    addTotals(ctx.totals, dir.totals);
    if (node.rel !== '') ctx.totals.dirs++;
    ctx.stats.dirsReused++;
    ctx.stats.filesReused += dir.totals.files;
    ctx.stats.databasesReused += dir.totals.databases;
    ctx.keptDirs.push(node.rel);
    progress(ctx);
    return { ...base, tree: dir.tree };
  }
  const before = { ...ctx.totals };
  const entries: TreeEntry[] = [];
  for (const child of node.children ?? []) {
    const entry = child.kind === 'dir' ? await storeDir(child, ctx, unchanged) : await storeLeaf(child, ctx, unchanged);
    if (entry) entries.push(entry);
  }
  const tree = await writeTree(ctx.writer, entries);
  const below = subtractTotals(ctx.totals, before);
  if (node.rel !== '') ctx.totals.dirs++;
  if (!node.racy) ctx.nextCache.set(node.rel, { kind: 'dir', stat: node.stat, value: JSON.stringify({ tree, totals: below }) });
  return { ...base, tree };
}

async function storeLeaf(node: ScanNode, ctx: MemdirStoreContext, unchanged: ReadonlySet<ScanNode>): Promise<TreeEntry | undefined> {
  const base = { name: node.name, mode: node.mode, mtimeNs: String(node.mtimeNs) };
  switch (node.kind) {
    case 'symlink':
      ctx.totals.symlinks++;
      if (!node.racy) ctx.nextCache.set(node.rel, { kind: 'symlink', stat: node.stat, value: node.target! });
      return { ...base, kind: 'symlink', target: node.target! };
    case 'sqlite': {
      const { content, pageSize } = await databaseContent(node, ctx, unchanged.has(node));
      ctx.totals.databases++;
      ctx.totals.bytes += content.size;
      progress(ctx);
      return { ...base, kind: 'sqlite', content, pageSize };
    }
    default: {
      const content = await fileContent(node, ctx);
      if (!content) return undefined;
      ctx.totals.files++;
      ctx.totals.bytes += content.size;
      progress(ctx);
      return { ...base, kind: 'file', content };
    }
  }
}

function progress(ctx: MemdirStoreContext): void {
  ctx.onProgress?.({ phase: 'capture', done: ctx.totals.files + ctx.totals.databases, total: ctx.totalFiles, unit: 'files' });
}

async function fileContent(node: ScanNode, ctx: MemdirStoreContext): Promise<ContentRef | undefined> {
  if (node.reuse) {
    ctx.stats.filesReused++;
    if (!node.racy) ctx.nextCache.set(node.rel, node.reuse);
    return cachedContent(node.reuse);
  }
  let content: ContentRef;
  try {
    content = await storeFile(ctx.writer, node.abs, node.size, ctx.fileChunker);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      ctx.warnings.push(`${node.rel} vanished during the capture and was left out`);
      return undefined;
    }
    // A failure of the store (a pack write, the index) is the store's, not the source's.
    if (err instanceof MemsnapError) throw err;
    throw new SourceUnreadableError(node.abs, err);
  }
  ctx.stats.filesRead++;
  ctx.stats.bytesRead += content.size;
  if (!node.racy) ctx.nextCache.set(node.rel, { kind: 'file', stat: node.stat, value: JSON.stringify(contentRefJson(content)) });
  return content;
}

async function databaseContent(node: ScanNode, ctx: MemdirStoreContext, unchanged: boolean): Promise<{ content: ContentRef; pageSize: number }> {
  // Reuse only if nothing changed between the scan and the moment the read transaction opened.
  if (node.reuse?.pageSize !== undefined && (unchanged || databaseUnchanged(node))) {
    ctx.stats.databasesReused++;
    if (!node.racy) ctx.nextCache.set(node.rel, node.reuse);
    ctx.databaseStates.kept.add(node.rel);
    return { content: cachedContent(node.reuse), pageSize: node.reuse.pageSize };
  }
  const remembered = ctx.databaseStates.load(node.rel);
  const cut = ctx.cuts.get(node.abs);
  if (!cut) throw new SourceUnreadableError(node.abs, new Error('no read transaction was opened for this database'));
  const captured = await captureDatabaseImage(cut, ctx.writer, ctx.pageChunkerName, remembered, ctx.databaseStates.verify, ctx.databaseStates.memo?.(node.rel));
  ctx.stats.databasesRead++;
  if (captured.way === 'incremental') ctx.stats.databasesIncremental++;
  ctx.stats.bytesRead += captured.bytesRead;
  ctx.databaseStates.next.set(node.rel, captured.state);
  const { content, pageSize } = captured;
  if (!node.racy) ctx.nextCache.set(node.rel, { kind: 'sqlite', stat: node.stat, value: JSON.stringify(contentRefJson(content)), pageSize });
  return { content, pageSize };
}

function currentFingerprint(abs: string): string | undefined {
  const st = fs.statSync(abs, { bigint: true, throwIfNoEntry: false });
  return st && statFingerprint({ size: Number(st.size), mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, ino: st.ino }, walFingerprint(abs));
}

function addTotals(into: Totals, add: SnapshotTotals): void {
  into.files += add.files;
  into.dirs += add.dirs;
  into.symlinks += add.symlinks;
  into.databases += add.databases;
  into.bytes += add.bytes;
}

function subtractTotals(now: SnapshotTotals, before: SnapshotTotals): SnapshotTotals {
  return { files: now.files - before.files, dirs: now.dirs - before.dirs, symlinks: now.symlinks - before.symlinks, databases: now.databases - before.databases, bytes: now.bytes - before.bytes };
}

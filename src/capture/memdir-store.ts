/**
 * Phase 2 of a capture: turns scanned nodes into stored content and trees, bottom-up.
 * Reused entries cost nothing; changed files are read and chunked; databases are read
 * from their open read transactions and chunked on page boundaries.
 */
import { SourceUnreadableError } from '../errors/index.js';
import type { Chunker } from '../chunker/index.js';
import { pageChunker } from '../chunker/index.js';
import type { ChunkWriter, ProgressCallback } from '../cas/index.js';
import { writeTree, type ContentRef, type SnapshotTotals, type TreeEntry } from '../snapshot/index.js';
import type { CachedEntry } from './capture-cache.js';
import { storeBytes, storeFile } from './content-writer.js';
import type { ScanNode } from './memdir-scan.js';
import { walFingerprint } from './memdir-scan.js';
import { headerPageSize, type SqliteReadCut } from './sqlite-image.js';
import { statFingerprint } from './capture-cache.js';
import * as fs from 'node:fs';

/** Counters of one capture's work. */
export interface MemdirStoreStats {
  filesRead: number;
  filesReused: number;
  databasesRead: number;
  databasesReused: number;
  /** Bytes of content read and chunked. */
  bytesRead: number;
}

/** What phase 2 needs. */
export interface MemdirStoreContext {
  readonly writer: Pick<ChunkWriter, 'put'>;
  readonly fileChunker: Chunker;
  readonly pageChunkerName: string;
  /** Open read transactions by absolute database path. */
  readonly cuts: ReadonlyMap<string, SqliteReadCut>;
  /** The cache for the next capture, filled here. */
  readonly nextCache: Map<string, CachedEntry>;
  readonly warnings: string[];
  readonly stats: MemdirStoreStats;
  readonly totals: { files: number; dirs: number; symlinks: number; databases: number; bytes: number };
  readonly totalFiles: number;
  readonly onProgress?: ProgressCallback;
}

/** Stores the directory `node` and everything below it; returns its tree id and entry. */
export async function storeDir(node: ScanNode, ctx: MemdirStoreContext): Promise<TreeEntry> {
  const entries: TreeEntry[] = [];
  for (const child of node.children ?? []) {
    const entry = await storeNode(child, ctx);
    if (entry) entries.push(entry);
  }
  const tree = await writeTree(ctx.writer, entries);
  if (node.rel !== '') ctx.totals.dirs++;
  return { name: node.name, kind: 'dir', mode: node.mode, mtimeNs: String(node.mtimeNs), tree };
}

async function storeNode(node: ScanNode, ctx: MemdirStoreContext): Promise<TreeEntry | undefined> {
  const base = { name: node.name, mode: node.mode, mtimeNs: String(node.mtimeNs) };
  switch (node.kind) {
    case 'dir':
      return storeDir(node, ctx);
    case 'symlink':
      ctx.totals.symlinks++;
      return { ...base, kind: 'symlink', target: node.target! };
    case 'file': {
      const content = await fileContent(node, ctx);
      if (!content) return undefined;
      ctx.totals.files++;
      ctx.totals.bytes += content.size;
      progress(ctx);
      return { ...base, kind: 'file', content };
    }
    case 'sqlite': {
      const { content, pageSize } = await databaseContent(node, ctx);
      ctx.totals.databases++;
      ctx.totals.bytes += content.size;
      progress(ctx);
      return { ...base, kind: 'sqlite', content, pageSize };
    }
  }
}

function progress(ctx: MemdirStoreContext): void {
  ctx.onProgress?.({ phase: 'capture', done: ctx.totals.files + ctx.totals.databases, total: ctx.totalFiles, unit: 'files' });
}

async function fileContent(node: ScanNode, ctx: MemdirStoreContext): Promise<ContentRef | undefined> {
  let content: ContentRef;
  if (node.reuse) {
    content = node.reuse.content;
    ctx.stats.filesReused++;
  } else {
    try {
      content = await storeFile(ctx.writer, node.abs, node.size, ctx.fileChunker);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        ctx.warnings.push(`${node.rel} vanished during the capture and was left out`);
        return undefined;
      }
      throw new SourceUnreadableError(node.abs, err);
    }
    ctx.stats.filesRead++;
    ctx.stats.bytesRead += content.size;
  }
  if (!node.racy) ctx.nextCache.set(node.rel, { kind: 'file', stat: node.stat, content });
  return content;
}

async function databaseContent(node: ScanNode, ctx: MemdirStoreContext): Promise<{ content: ContentRef; pageSize: number }> {
  const cut = ctx.cuts.get(node.abs);
  // Reuse only if nothing changed between the scan and the moment the read transaction opened.
  if (node.reuse?.pageSize && currentFingerprint(node.abs) === node.stat) {
    ctx.stats.databasesReused++;
    if (!node.racy) ctx.nextCache.set(node.rel, node.reuse);
    return { content: node.reuse.content, pageSize: node.reuse.pageSize };
  }
  if (!cut) throw new SourceUnreadableError(node.abs, new Error('no read transaction was opened for this database'));
  const image = cut.image();
  const pageSize = headerPageSize(image);
  const content = await storeBytes(ctx.writer, image, pageChunker(ctx.pageChunkerName, pageSize));
  ctx.stats.databasesRead++;
  ctx.stats.bytesRead += image.length;
  if (!node.racy) ctx.nextCache.set(node.rel, { kind: 'sqlite', stat: node.stat, content, pageSize });
  return { content, pageSize };
}

function currentFingerprint(abs: string): string | undefined {
  const st = fs.statSync(abs, { bigint: true, throwIfNoEntry: false });
  return st && statFingerprint({ size: Number(st.size), mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, ino: st.ino }, walFingerprint(abs));
}

/** Totals as recorded in the snapshot. */
export function snapshotTotals(t: MemdirStoreContext['totals']): SnapshotTotals {
  return { ...t };
}

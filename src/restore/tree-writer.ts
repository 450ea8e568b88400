/**
 * Writes snapshot trees to disk: files and database images byte for byte (every chunk
 * verified on read), modes, mtimes, symlinks (created, never followed) and empty
 * directories. Names come from validated trees, so nothing lands outside the target.
 * Directory modes and mtimes are set after their children are written.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ContentId } from '../hash/index.js';
import type { ProgressCallback } from '../cas/index.js';
import { contentChunkGroups, type ChunkRef, type ContentRef, type Repository, type TreeEntry } from '../snapshot/index.js';
import { FileSink } from './file-sink.js';

/** Counters of a restore. */
export interface RestoreStats {
  files: number;
  dirs: number;
  symlinks: number;
  databases: number;
  bytes: number;
}

/** Shared state of one tree write. */
export interface TreeWriteContext {
  readonly repo: Repository;
  readonly stats: RestoreStats;
  /** Selects entries by relative path; undefined takes everything. */
  readonly select?: (relPath: string, entry: TreeEntry) => boolean;
  /** fsync every file written (slower; see RestoreOptions.durable). Default false. */
  readonly durable?: boolean;
  /** Files and databases expected in all, for progress reports (0: unknown). */
  readonly total?: number;
  readonly onProgress?: ProgressCallback;
}

/**
 * mtime in ns (decimal string) as the seconds value utimes takes (µs precision). libuv
 * truncates the double's fraction to whole µs, and a double near 1.7e9 s is only exact to
 * ~0.24 µs, so aim at the middle of the µs: truncation then lands on the right one.
 */
export function mtimeSeconds(mtimeNs: string): number {
  const us = BigInt(mtimeNs) / 1000n;
  return (Number(us) + 0.5) / 1e6;
}

/**
 * The mode a restore applies: the recorded permission bits without setuid and setgid (an
 * agent's memory never needs them, and a snapshot may come from elsewhere). Sticky is kept.
 */
export function safeMode(mode: number): number {
  return mode & 0o1777;
}

/**
 * Writes the content of `content` into the new file `file` with `mode` (see {@link FileSink}:
 * runs written with one call each, all-zero chunks left as holes). The mtime is the caller's.
 */
export async function writeContentFile(repo: Repository, content: ContentRef, file: string, mode: number, durable = false): Promise<void> {
  const getMany = (ids: readonly ContentId[]) => repo.chunks.getMany(ids);
  const sink = new FileSink(file);
  try {
    for await (const chunks of repo.chunks.getBatches(idGroups(contentChunkGroups(getMany, content)))) for (const bytes of chunks) sink.append(bytes);
  } catch (err) {
    sink.abort();
    throw err;
  }
  sink.finish(safeMode(mode), undefined, durable);
}

async function* idGroups(groups: AsyncIterable<readonly ChunkRef[]>): AsyncGenerator<ContentId[]> {
  for await (const refs of groups) yield refs.map(([id]) => id);
}

/**
 * Writes tree `treeId` into the existing, empty-or-compatible directory `dir`.
 * Returns whether anything was written (for partial restores).
 */
export async function writeTreeInto(ctx: TreeWriteContext, treeId: ContentId, dir: string, rel: string): Promise<boolean> {
  let wrote = false;
  for (const entry of await ctx.repo.readTree(treeId)) {
    const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
    const target = path.join(dir, entry.name);
    if (entry.kind === 'dir') {
      if (ctx.select && !(await subtreeSelected(ctx, entry, childRel))) continue;
      ensureRealDir(target);
      await writeTreeInto(ctx, entry.tree!, target, childRel);
      fs.chmodSync(target, safeMode(entry.mode));
      fs.utimesSync(target, mtimeSeconds(entry.mtimeNs), mtimeSeconds(entry.mtimeNs));
      ctx.stats.dirs++;
      wrote = true;
      continue;
    }
    if (ctx.select && !ctx.select(childRel, entry)) continue;
    await writeLeaf(ctx, entry, target);
    wrote = true;
  }
  return wrote;
}

async function subtreeSelected(ctx: TreeWriteContext, entry: TreeEntry, rel: string): Promise<boolean> {
  if (ctx.select!(rel, entry)) return true;
  for (const child of await ctx.repo.readTree(entry.tree!)) {
    const childRel = `${rel}/${child.name}`;
    if (child.kind === 'dir' ? await subtreeSelected(ctx, child, childRel) : ctx.select!(childRel, child)) return true;
  }
  return false;
}

/** Writes one file, database or symlink, replacing what was at `target` atomically. */
export async function writeLeaf(ctx: TreeWriteContext, entry: TreeEntry, target: string): Promise<void> {
  const tmp = path.join(path.dirname(target), `.${entry.name.slice(0, 100)}.memsnap-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
  try {
    if (entry.kind === 'symlink') {
      fs.symlinkSync(entry.target!, tmp);
      fs.lutimesSync(tmp, mtimeSeconds(entry.mtimeNs), mtimeSeconds(entry.mtimeNs));
      ctx.stats.symlinks++;
    } else {
      await writeContentFile(ctx.repo, entry.content!, tmp, entry.mode, ctx.durable);
      fs.utimesSync(tmp, mtimeSeconds(entry.mtimeNs), mtimeSeconds(entry.mtimeNs));
      ctx.stats.bytes += entry.content!.size;
      if (entry.kind === 'sqlite') {
        ctx.stats.databases++;
        // A stale -wal/-shm/-journal beside the restored image would corrupt it.
        for (const side of ['-wal', '-shm', '-journal']) fs.rmSync(target + side, { force: true });
      } else ctx.stats.files++;
    }
    const existing = fs.lstatSync(target, { throwIfNoEntry: false });
    if (existing?.isDirectory()) fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  ctx.onProgress?.({ phase: 'restore', done: ctx.stats.files + ctx.stats.databases, total: ctx.total ?? 0, unit: 'files' });
}

/** Makes `dir` a real directory: a symlink or file in its place is removed first (never followed). */
export function ensureRealDir(dir: string): void {
  const st = fs.lstatSync(dir, { throwIfNoEntry: false });
  if (st?.isDirectory()) return;
  if (st) fs.rmSync(dir, { force: true });
  fs.mkdirSync(dir, { mode: 0o700 });
}

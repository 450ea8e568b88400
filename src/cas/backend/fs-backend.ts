/**
 * Local-filesystem {@link ObjectBackend}: one file per object under a root directory.
 *
 * `put` writes a temporary file in `<root>/tmp`, fsyncs it, renames it into place and
 * fsyncs the parent directory, so an object is either absent or whole and durable. It runs
 * on libuv's thread pool: a pack is megabytes, and its writer keeps working meanwhile.
 * Files are created 0600 and directories 0700: a store is private to its owner.
 * Leftover temporary files (from a killed process) are never read; `cleanTemporary` removes old ones.
 * Reads use synchronous calls on cached descriptors: for small range reads they are several
 * times faster than the thread-pool round trip, and the backend is the only place that knows.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { BackendIoError, NotFoundError } from '../../errors/index.js';
import { assertObjectKey, type ObjectBackend, type ObjectInfo } from './object-backend.js';

/** Options of {@link FsBackend}. */
export interface FsBackendOptions {
  /** Open file descriptors kept for reads. Default 64. */
  readonly maxOpenFiles?: number;
  /** fsync files and directories on put. Default true; false only for throwaway benchmarks. */
  readonly durable?: boolean;
}

const TMP_DIR = 'tmp';

/** Objects up to this size are written in the calling thread (1 MiB); larger ones on the thread pool. */
export const SYNC_PUT_MAX_BYTES = 1 << 20;

/** Objects as files below a root directory. */
export class FsBackend implements ObjectBackend {
  readonly location: string;
  private readonly durable: boolean;
  private readonly fds: LRUCache<string, number>;
  private readonly knownDirs = new Set<string>();

  /** @param root directory that holds the objects; created (0700) if missing. */
  constructor(
    readonly root: string,
    options: FsBackendOptions = {},
  ) {
    this.location = `file:${root}`;
    this.durable = options.durable ?? true;
    this.fds = new LRUCache<string, number>({
      max: options.maxOpenFiles ?? 64,
      dispose: (fd) => fs.closeSync(fd),
    });
  }

  private file(key: string): string {
    assertObjectKey(key);
    return path.join(this.root, ...key.split('/'));
  }

  private ensureDir(dir: string): void {
    if (this.knownDirs.has(dir)) return;
    const created = fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    // A directory made here must itself survive a crash, or the pack inside it could vanish
    // with it while its index rows stay: fsync the parent of each new level.
    if (created !== undefined && this.durable) {
      for (let d = dir; d.length >= created.length; d = path.dirname(d)) fsyncDir(path.dirname(d));
    }
    this.knownDirs.add(dir);
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    const target = this.file(key);
    try {
      await this.writeAtomically(target, data);
    } catch (err) {
      // A directory removed by another process (e.g. GC pruning empty pack folders) while
      // this one remembered it: forget what we knew and try once more.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new BackendIoError('put', key, err);
      this.knownDirs.clear();
      try {
        await this.writeAtomically(target, data);
      } catch (again) {
        throw new BackendIoError('put', key, again);
      }
    }
  }

  /**
   * temp file → write → fsync → rename → fsync dir; removes the temp file on failure.
   * Objects over {@link SYNC_PUT_MAX_BYTES} go through libuv's thread pool, so a writer keeps
   * chunking and compressing while a 16 MiB pack goes to disk (bench/ingest-ab.ts,
   * docs/ARCHITECTURE.md). Smaller ones are written in this thread: each thread-pool step
   * costs a round trip, ~5 ms for a capture's small pack against ~1 ms done here.
   */
  private async writeAtomically(target: string, data: Uint8Array): Promise<void> {
    const tmpDir = path.join(this.root, TMP_DIR);
    const tmp = path.join(tmpDir, `${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
    try {
      this.ensureDir(tmpDir);
      this.ensureDir(path.dirname(target));
      if (data.length <= SYNC_PUT_MAX_BYTES) this.writeHere(tmp, target, data);
      else await this.writeOnThreadPool(tmp, target, data);
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      throw err;
    }
  }

  private writeHere(tmp: string, target: string, data: Uint8Array): void {
    const fd = fs.openSync(tmp, 'wx', 0o600);
    try {
      let written = 0;
      while (written < data.length) written += fs.writeSync(fd, data, written, data.length - written);
      if (this.durable) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, target);
    if (this.durable) fsyncDir(path.dirname(target));
  }

  private async writeOnThreadPool(tmp: string, target: string, data: Uint8Array): Promise<void> {
    const handle = await fsp.open(tmp, 'wx', 0o600);
    try {
      let written = 0;
      while (written < data.length) written += (await handle.write(data, written, data.length - written)).bytesWritten;
      if (this.durable) await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(tmp, target);
    if (this.durable) await fsyncDirAsync(path.dirname(target));
  }

  async get(key: string): Promise<Uint8Array> {
    const file = this.file(key);
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw this.readError(err, key);
    }
  }

  async getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    const fd = this.openForRead(key);
    const out = Buffer.allocUnsafe(length);
    let got = 0;
    try {
      while (got < length) {
        const n = fs.readSync(fd, out, got, length - got, offset + got);
        if (n === 0) break;
        got += n;
      }
    } catch (err) {
      this.fds.delete(key);
      throw new BackendIoError('read', key, err);
    }
    return got === length ? out : out.subarray(0, got);
  }

  private openForRead(key: string): number {
    const cached = this.fds.get(key);
    if (cached !== undefined) return cached;
    try {
      const fd = fs.openSync(this.file(key), 'r');
      this.fds.set(key, fd);
      return fd;
    } catch (err) {
      throw this.readError(err, key);
    }
  }

  private readError(err: unknown, key: string): Error {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new NotFoundError('object', key, { location: this.location });
    if (err instanceof Error && 'code' in err && (err as { code: unknown }).code === 'INVALID_ARGUMENT') return err;
    return new BackendIoError('read', key, err);
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    const file = this.file(key);
    try {
      return { key, size: fs.statSync(file).size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new BackendIoError('stat', key, err);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    // Walk only the directories that can hold keys with this prefix.
    const slash = prefix.lastIndexOf('/');
    const base = slash < 0 ? '' : prefix.slice(0, slash);
    const start = base === '' ? this.root : this.file(base);
    for (const info of walk(start, base)) {
      if (info.key.startsWith(prefix) && !info.key.startsWith(`${TMP_DIR}/`)) yield info;
    }
  }

  async delete(key: string): Promise<void> {
    const file = this.file(key);
    this.fds.delete(key);
    try {
      fs.rmSync(file, { force: true });
    } catch (err) {
      throw new BackendIoError('delete', key, err);
    }
  }

  /** Removes temporary files older than `olderThanMs` (default 1 hour) left by killed writers. */
  cleanTemporary(olderThanMs = 3_600_000, now = Date.now()): number {
    const dir = path.join(this.root, TMP_DIR);
    let removed = 0;
    for (const name of safeReaddir(dir)) {
      const file = path.join(dir, name);
      const stat = fs.statSync(file, { throwIfNoEntry: false });
      if (stat && now - stat.mtimeMs > olderThanMs) {
        fs.rmSync(file, { force: true });
        removed++;
      }
    }
    return removed;
  }

  async close(): Promise<void> {
    this.fds.clear();
  }
}

function* walk(dir: string, keyPrefix: string): Generator<ObjectInfo> {
  for (const entry of safeReaddirEntries(dir)) {
    const key = keyPrefix === '' ? entry.name : `${keyPrefix}/${entry.name}`;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full, key);
    else if (entry.isFile()) yield { key, size: fs.statSync(full).size };
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function safeReaddirEntries(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** {@link fsyncDir} on libuv's thread pool. */
async function fsyncDirAsync(dir: string): Promise<void> {
  const handle = await fsp.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsyncs a directory so a rename inside it is durable. */
export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

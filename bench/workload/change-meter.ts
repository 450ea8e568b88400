/**
 * Measures the bytes a turn really changed, the yardstick for store growth: the new
 * content of every file that was added or modified (work-tree files, git's own files and
 * new objects, the state files), and the database pages whose bytes differ between the
 * logical images before and after the turn. A file whose stat changed but whose bytes did
 * not (git freshens the mtime of objects it writes again) does not count. Sizes are also given after zstd level 3:
 * each changed file compressed on its own, the changed pages compressed as one stream.
 *
 * Measuring reads the whole database image twice per turn; it is bench bookkeeping and
 * must stay outside any timed section.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { Compressor } from 'zstd-napi';

/** zstd level of the yardstick (the store's default level). */
export const YARDSTICK_ZSTD_LEVEL = 3;

/** The bytes one turn changed. All sizes in bytes. */
export interface ChangedBytes {
  /** Files added or modified (relative to the meter's base, state files absolute), sorted. */
  readonly files: string[];
  /** Files that disappeared. */
  readonly removed: string[];
  /** Sum of the new sizes of changed files. */
  readonly fileBytes: number;
  /** Sum of each changed file compressed alone with zstd. */
  readonly fileBytesZstd: number;
  /** Database pages whose bytes differ (new pages included). */
  readonly pages: number;
  readonly pageSize: number;
  /** `pages * pageSize`. */
  readonly pageBytes: number;
  /** The changed pages concatenated and compressed with zstd. */
  readonly pageBytesZstd: number;
  /** `fileBytes + pageBytes`. */
  readonly totalBytes: number;
  /** `fileBytesZstd + pageBytesZstd`: what growth per turn is compared against. */
  readonly totalBytesZstd: number;
}

interface FileStamp {
  size: number;
  mtimeNs: bigint;
  ino: bigint;
}

/** Remembers the state before a turn; {@link ChangeMeter.measure} compares with the state after. */
export class ChangeMeter {
  private readonly compressor = new Compressor();
  private stamps = new Map<string, FileStamp>();
  private digests = new Map<string, string>();
  private image: Buffer = Buffer.alloc(0);

  /**
   * @param memdir the captured directory, walked whole (including .git)
   * @param database the database inside it, measured by pages; it and its -wal/-shm/-journal are not walked as files
   * @param extraFiles files outside the memdir that are captured too (state files)
   */
  constructor(
    private readonly memdir: string,
    private readonly database: string,
    private readonly extraFiles: readonly string[],
  ) {
    this.compressor.setParameters({ compressionLevel: YARDSTICK_ZSTD_LEVEL });
    this.reset();
  }

  /** Takes the current state as the new "before". */
  reset(): void {
    this.stamps = this.stampAll();
    this.digests = new Map([...this.stamps.keys()].map((f) => [f, sha1(fs.readFileSync(this.absolute(f)))]));
    this.image = databaseImage(this.database);
  }

  /** The bytes changed since the last reset or measure, which then becomes the new "before". */
  measure(): ChangedBytes {
    const after = this.stampAll();
    const files: string[] = [];
    let fileBytes = 0;
    let fileBytesZstd = 0;
    for (const [file, s] of after) {
      const b = this.stamps.get(file);
      if (b && b.size === s.size && b.mtimeNs === s.mtimeNs && b.ino === s.ino) continue;
      const data = fs.readFileSync(this.absolute(file));
      const digest = sha1(data);
      const same = this.digests.get(file) === digest;
      this.digests.set(file, digest);
      if (same) continue;
      files.push(file);
      fileBytes += data.length;
      fileBytesZstd += this.compressor.compress(data).length;
    }
    const removed = [...this.stamps.keys()].filter((f) => !after.has(f));
    for (const f of removed) this.digests.delete(f);
    const image = databaseImage(this.database);
    const pageSize = image.length >= 18 ? pageSizeOf(image) : 4096;
    const changed = changedPages(this.image, image, pageSize);
    const pageData = Buffer.concat(changed.map((p) => image.subarray(p * pageSize, (p + 1) * pageSize)));
    const pageBytesZstd = pageData.length ? this.compressor.compress(pageData).length : 0;
    this.stamps = after;
    this.image = image;
    return {
      files: files.sort(),
      removed: removed.sort(),
      fileBytes,
      fileBytesZstd,
      pages: changed.length,
      pageSize,
      pageBytes: pageData.length,
      pageBytesZstd,
      totalBytes: fileBytes + pageData.length,
      totalBytesZstd: fileBytesZstd + pageBytesZstd,
    };
  }

  private absolute(file: string): string {
    return path.isAbsolute(file) ? file : path.join(this.memdir, file);
  }

  private stampAll(): Map<string, FileStamp> {
    const skip = new Set(['', '-wal', '-shm', '-journal'].map((s) => this.database + s));
    const out = new Map<string, FileStamp>();
    const add = (abs: string, key: string): void => {
      const st = fs.lstatSync(abs, { bigint: true, throwIfNoEntry: false });
      if (st?.isFile()) out.set(key, { size: Number(st.size), mtimeNs: st.mtimeNs, ino: st.ino });
    };
    for (const entry of fs.readdirSync(this.memdir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const abs = path.join(entry.parentPath, entry.name);
      if (!skip.has(abs)) add(abs, path.relative(this.memdir, abs));
    }
    for (const file of this.extraFiles) add(file, file);
    return out;
  }
}

function sha1(data: Uint8Array): string {
  return createHash('sha1').update(data).digest('hex');
}

/** The logical image of the database (WAL included), read through a fresh read-only connection. */
export function databaseImage(file: string): Buffer {
  if (!fs.existsSync(file)) return Buffer.alloc(0);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.serialize();
  } finally {
    db.close();
  }
}

/** Indexes of the pages (0-based) that differ between two images; pages beyond `before`'s end count as changed. */
export function changedPages(before: Uint8Array, after: Uint8Array, pageSize: number): number[] {
  const out: number[] = [];
  const n = Math.ceil(after.length / pageSize);
  const a = Buffer.from(before.buffer, before.byteOffset, before.byteLength);
  const b = Buffer.from(after.buffer, after.byteOffset, after.byteLength);
  for (let p = 0; p < n; p++) {
    const start = p * pageSize;
    const end = Math.min(start + pageSize, b.length);
    if (end > a.length || a.compare(b, start, end, start, end) !== 0) out.push(p);
  }
  return out;
}

function pageSizeOf(image: Uint8Array): number {
  const v = (image[16]! << 8) | image[17]!;
  return v === 1 ? 65536 : v;
}

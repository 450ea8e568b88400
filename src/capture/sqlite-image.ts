/**
 * Consistent point-in-time images of SQLite databases.
 *
 * A database is opened read-only and a read transaction is started (`BEGIN` plus one
 * read); from then on `serialize()` returns the database exactly as of that moment, in
 * WAL or rollback mode, whatever other processes commit meanwhile. Several databases are
 * opened first and read after, so they share one cut.
 */
import Database from 'better-sqlite3';
import { InvalidArgumentError, LockedError } from '../errors/index.js';
import { heldFd, readHeld, releaseHeld } from './held-files.js';
import { readWalIndexHeader, sameWalState, type WalIndexHeader } from './sqlite-wal.js';

/** The 16 bytes every SQLite 3 database file starts with. */
export const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Whether the file at `file` (of `size` bytes) is a SQLite database: whole pages (a multiple
 * of 512 bytes, so most files need no read) starting with the SQLite header. The header is
 * read through a held descriptor (held-files.ts): closing one would drop SQLite's locks.
 */
export function looksLikeSqlite(file: string, size: number): boolean {
  // A database is whole pages of 512..65536 bytes (powers of two): other sizes need no read.
  if (size < 512 || size % 512 !== 0) return false;
  const fd = heldFd(file);
  if (fd === undefined) throw Object.assign(new Error(`${file} vanished`), { code: 'ENOENT' });
  const head = Buffer.alloc(16);
  const isDatabase = readHeld(fd, head, 0, 16, 0) === 16 && head.equals(SQLITE_HEADER);
  // Only a database needs its descriptor held; an ordinary file's is closed at once.
  if (!isDatabase) releaseHeld(file);
  return isDatabase;
}

/** Page size from a database header (bytes 16-17; 1 means 65536). */
export function headerPageSize(image: Uint8Array): number {
  const v = (image[16]! << 8) | image[17]!;
  return v === 1 ? 65536 : v;
}

/** What is known of how to read a cut's image without SQLite (see incremental-database.ts). */
export type CutLayout =
  | { readonly mode: 'wal'; readonly header: WalIndexHeader }
  | { readonly mode: 'rollback' }
  | { readonly mode: 'opaque' };

/** A database held at one moment by an open read transaction. */
export class SqliteReadCut {
  private constructor(
    readonly file: string,
    private readonly db: Database.Database,
    /** How the image of this cut can be read directly; `opaque` means only through SQLite. */
    readonly layout: CutLayout,
    /** Page size in bytes, as SQLite reports it inside the transaction. */
    readonly pageSize: number,
    /** Pages in the image this transaction sees. */
    readonly pageCount: number,
  ) {}

  /**
   * Opens `file` read-only and starts a read transaction.
   * In WAL mode the wal-index header is read before and after the transaction starts; when
   * both agree, no commit slipped in between and the header describes exactly what this
   * transaction sees (retried a few times, else the layout is `opaque`).
   * @param busyTimeoutMs how long to wait for a writer holding an exclusive lock (default 5000).
   * @throws LockedError when the database stays locked; InvalidArgumentError when it is not SQLite.
   */
  static open(file: string, busyTimeoutMs = 5000): SqliteReadCut {
    let db: Database.Database | undefined;
    try {
      db = new Database(file, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
      for (let attempt = 0; ; attempt++) {
        const before = readWalIndexHeader(file);
        db.prepare('BEGIN').run();
        db.prepare('SELECT count(*) FROM sqlite_schema').get();
        const after = readWalIndexHeader(file);
        const mode = String(db.pragma('journal_mode', { simple: true }));
        const pageSize = Number(db.pragma('page_size', { simple: true }));
        const pageCount = Number(db.pragma('page_count', { simple: true }));
        if (mode !== 'wal') return new SqliteReadCut(file, db, { mode: 'rollback' }, pageSize, pageCount);
        if (sameWalState(before, after) && after!.pageSize === pageSize) return new SqliteReadCut(file, db, { mode: 'wal', header: after! }, pageSize, pageCount);
        if (attempt >= 3) return new SqliteReadCut(file, db, { mode: 'opaque' }, pageSize, pageCount);
        db.prepare('COMMIT').run();
      }
    } catch (err) {
      db?.close();
      const code = (err as { code?: string }).code ?? '';
      if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) throw new LockedError(`database ${file}`, busyTimeoutMs, err);
      if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') throw new InvalidArgumentError(`${file} is not a usable SQLite database: ${(err as Error).message}`);
      throw err;
    }
  }

  /** The whole database image as of the cut. */
  image(): Buffer {
    return this.db.serialize();
  }

  /** Ends the read transaction and closes the connection. */
  close(): void {
    if (!this.db.open) return;
    try {
      this.db.prepare('COMMIT').run();
    } finally {
      this.db.close();
    }
  }
}

/**
 * The mark set of a collection: every id reachable from the retained snapshots, kept in a
 * scratch SQLite file attached to the index connection as `gcmark`, so memory stays bounded
 * however many chunks a store holds (a page cache of `MARK_CACHE_KIB`, plus one batch of
 * ids not yet written). Being attached, the set joins the chunk index in plain SQL: the
 * condemn step is one `INSERT … SELECT … WHERE NOT EXISTS` over both.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type Database from 'better-sqlite3';
import { contentIdToBytes, type ContentId } from '../hash/index.js';
import { KIND_DATA } from '../cas/index.js';
import { KIND_SNAPSHOT, walkReachable, walkReachableContent, walkReachableTree, type Repository } from '../snapshot/index.js';

const LIST_MAGIC = Buffer.from('MSLN');

function isListNode(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && Buffer.from(bytes.buffer, bytes.byteOffset, 4).equals(LIST_MAGIC);
}

/** Name prefix of mark directories (a killed collection's are removed by the next). */
export const MARK_DIR_PREFIX = 'memsnap-gc-mark-';

/** Page cache of the mark database, in KiB (16 MiB). */
export const MARK_CACHE_KIB = 16 * 1024;
/** Ids buffered in memory before they are written to the mark database. */
const BATCH = 8192;
/**
 * Ids offered between two turns of the event loop. Reads and hashing are synchronous
 * underneath, and the hashing addon frees its result buffers only when the loop turns:
 * without these turns a mark of a million ids holds hundreds of MiB (bench/gc-scale.ts).
 */
const YIELD_EVERY = 4096;

/** Reachable ids of a collection, in an attached scratch database. Close it when done. */
export class MarkSet {
  private readonly dir: string;
  private pending = new Set<ContentId>();
  private readonly stmts;
  /** Ids marked so far (metadata objects and data chunks). */
  marked = 0;
  private offered = 0;

  /** Attaches a new, empty mark database to `db`, in a private directory under `tmpRoot`. */
  constructor(
    private readonly db: Database.Database,
    tmpRoot: string = os.tmpdir(),
  ) {
    this.dir = fs.mkdtempSync(path.join(tmpRoot, MARK_DIR_PREFIX));
    db.prepare(`ATTACH DATABASE ? AS gcmark`).run(path.join(this.dir, 'mark.sqlite'));
    db.exec(`
      PRAGMA gcmark.journal_mode = OFF;
      PRAGMA gcmark.synchronous = OFF;
      PRAGMA gcmark.locking_mode = EXCLUSIVE;
      PRAGMA gcmark.cache_size = -${MARK_CACHE_KIB};
      CREATE TABLE gcmark.marked (id BLOB PRIMARY KEY) WITHOUT ROWID;
      CREATE TABLE gcmark.roots (id TEXT PRIMARY KEY) WITHOUT ROWID;
    `);
    this.stmts = {
      has: db.prepare(`SELECT 1 FROM gcmark.marked WHERE id = ?`).pluck(),
      add: db.prepare(`INSERT OR IGNORE INTO gcmark.marked (id) VALUES (?)`),
      addRoot: db.prepare(`INSERT OR IGNORE INTO gcmark.roots (id) VALUES (?)`),
    };
  }

  /** Whether `id` is marked. */
  has(id: ContentId): boolean {
    return this.pending.has(id) || this.stmts.has.get(contentIdToBytes(id)) !== undefined;
  }

  /** Marks `id`; returns false when it already was. */
  add(id: ContentId): boolean {
    if (this.has(id)) return false;
    this.pending.add(id);
    this.marked++;
    if (this.pending.size >= BATCH) this.flush();
    return true;
  }

  /**
   * Marks everything the snapshots `ids` need, walking each shared subtree once, and
   * records them as roots. `onSnapshot` is called after each one.
   */
  async markSnapshots(repo: Repository, ids: readonly ContentId[], onSnapshot?: (done: number) => void): Promise<void> {
    let done = 0;
    for (const id of ids) {
      await walkReachable(repo, [id], this.enter);
      this.stmts.addRoot.run(id);
      onSnapshot?.(++done);
    }
    this.flush();
  }

  /**
   * Marks pinned ids (what running writers build on without having committed it yet) and
   * everything they reach. A pin may name any object: a snapshot root, a tree, a list node
   * or a data chunk (told apart by the index's kind byte and a list node's magic). An id the
   * index does not hold is marked all the same, so the condemn step's check settles.
   */
  async markPinned(repo: Repository, ids: readonly ContentId[]): Promise<void> {
    const enter = this.enter;
    for (const id of ids) {
      const loc = repo.chunks.locate(id);
      if (!loc || loc.kind === KIND_DATA) this.add(id);
      else if (loc.kind === KIND_SNAPSHOT) await walkReachable(repo, [id], enter);
      else if (isListNode(await repo.getChunk(id))) await walkReachableContent(repo, { size: 0, list: id }, '', enter);
      else await walkReachableTree(repo, id, '', enter);
    }
    this.flush();
  }

  /** The walk's visitor: marks, and lets the event loop turn every {@link YIELD_EVERY} ids. */
  private readonly enter = (id: ContentId): boolean | Promise<boolean> => {
    const fresh = this.add(id);
    if (++this.offered % YIELD_EVERY !== 0) return fresh;
    return new Promise((resolve) => setImmediate(() => resolve(fresh)));
  };

  /** Writes buffered ids to the mark database. */
  flush(): void {
    if (this.pending.size === 0) return;
    const ids = this.pending;
    this.pending = new Set();
    this.db.transaction(() => {
      for (const id of ids) this.stmts.add.run(contentIdToBytes(id));
    })();
  }

  /** Detaches and deletes the mark database. */
  close(): void {
    try {
      if (this.db.open) this.db.exec(`DETACH DATABASE gcmark`);
    } finally {
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

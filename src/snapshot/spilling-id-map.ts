/**
 * A map from content ids to small integers that keeps insertion order and bounded memory:
 * up to `maxInMemory` ids live in a JavaScript Map (~150 bytes each); past that, all of them
 * move to an anonymous temporary SQLite database (on disk, deleted when closed, with
 * SQLite's own small page cache), and every operation goes there. Export plans, the
 * bundle checker and snapshot verification use it, so any number of objects is handled in
 * bounded memory; below the threshold nothing changes and nothing touches the disk.
 */
import Database from 'better-sqlite3';
import { InvalidArgumentError } from '../errors/index.js';
import { contentIdFromBytes, contentIdToBytes, type ContentId } from '../hash/index.js';

/** Ids kept in memory before a map spills to disk, by default (~40 MB). */
export const DEFAULT_MAX_IDS_IN_MEMORY = 262_144;

/** Content id → small integer, in insertion order; see the module comment. Call `close`. */
export class SpillingIdMap {
  private memory: Map<ContentId, number> | undefined = new Map();
  private db: Database.Database | undefined;
  private stmts:
    | { get: Database.Statement; insert: Database.Statement; update: Database.Statement; del: Database.Statement; all: Database.Statement; sorted: Database.Statement }
    | undefined;
  private count = 0;

  /** @param maxInMemory ids held in memory before spilling (default {@link DEFAULT_MAX_IDS_IN_MEMORY}). */
  constructor(private readonly maxInMemory: number = DEFAULT_MAX_IDS_IN_MEMORY) {
    if (!Number.isSafeInteger(maxInMemory) || maxInMemory < 0) throw new InvalidArgumentError(`maxIdsInMemory must be a whole number, got ${maxInMemory}`);
  }

  /** Number of ids held. */
  get size(): number {
    return this.count;
  }

  /** Whether the map moved to disk. */
  get spilled(): boolean {
    return this.db !== undefined;
  }

  /** Whether `id` is in the map. */
  has(id: ContentId): boolean {
    return this.get(id) !== undefined;
  }

  /** The value of `id`, or undefined. */
  get(id: ContentId): number | undefined {
    if (this.memory) return this.memory.get(id);
    return this.stmts!.get.get(contentIdToBytes(id)) as number | undefined;
  }

  /** Sets the value of `id`; a new id goes last in the order, an existing one keeps its place. */
  set(id: ContentId, value: number): void {
    if (this.memory) {
      if (!this.memory.has(id)) {
        if (this.count >= this.maxInMemory) {
          this.spill();
          return this.set(id, value);
        }
        this.count++;
      }
      this.memory.set(id, value);
      return;
    }
    const key = contentIdToBytes(id);
    if (this.stmts!.update.run(value, key).changes === 0) {
      this.stmts!.insert.run(key, value);
      this.count++;
    }
  }

  /** Removes `id` (no-op when absent). */
  delete(id: ContentId): void {
    if (this.memory) {
      if (this.memory.delete(id)) this.count--;
      return;
    }
    this.count -= this.stmts!.del.run(contentIdToBytes(id)).changes;
  }

  /** Every id and value in insertion order (lazily from disk once spilled; do not modify the map meanwhile). */
  *entries(): Generator<[ContentId, number]> {
    if (this.memory) {
      yield* this.memory;
      return;
    }
    for (const [id, v] of this.stmts!.all.iterate() as Iterable<[Buffer, number]>) yield [contentIdFromBytes(id), v];
  }

  /** Every id in ascending order (byte order, which is hex order). */
  *sortedKeys(): Generator<ContentId> {
    if (this.memory) {
      yield* [...this.memory.keys()].sort();
      return;
    }
    for (const id of this.stmts!.sorted.iterate() as Iterable<Buffer>) yield contentIdFromBytes(id);
  }

  /** Every id in insertion order. */
  *keys(): Generator<ContentId> {
    for (const [id] of this.entries()) yield id;
  }

  /** Drops everything (and the temporary database). Idempotent. */
  close(): void {
    this.db?.close();
    this.db = undefined;
    this.stmts = undefined;
    this.memory = new Map();
    this.count = 0;
  }

  private spill(): void {
    // '' opens an anonymous temporary database: on disk, private, removed on close.
    const db = new Database('');
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.exec('CREATE TABLE ids (seq INTEGER PRIMARY KEY, id BLOB NOT NULL UNIQUE, v INTEGER NOT NULL)');
    const insert = db.prepare('INSERT INTO ids (id, v) VALUES (?, ?)');
    db.transaction(() => {
      for (const [id, v] of this.memory!) insert.run(contentIdToBytes(id), v);
    })();
    this.db = db;
    this.stmts = {
      get: db.prepare('SELECT v FROM ids WHERE id = ?').pluck(),
      insert,
      update: db.prepare('UPDATE ids SET v = ? WHERE id = ?'),
      del: db.prepare('DELETE FROM ids WHERE id = ?'),
      all: db.prepare('SELECT id, v FROM ids ORDER BY seq').raw(),
      sorted: db.prepare('SELECT id FROM ids ORDER BY id').pluck(),
    };
    this.memory = undefined;
  }
}

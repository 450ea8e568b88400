/**
 * Writer leases and the collection epoch: how garbage collection and running writers share
 * one store without losing a chunk (docs/ARCHITECTURE.md, "Garbage collection beside
 * writers").
 *
 * Every chunk writer holds a lease (a row in `writers`) from creation until it is closed or
 * released, stamped with the collection epoch current when it started. Collection moves
 * unreferenced chunk rows into `condemned_chunks` and bumps the epoch in the same
 * transaction; their bytes stay in the packs until every lease older than that epoch has
 * ended. A writer whose snapshot commits after a condemnation calls `confirm` inside the
 * commit transaction: condemned chunks it relied on are moved back (rescued), so nothing it
 * references can be swept. Writers that start after a condemnation never see condemned rows
 * and write such chunks again.
 *
 * Liveness: a lease is live while its process runs (same host, `kill(pid, 0)` succeeds).
 * Leases of other hosts count as live until `FOREIGN_LEASE_MAX_MS` old (the store is local
 * today; an S3 backend will need heartbeats).
 */
import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import type Database from 'better-sqlite3';
import { ConflictError } from '../errors/index.js';
import { contentIdFromBytes, contentIdToBytes, type ContentId } from '../hash/index.js';

/** Age after which a lease from another host is treated as abandoned, in ms (24 h). */
export const FOREIGN_LEASE_MAX_MS = 24 * 3600_000;

/** A writer's registration. */
export interface WriterLease {
  readonly writerId: string;
  /** Collection epoch when the writer started. */
  readonly epoch: number;
}

/** One row of the `writers` table. */
export interface LeaseRow {
  readonly writerId: string;
  readonly host: string;
  readonly pid: number;
  readonly startedMs: number;
  readonly epoch: number;
}

/** The current collection epoch (0 until the first condemnation). */
export function currentEpoch(db: Database.Database): number {
  const v = db.prepare(`SELECT value FROM index_meta WHERE key = 'gc_epoch'`).pluck().get() as string | undefined;
  return v === undefined ? 0 : Number(v);
}

/** Advances the epoch by one and returns the new value. Call inside the condemning transaction. */
export function advanceEpoch(db: Database.Database): number {
  const next = currentEpoch(db) + 1;
  db.prepare(`INSERT INTO index_meta (key, value) VALUES ('gc_epoch', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(String(next));
  return next;
}

/**
 * Runs `fn` with `synchronous = NORMAL`: a lease needs to be visible to other processes at
 * once (WAL shared memory does that), never to survive a power cut (its writer would not
 * either), so its commits skip the fsync that costs 2-5 ms on every capture.
 */
function withoutFsync<T>(db: Database.Database, fn: () => T): T {
  // Inside a caller's transaction the setting cannot change; the work joins that commit.
  if (db.inTransaction) return fn();
  const previous = db.pragma('synchronous', { simple: true }) as number;
  db.pragma('synchronous = NORMAL');
  try {
    return fn();
  } finally {
    db.pragma(`synchronous = ${previous}`);
  }
}

/** Registers a writer of this process at the current epoch (one short write transaction). */
export function acquireLease(db: Database.Database): WriterLease {
  return withoutFsync(db, () =>
    db
      .transaction((): WriterLease => {
        const lease = { writerId: randomUUID(), epoch: currentEpoch(db) };
        db.prepare(`INSERT INTO writers (writer_id, host, pid, started_ms, epoch) VALUES (?, ?, ?, ?, ?)`).run(lease.writerId, os.hostname(), process.pid, Date.now(), lease.epoch);
        return lease;
      })
      .immediate(),
  );
}

/** Drops a lease and its pins; dropping one that is gone is not an error. */
export function releaseLease(db: Database.Database, lease: WriterLease): void {
  if (!db.open) return;
  withoutFsync(db, () =>
    db.transaction(() => {
      db.prepare(`DELETE FROM writers WHERE writer_id = ?`).run(lease.writerId);
      db.prepare(`DELETE FROM pins WHERE writer_id = ?`).run(lease.writerId);
    })(),
  );
}

/**
 * Pins ids for the lease's lifetime: a collection treats each as a root (with everything it
 * reaches), so what a writer builds on without putting (an incremental import's base) cannot
 * be condemned under it. Pin before checking that the ids are present.
 */
export function pinIds(db: Database.Database, lease: WriterLease, ids: readonly ContentId[]): void {
  withoutFsync(db, () =>
    db.transaction(() => {
      const pin = db.prepare(`INSERT OR IGNORE INTO pins (writer_id, id) VALUES (?, ?)`);
      for (const id of ids) pin.run(lease.writerId, contentIdToBytes(id));
    }).immediate(),
  );
}

interface CondemnedRow {
  id: Buffer;
  pack_id: number;
  offset: number;
  raw_length: number;
  stored_length: number;
  kind: number;
  codec: number;
}

/** Every lease row. */
export function leases(db: Database.Database): LeaseRow[] {
  return db.prepare(`SELECT writer_id AS writerId, host, pid, started_ms AS startedMs, epoch FROM writers`).all() as LeaseRow[];
}

/** Whether the lease's writer may still be running (see the module comment). */
export function isLeaseLive(row: LeaseRow, nowMs = Date.now()): boolean {
  if (row.host !== os.hostname()) return nowMs - row.startedMs < FOREIGN_LEASE_MAX_MS;
  if (row.pid === process.pid) return true;
  try {
    process.kill(row.pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes leases whose writers are gone; returns how many. */
export function pruneDeadLeases(db: Database.Database): number {
  const dead = leases(db).filter((l) => !isLeaseLive(l));
  for (const l of dead) releaseLease(db, l);
  db.prepare(`DELETE FROM pins WHERE writer_id NOT IN (SELECT writer_id FROM writers)`).run();
  return dead.length;
}

/** Live leases that started before `epoch` (the writers a sweep of that epoch must outlast). */
export function liveLeasesBefore(db: Database.Database, epoch: number): LeaseRow[] {
  return leases(db).filter((l) => l.epoch < epoch && isLeaseLive(l));
}

/**
 * Makes sure every id in `relied` (32-byte ids end to end) is indexed, rescuing condemned
 * chunks. Must run inside the transaction that makes the writer's chunks reachable. Cheap
 * when no condemnation happened since the lease started (one read).
 * @throws ConflictError when a chunk was swept meanwhile (only possible if the lease was
 *   taken for dead): the commit must not happen; capture again.
 */
export function confirmLease(db: Database.Database, lease: WriterLease, relied: Uint8Array): number {
  if (currentEpoch(db) === lease.epoch) return 0;
  const ids: Buffer[] = [];
  for (let at = 0; at + 32 <= relied.length; at += 32) ids.push(Buffer.from(relied.buffer, relied.byteOffset + at, 32));
  const present = db.prepare(`SELECT 1 FROM chunks WHERE id = ?`).pluck();
  const condemned = db.prepare(`SELECT * FROM condemned_chunks WHERE id = ? ORDER BY epoch DESC LIMIT 1`);
  const revive = db.prepare(
    `INSERT OR IGNORE INTO chunks (id, pack_id, offset, raw_length, stored_length, kind, codec) VALUES (@id, @pack_id, @offset, @raw_length, @stored_length, @kind, @codec)`,
  );
  const forget = db.prepare(`DELETE FROM condemned_chunks WHERE id = ? AND pack_id = ?`);
  let rescued = 0;
  for (const id of ids) {
    if (present.get(id) !== undefined) continue;
    const row = condemned.get(id) as CondemnedRow | undefined;
    if (!row) {
      const missing: ContentId = contentIdFromBytes(id);
      throw new ConflictError(`chunk ${missing.slice(0, 12)} was garbage-collected while this writer ran; capture or import again`, { chunk: missing });
    }
    revive.run({ id: row.id, pack_id: row.pack_id, offset: row.offset, raw_length: row.raw_length, stored_length: row.stored_length, kind: row.kind, codec: row.codec });
    forget.run(row.id, row.pack_id);
    rescued++;
  }
  return rescued;
}

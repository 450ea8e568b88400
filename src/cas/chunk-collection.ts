/**
 * The chunk store's side of garbage collection: condemning unreferenced chunks, deciding
 * which packs to delete or rewrite, rewriting them, and a journal that makes every step
 * safe to kill. What is referenced is decided above (src/gc); this module only knows
 * chunks, packs, leases and the marked-id table it is handed.
 *
 * Order of a collection (docs/ARCHITECTURE.md, "Garbage collection beside writers"):
 * 1. condemn: in one transaction, move index rows of unmarked chunks in packs that existed
 *    when marking began into `condemned_chunks`, and advance the epoch;
 * 2. sweep, once no live writer predates a condemned row's epoch: packs with nothing live
 *    are deleted; packs whose live share fell below the threshold, or that hold a dead
 *    chunk of a kind the caller wants purged (snapshot roots), are rewritten;
 * 3. every pack deletion and every rewrite's new pack is journaled in `gc_journal` before
 *    the backend is touched, so a collector killed at any point leaves either an unindexed
 *    pack to delete or a deletion to finish: `finishJournal` completes both.
 */
import type Database from 'better-sqlite3';
import { NotFoundError } from '../errors/index.js';
import { contentIdToBytes, hashContent } from '../hash/index.js';
import type { ObjectBackend } from './backend/object-backend.js';
import type { ChunkIndex } from './chunk-index.js';
import { decodePayload } from './compression.js';
import { buildPack, type PackItem } from './pack-builder.js';
import { ENTRY_HEADER_BYTES, TABLE_RECORD_BYTES, packKey, payloadOffset, type Codec } from './pack-format.js';
import { advanceEpoch, leases, isLeaseLive } from './writer-leases.js';

/** Live share of a pack's bytes below which it is rewritten (default 0.5). */
export const DEFAULT_REPACK_THRESHOLD = 0.5;

/** How packs are judged in a sweep. */
export interface PackPolicy {
  /** Rewrite a pack whose live share of bytes is below this (0..1). */
  readonly threshold: number;
  /**
   * Chunk kinds whose dead copies must not survive in any pack, whatever its live share
   * (the caller's meaning: the snapshot layer passes its root kind, so an index rebuild
   * cannot bring back a forgotten snapshot). Kinds are opaque here.
   */
  readonly purgeKinds: readonly number[];
}

/** What a condemnation moved. */
export interface Condemned {
  readonly epoch: number;
  readonly chunks: number;
  /** Stored (compressed) bytes of the condemned chunks. */
  readonly storedBytes: number;
}

/**
 * Moves every indexed chunk that is in a pack with id ≤ `maxPackId` and absent from
 * `markedTable` (a table with a BLOB `id` column) into `condemned_chunks`, under a new
 * epoch. Call inside an IMMEDIATE transaction that has just checked that everything
 * committed is marked.
 */
export function condemnUnmarked(db: Database.Database, maxPackId: number, markedTable: string): Condemned {
  const epoch = advanceEpoch(db);
  // `+c.pack_id`: scan the table rather than look every row up through the pack index.
  const unmarked = `FROM chunks c WHERE +c.pack_id <= ? AND NOT EXISTS (SELECT 1 FROM ${markedTable} m WHERE m.id = c.id)`;
  const totals = db.prepare(`SELECT count(*) AS chunks, coalesce(sum(c.stored_length), 0) AS storedBytes ${unmarked}`).get(maxPackId) as { chunks: number; storedBytes: number };
  db.prepare(
    `INSERT OR REPLACE INTO condemned_chunks (id, pack_id, offset, raw_length, stored_length, kind, codec, epoch)
     SELECT c.id, c.pack_id, c.offset, c.raw_length, c.stored_length, c.kind, c.codec, ? ${unmarked}`,
  ).run(epoch, maxPackId);
  db.prepare(`DELETE FROM chunks WHERE id IN (SELECT id FROM condemned_chunks WHERE epoch = ?)`).run(epoch);
  return { epoch, ...totals };
}

/** The highest pack id in the index (0 when there is none). */
export function maxPackId(db: Database.Database): number {
  return (db.prepare(`SELECT coalesce(max(pack_id), 0) FROM packs`).pluck().get() as number) ?? 0;
}

/** One pack's fate in a sweep. */
export interface PackVerdict {
  readonly packId: number;
  readonly name: string;
  readonly size: number;
  /** Indexed (live) chunks left in the pack. */
  readonly liveChunks: number;
  /** Bytes of the pack the live chunks account for (payload, entry header, table record). */
  readonly liveBytes: number;
  readonly action: 'delete' | 'rewrite';
}

/** The outcome of {@link sweepIndex}. */
export interface SweepPlan {
  readonly deleted: readonly PackVerdict[];
  readonly rewrite: readonly PackVerdict[];
  /** Condemned chunks left for a later sweep because a writer older than them still runs. */
  readonly deferredChunks: number;
  /** Condemned chunks settled (their rows dropped) in this sweep. */
  readonly settledChunks: number;
}

/**
 * Plans the fate of every pack from the index alone: rows of live chunks per pack against
 * its size, condemned rows and the live writers. `liveFilter`, when given, is an extra SQL
 * condition on chunk rows `c` (a dry run passes "marked" to preview a condemnation).
 */
export function planPacks(db: Database.Database, policy: PackPolicy, liveFilter?: string): { verdicts: PackVerdict[]; blockedPacks: Set<number>; deferredChunks: number } {
  const minLive = Math.min(...leases(db).filter((l) => isLeaseLive(l)).map((l) => l.epoch), Number.POSITIVE_INFINITY);
  const purge = (kind: string) => (policy.purgeKinds.length > 0 ? `${kind} IN (${policy.purgeKinds.map((k) => Math.floor(k)).join(',')})` : '0');
  const condemned = db.prepare(`SELECT pack_id AS packId, max(epoch) AS maxEpoch, count(*) AS n, sum(${purge('kind')}) AS roots FROM condemned_chunks GROUP BY pack_id`).all() as {
    packId: number;
    maxEpoch: number;
    n: number;
    roots: number;
  }[];
  const blockedPacks = new Set<number>();
  const deadRoots = new Set<number>();
  let deferredChunks = 0;
  for (const c of condemned) {
    if (c.maxEpoch > minLive) (blockedPacks.add(c.packId), (deferredChunks += c.n));
    else if (c.roots > 0) deadRoots.add(c.packId);
  }
  const live = liveFilter ? `(${liveFilter})` : '1';
  const rows = db
    .prepare(
      `SELECT p.pack_id AS packId, p.name, p.size, p.entry_count AS entryCount,
              coalesce(sum(CASE WHEN c.id IS NOT NULL AND ${live} THEN 1 ELSE 0 END), 0) AS liveChunks,
              coalesce(sum(CASE WHEN c.id IS NOT NULL AND ${live} THEN c.stored_length + ${ENTRY_HEADER_BYTES + TABLE_RECORD_BYTES} ELSE 0 END), 0) AS liveBytes,
              coalesce(sum(CASE WHEN c.id IS NOT NULL AND NOT ${live} AND ${purge('c.kind')} THEN 1 ELSE 0 END), 0) AS deadRoots
       FROM packs p LEFT JOIN chunks c ON c.pack_id = p.pack_id GROUP BY p.pack_id`,
    )
    .all() as { packId: number; name: string; size: number; entryCount: number; liveChunks: number; liveBytes: number; deadRoots: number }[];
  const verdicts: PackVerdict[] = [];
  for (const r of rows) {
    if (blockedPacks.has(r.packId)) continue;
    const base = { packId: r.packId, name: r.name, size: r.size, liveChunks: r.liveChunks, liveBytes: r.liveBytes };
    if (r.liveChunks === 0) verdicts.push({ ...base, action: 'delete' });
    else if (deadRoots.has(r.packId) || r.deadRoots > 0 || r.liveBytes / r.size < policy.threshold) verdicts.push({ ...base, action: 'rewrite' });
  }
  return { verdicts, blockedPacks, deferredChunks };
}

/**
 * Decides and records a sweep in one IMMEDIATE transaction: packs with nothing live lose
 * their rows and are journaled for deletion; condemned rows no writer can still rescue are
 * dropped, except those of packs to rewrite (they go with the rewrite). The backend is not
 * touched: call `finishJournal` and `rewritePacks` next.
 */
export function sweepIndex(db: Database.Database, policy: PackPolicy): SweepPlan {
  return db
    .transaction((): SweepPlan => {
      const { verdicts, blockedPacks, deferredChunks } = planPacks(db, policy);
      const deleted = verdicts.filter((v) => v.action === 'delete');
      const rewrite = verdicts.filter((v) => v.action === 'rewrite');
      const journal = db.prepare(`INSERT OR REPLACE INTO gc_journal (pack, action, created_ms) VALUES (?, 'delete', ?)`);
      for (const v of deleted) {
        db.prepare(`DELETE FROM condemned_chunks WHERE pack_id = ?`).run(v.packId);
        db.prepare(`DELETE FROM packs WHERE pack_id = ?`).run(v.packId);
        journal.run(v.name, Date.now());
      }
      const keep = new Set([...blockedPacks, ...rewrite.map((v) => v.packId)]);
      const settleable = db.prepare(`SELECT DISTINCT pack_id FROM condemned_chunks`).pluck().all() as number[];
      let settledChunks = 0;
      for (const packId of settleable) if (!keep.has(packId)) settledChunks += db.prepare(`DELETE FROM condemned_chunks WHERE pack_id = ?`).run(packId).changes;
      return { deleted, rewrite, deferredChunks, settledChunks };
    })
    .immediate();
}

/**
 * Completes journaled work: deletes packs journaled for deletion, and new packs of an
 * interrupted rewrite that never got indexed. Returns the pack names removed.
 */
export async function finishJournal(db: Database.Database, backend: Pick<ObjectBackend, 'delete'>): Promise<string[]> {
  const rows = db.prepare(`SELECT pack, action FROM gc_journal ORDER BY pack`).all() as { pack: string; action: string }[];
  const removed: string[] = [];
  for (const row of rows) {
    const indexed = db.prepare(`SELECT 1 FROM packs WHERE name = ?`).pluck().get(row.pack) !== undefined;
    // A rewrite's new pack that got indexed is live: only its journal row is stale.
    if (!(row.action === 'write' && indexed)) {
      await backend.delete(packKey(row.pack));
      removed.push(row.pack);
    }
    db.prepare(`DELETE FROM gc_journal WHERE pack = ?`).run(row.pack);
  }
  return removed;
}

/** What rewriting packs did. */
export interface RewriteResult {
  readonly packsRewritten: number;
  readonly packsWritten: number;
  readonly chunksMoved: number;
  /** Packs left as they were because a live chunk in them is damaged or missing (run verify). */
  readonly damaged: readonly { readonly pack: string; readonly chunk: string; readonly reason: string }[];
}

/**
 * Copies the live chunks of `packs` into new packs of up to `targetBytes` payload, verifying
 * every chunk on the way (stored bytes are copied as they are, never recompressed), then
 * repoints their index rows and retires the old packs, one group at a time. Memory: one
 * group (≤ `targetBytes`) at a time. A pack with a damaged or missing live chunk is left as
 * it is and reported; the others are rewritten.
 */
export async function rewritePacks(
  index: ChunkIndex,
  backend: ObjectBackend,
  packs: readonly Pick<PackVerdict, 'packId' | 'name'>[],
  targetBytes: number,
  onPack?: (done: number) => void,
): Promise<RewriteResult> {
  const db = index.database;
  const result = { packsRewritten: 0, packsWritten: 0, chunksMoved: 0, damaged: [] as { pack: string; chunk: string; reason: string }[] };
  let group: Pick<PackVerdict, 'packId' | 'name'>[] = [];
  let moves: { item: PackItem; from: number }[] = [];
  let bytes = 0;
  const flushGroup = async (): Promise<void> => {
    if (group.length === 0) return;
    const olds = group;
    const moved = moves;
    group = [];
    moves = [];
    bytes = 0;
    const built = moved.length > 0 ? buildPack(moved.map((m) => m.item)) : undefined;
    if (built) {
      db.prepare(`INSERT OR REPLACE INTO gc_journal (pack, action, created_ms) VALUES (?, 'write', ?)`).run(built.hash, Date.now());
      await backend.put(packKey(built.hash), built.bytes);
    }
    db.transaction(() => {
      if (built) {
        // The rows exist (pointing at the old packs), so this records only the pack.
        index.addPackRows(built.hash, built.bytes.length, built.entries);
        const newId = db.prepare(`SELECT pack_id FROM packs WHERE name = ?`).pluck().get(built.hash) as number;
        const move = db.prepare(`UPDATE chunks SET pack_id = ?, offset = ? WHERE id = ? AND pack_id = ?`);
        built.entries.forEach((e, i) => move.run(newId, e.offset, contentIdToBytes(e.id), moved[i]!.from));
        db.prepare(`DELETE FROM gc_journal WHERE pack = ?`).run(built.hash);
      }
      for (const old of olds) {
        // Nothing else repoints rows of a pack being rewritten; if a row is left, the pack stays.
        if ((db.prepare(`SELECT count(*) FROM chunks WHERE pack_id = ?`).pluck().get(old.packId) as number) > 0) continue;
        db.prepare(`DELETE FROM condemned_chunks WHERE pack_id = ?`).run(old.packId);
        db.prepare(`DELETE FROM packs WHERE pack_id = ?`).run(old.packId);
        db.prepare(`INSERT OR REPLACE INTO gc_journal (pack, action, created_ms) VALUES (?, 'delete', ?)`).run(old.name, Date.now());
        result.packsRewritten++;
      }
    }).immediate();
    await finishJournal(db, backend);
    if (built) result.packsWritten++;
    result.chunksMoved += moved.length;
  };
  for (const [i, pack] of packs.entries()) {
    const copies = await readLiveCopies(index, backend, pack);
    if ('damaged' in copies) {
      // Never launder a damaged chunk into a fresh pack, and never drop it: the pack stays.
      result.damaged.push({ pack: pack.name, chunk: copies.damaged.chunk, reason: copies.damaged.reason });
    } else {
      group.push(pack);
      for (const item of copies.items) {
        moves.push({ item, from: pack.packId });
        bytes += item.bytes.length;
      }
    }
    if (bytes >= targetBytes) await flushGroup();
    onPack?.(i + 1);
    // Let the event loop turn: the hashing addon frees its buffers only then.
    await new Promise((resolve) => setImmediate(resolve));
  }
  await flushGroup();
  return result;
}

/** The live chunks of `pack`, each read and verified, or the first damaged one. */
async function readLiveCopies(
  index: ChunkIndex,
  backend: ObjectBackend,
  pack: Pick<PackVerdict, 'name'>,
): Promise<{ items: PackItem[] } | { damaged: { chunk: string; reason: string } }> {
  const items: PackItem[] = [];
  for (const loc of index.chunksInPack(pack.name)) {
    let stored: Uint8Array;
    try {
      stored = await backend.getRange(packKey(loc.pack), payloadOffset(loc), loc.storedLength);
    } catch (err) {
      if (err instanceof NotFoundError) return { damaged: { chunk: loc.id, reason: 'its pack is missing' } };
      throw err;
    }
    let reason: string | undefined;
    if (stored.length !== loc.storedLength) reason = `pack is truncated (${stored.length} of ${loc.storedLength} bytes)`;
    else {
      try {
        if (hashContent(decodePayload(loc.codec, stored, loc.rawLength)) !== loc.id) reason = 'content does not match its hash';
      } catch (err) {
        reason = (err as Error).message;
      }
    }
    if (reason !== undefined) return { damaged: { chunk: loc.id, reason } };
    items.push({ id: loc.id, kind: loc.kind, rawLength: loc.rawLength, codec: loc.codec as Codec, bytes: stored });
  }
  return { items };
}

/**
 * Garbage collection: mark → condemn → sweep → rewrite, safe beside running captures and
 * imports in any process, and safe to kill at any point (docs/ARCHITECTURE.md, "Garbage
 * collection beside writers").
 *
 * - mark: every snapshot in the catalog is a root, and so is every id a running writer
 *   pinned (the base an import builds on); everything they reach goes into a
 *   {@link MarkSet} on disk (memory stays bounded).
 * - condemn: in one transaction that first checks that no snapshot committed or id pinned
 *   meanwhile is unmarked (else those are marked and the step retried), index rows of unmarked chunks
 *   in packs older than the mark are moved aside under a new epoch. Writers that started
 *   earlier rescue what they rely on when they commit (`ChunkWriter.confirmReferences`).
 * - sweep: once every writer older than the condemnation has ended (waiting up to
 *   `waitForWritersMs`, else the sweep is left to a later run), empty packs are deleted and
 *   sparse packs (and packs holding a dead snapshot root, so an index rebuild cannot bring
 *   a forgotten snapshot back) are rewritten.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InvalidArgumentError, MemsnapError } from '../errors/index.js';
import { contentIdFromBytes, type ContentId } from '../hash/index.js';
import {
  DEFAULT_REPACK_THRESHOLD,
  condemnUnmarked,
  finishJournal,
  liveLeasesBefore,
  leases,
  isLeaseLive,
  maxPackId,
  planPacks,
  pruneDeadLeases,
  rewritePacks,
  sweepIndex,
  type Condemned,
  type PackPolicy,
  type PackVerdict,
  type ProgressCallback,
} from '../cas/index.js';
import { KIND_SNAPSHOT, type Repository } from '../snapshot/index.js';
import { acquireMaintenanceLock } from './maintenance-lock.js';
import { MARK_DIR_PREFIX, MarkSet } from './mark-set.js';

/** Options of {@link collectGarbage}. */
export interface CollectOptions {
  /** Plan only: mark and report what would go, change nothing. Default false. */
  readonly dryRun?: boolean;
  /** Rewrite packs whose live share of bytes is below this (0..1). Default 0.5. */
  readonly repackThreshold?: number;
  /** How long to wait for writers older than the condemnation, in ms. Default 60000. */
  readonly waitForWritersMs?: number;
  /** Where the mark database goes. Default: the store's `tmp/`, else the OS temp dir. */
  readonly tmpDir?: string;
  readonly onProgress?: ProgressCallback;
}

/** One pack a collection deletes or rewrites. */
export interface PlannedPack {
  readonly pack: string;
  readonly action: 'delete' | 'rewrite';
  /** Pack file size in bytes. */
  readonly size: number;
  /** Bytes of it still needed (payloads with their entry headers and table records). */
  readonly liveBytes: number;
}

/** What a collection found and did. Bytes are pack-file bytes. */
export interface CollectReport {
  readonly dryRun: boolean;
  readonly roots: { readonly snapshots: number; readonly agents: number; readonly writersInFlight: number };
  readonly chunks: {
    readonly before: number;
    /** Ids reached from the roots (objects and data chunks). */
    readonly marked: number;
    /** Chunks found unreferenced by this run (would be, for a dry run). */
    readonly unreferenced: number;
    readonly unreferencedBytes: number;
    /** Condemned chunks whose sweep waits for writers still running. */
    readonly deferred: number;
    readonly after: number;
  };
  readonly packs: { readonly before: number; readonly deleted: number; readonly rewritten: number; readonly written: number; readonly after: number };
  readonly bytes: { readonly before: number; readonly after: number };
  /** The packs deleted or rewritten (to be, for a dry run), with their live share. */
  readonly plan: readonly PlannedPack[];
  /** Packs removed while finishing an interrupted collection. */
  readonly recoveredPacks: number;
  /** Packs left unrewritten because a live chunk in them is damaged (run verify, then repair). */
  readonly damagedPacks: readonly { readonly pack: string; readonly chunk: string; readonly reason: string }[];
  readonly durationMs: number;
}

const POLL_MS = 50;

/**
 * Collects garbage in `repo`. One collection runs at a time per store.
 * @throws LockedError when another collection runs; InvalidArgumentError for bad options;
 *   a MemsnapError naming the snapshot when a root cannot be read (nothing is collected).
 */
export async function collectGarbage(repo: Repository, options: CollectOptions = {}): Promise<CollectReport> {
  const started = performance.now();
  const threshold = options.repackThreshold ?? DEFAULT_REPACK_THRESHOLD;
  if (!(threshold >= 0 && threshold <= 1)) throw new InvalidArgumentError(`repack threshold must be between 0 and 1, got ${threshold}`);
  const waitMs = options.waitForWritersMs ?? 60_000;
  if (!(waitMs >= 0)) throw new InvalidArgumentError(`writer wait must be ≥ 0 ms, got ${waitMs}`);
  const index = repo.chunks.index;
  const db = index.database;
  const backend = repo.chunks.backend;
  const lock = acquireMaintenanceLock(db);
  try {
    const before = repo.chunks.stats();
    const recovered = options.dryRun ? [] : await finishJournal(db, backend);
    if (!options.dryRun) pruneDeadLeases(db);
    const writersInFlight = leases(db).filter((l) => isLeaseLive(l)).length;
    const markedPacks = maxPackId(db);
    const roots = repo.catalog.list().map((s) => s.id);
    const mark = new MarkSet(db, markDir(index.file, options.tmpDir));
    let condemned: Condemned | undefined;
    let preview: ReturnType<typeof previewCollection> | undefined;
    try {
      const progress = (done: number, total: number) => options.onProgress?.({ phase: 'mark', done, total, unit: 'snapshots' });
      await markRoots(mark, repo, roots, progress);
      await mark.markPinned(repo, pinned(db));
      if (options.dryRun) {
        preview = previewCollection(db, markedPacks, threshold);
      } else {
        for (;;) {
          const step = db
            .transaction(() => {
              const unmarked = db.prepare(`SELECT id FROM snapshots s WHERE NOT EXISTS (SELECT 1 FROM gcmark.roots r WHERE r.id = s.id)`).pluck().all() as ContentId[];
              const pins = pinned(db, 'gcmark.marked');
              return unmarked.length > 0 || pins.length > 0 ? { unmarked, pins } : { condemned: condemnUnmarked(db, markedPacks, 'gcmark.marked') };
            })
            .immediate();
          if (step.condemned) {
            condemned = step.condemned;
            break;
          }
          // Snapshots committed or ids pinned while marking: mark them too, then try again.
          await markRoots(mark, repo, step.unmarked!, progress);
          await mark.markPinned(repo, step.pins!);
        }
      }
    } finally {
      mark.close();
    }
    const common = { roots: { snapshots: roots.length, agents: repo.catalog.agents().length, writersInFlight } };
    if (preview) {
      return {
        dryRun: true,
        ...common,
        chunks: { before: before.chunks, marked: mark.marked, unreferenced: preview.unreferenced, unreferencedBytes: preview.unreferencedBytes, deferred: 0, after: before.chunks - preview.unreferenced },
        packs: { before: before.packs, deleted: preview.deleted, rewritten: preview.rewritten, written: 0, after: before.packs },
        bytes: { before: before.packBytes, after: before.packBytes },
        plan: preview.plan,
        recoveredPacks: 0,
        damagedPacks: [],
        durationMs: Math.round(performance.now() - started),
      };
    }
    await waitForWriters(db, condemned!.epoch, waitMs);
    const sweep = sweepIndex(db, packPolicy(threshold));
    await finishJournal(db, backend);
    options.onProgress?.({ phase: 'rewrite', done: 0, total: sweep.rewrite.length, unit: 'packs' });
    const rewrite = await rewritePacks(index, backend, sweep.rewrite, repo.chunks.config.packTargetBytes, (done) =>
      options.onProgress?.({ phase: 'rewrite', done, total: sweep.rewrite.length, unit: 'packs' }),
    );
    const after = repo.chunks.stats();
    return {
      dryRun: false,
      ...common,
      chunks: { before: before.chunks, marked: mark.marked, unreferenced: condemned!.chunks, unreferencedBytes: condemned!.storedBytes, deferred: sweep.deferredChunks, after: after.chunks },
      packs: { before: before.packs, deleted: sweep.deleted.length, rewritten: rewrite.packsRewritten, written: rewrite.packsWritten, after: after.packs },
      bytes: { before: before.packBytes, after: after.packBytes },
      plan: [...sweep.deleted, ...sweep.rewrite].map(planned),
      recoveredPacks: recovered.length,
      damagedPacks: rewrite.damaged,
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    lock.release();
  }
}

/** Ids pinned by writers (all of them, or those not yet in `markedTable`). */
function pinned(db: import('better-sqlite3').Database, markedTable?: string): ContentId[] {
  const unmarked = markedTable ? ` WHERE NOT EXISTS (SELECT 1 FROM ${markedTable} m WHERE m.id = p.id)` : '';
  return (db.prepare(`SELECT DISTINCT p.id FROM pins p${unmarked}`).pluck().all() as Buffer[]).map(contentIdFromBytes);
}

/** Marks the given roots; a root that cannot be read stops the collection. */
async function markRoots(mark: MarkSet, repo: Repository, ids: readonly ContentId[], progress: (done: number, total: number) => void): Promise<void> {
  let current: ContentId | undefined;
  try {
    await mark.markSnapshots(repo, ids, (done) => {
      current = ids[done];
      progress(done, ids.length);
    });
  } catch (err) {
    const at = current ?? ids[0];
    const reason = err instanceof Error ? err.message : String(err);
    throw new MemsnapError(err instanceof MemsnapError ? err.code : 'CORRUPT_CHUNK', `cannot collect garbage: snapshot ${at?.slice(0, 12)} cannot be read (${reason}); run verify and repair first. Nothing was collected.`, { snapshot: at }, { cause: err });
  }
}

/** What a collection would remove, from the mark set, without changing anything. */
function previewCollection(db: import('better-sqlite3').Database, markedPacks: number, threshold: number) {
  const unref = db
    .prepare(`SELECT count(*) AS n, coalesce(sum(stored_length), 0) AS bytes FROM chunks c WHERE +c.pack_id <= ? AND NOT EXISTS (SELECT 1 FROM gcmark.marked m WHERE m.id = c.id)`)
    .get(markedPacks) as { n: number; bytes: number };
  const { verdicts } = planPacks(db, packPolicy(threshold), `c.pack_id > ${Math.floor(markedPacks)} OR EXISTS (SELECT 1 FROM gcmark.marked m WHERE m.id = c.id)`);
  return {
    unreferenced: unref.n,
    unreferencedBytes: unref.bytes,
    deleted: verdicts.filter((v) => v.action === 'delete').length,
    rewritten: verdicts.filter((v) => v.action === 'rewrite').length,
    plan: verdicts.map(planned),
  };
}

function planned(v: PackVerdict): PlannedPack {
  return { pack: v.name, action: v.action, size: v.size, liveBytes: v.liveBytes };
}

/** Dead snapshot roots never stay in a pack: an index and catalog rebuild would revive them. */
function packPolicy(threshold: number): PackPolicy {
  return { threshold, purgeKinds: [KIND_SNAPSHOT] };
}

/** Waits until no live writer predates `epoch`, or `waitMs` passed (then the sweep defers). */
async function waitForWriters(db: import('better-sqlite3').Database, epoch: number, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (liveLeasesBefore(db, epoch).length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    pruneDeadLeases(db);
  }
}

/**
 * The mark database's directory: the local store's `tmp/` when there is one. Mark
 * directories left there by a collection that was killed are removed first (this one holds
 * the maintenance lock, so no other collection is using them).
 */
function markDir(indexFile: string, explicit?: string): string {
  if (explicit) return explicit;
  if (indexFile === ':memory:') return os.tmpdir();
  const dir = path.join(path.dirname(indexFile), 'tmp');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith(MARK_DIR_PREFIX)) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
  return dir;
}

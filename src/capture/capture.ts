/**
 * One capture of one agent as a single cut: scan the directory, open a read transaction
 * on every database, note the moment, read fields and runtime state, then store changed
 * content, write trees and the snapshot root, make it durable and move the head by
 * compare-and-swap. Order of durability: packs → index → snapshot row and ref.
 * A failure at any point commits nothing; chunks already written are left for GC.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError } from '../errors/index.js';
import type { ContentId } from '../hash/index.js';
import { fileChunker } from '../chunker/index.js';
import type { ChunkWriter, ProgressCallback } from '../cas/index.js';
import {
  agentIdFromPath,
  assertAgentId,
  assertTag,
  sourcesDigest,
  writeSnapshot,
  type JsonValue,
  type Repository,
  type SnapshotInfo,
  type SnapshotKind,
  type SnapshotSources,
  type ListNodeMemo,
} from '../snapshot/index.js';
import { cacheUpdate, underDirs, type CachedEntry, type CacheUpdate } from './capture-cache.js';
import type { CaptureSession, SourceMemory, StoreMemory } from './capture-session.js';
import type { JournalTake } from './change-journal.js';
import { decodeDatabaseState, encodeDatabaseState, type DatabaseState } from './database-state.js';
import { rescanMemdir } from './memdir-rescan.js';
import { readGitState } from './git-state.js';
import type { GitState } from '../snapshot/index.js';
import { PathFilter } from './glob.js';
import { scanDatabaseFile, scanMemdir, virtualDir, type ScanNode, type ScanOptions } from './memdir-scan.js';
import { isInside, nameDatabases } from './database-sources.js';
import { findUnchanged, storeMemdir, type MemdirStoreContext, type MemdirStoreStats } from './memdir-store.js';
import { SqliteReadCut, looksLikeSqlite } from './sqlite-image.js';
import type { StateProvider } from './state-provider.js';

/** Options of {@link captureAgent}. */
export interface CaptureOptions {
  /** The agent directory. */
  readonly dir: string;
  /** Agent id; default derived from the directory name. */
  readonly agent?: string;
  /** Default `manual`. */
  readonly kind?: SnapshotKind;
  readonly tags?: readonly string[];
  readonly message?: string;
  /** Globs of files to capture (default all). */
  readonly include?: readonly string[];
  /** Globs of files and directories to leave out. */
  readonly exclude?: readonly string[];
  /** SQLite databases to capture by path: outside the directory they become extra sources; inside, they must be databases. */
  readonly databases?: readonly string[];
  /** Runtime-state providers (default none). */
  readonly stateProviders?: readonly StateProvider[];
  /** A retried capture with the same key is a no-op; different content under it is a conflict. */
  readonly idempotencyKey?: string;
  /** The head this capture extends; default the head when the capture starts. */
  readonly expectedParent?: ContentId | null;
  /** Files modified this close to the capture start are re-read next time, in ms. Default 50. */
  readonly racyWindowMs?: number;
  /** How long to wait for a database locked by a writer, in ms. Default 5000. */
  readonly busyTimeoutMs?: number;
  /** Check every database image captured against SQLite's serialize() (slow; for tests). Default false. */
  readonly verifyDatabaseImages?: boolean;
  /** Record git HEAD, branch and dirtiness. Default true. */
  readonly git?: boolean;
  readonly onProgress?: ProgressCallback;
  /**
   * A session shared by consecutive captures of this directory in one process: with its
   * change journal the scan lists only directories that changed, and the store's caches
   * stay in memory between captures (capture-session.ts). Default none.
   */
  readonly session?: CaptureSession;
  /**
   * Commit nothing when every source (files, databases, state, fields) is as in the parent:
   * the result then names the parent and says `unchanged`. Default false (a capture always
   * records a snapshot).
   */
  readonly skipIfUnchanged?: boolean;
  /** Clock in ms since the epoch (for tests). Default Date.now. */
  readonly now?: () => number;
}

/** Counters of one capture. */
export interface CaptureStats extends MemdirStoreStats {
  /** Directories whose entries the scan listed or looked at again (all of them without a change journal). */
  dirsListed: number;
  chunksStored: number;
  chunksDeduplicated: number;
  /** Chunks a concurrent garbage collection had condemned that this capture relied on and rescued at commit. */
  chunksRescued: number;
  /** Bytes written into packs (after compression). */
  bytesStored: number;
  durationMs: number;
}

/** What a capture did. */
export interface CaptureResult {
  readonly snapshot: SnapshotInfo;
  /** True when an identical capture under the same idempotency key already existed. */
  readonly replayed: boolean;
  /** True when `skipIfUnchanged` found nothing changed: `snapshot` is the parent, nothing was committed. */
  readonly unchanged: boolean;
  readonly stats: CaptureStats;
  /** Files that vanished, special files skipped. */
  readonly warnings: string[];
}

/** One scanned source (the memdir, or the external databases) with its cache. */
interface ScannedSource {
  readonly key: 'memdir' | 'databases';
  readonly root: ScanNode;
  readonly cache: Map<string, CachedEntry>;
}

/** Captures the agent directory `options.dir` into `repo`. */
export async function captureAgent(repo: Repository, options: CaptureOptions): Promise<CaptureResult> {
  const now = options.now ?? Date.now;
  const started = performance.now();
  const dir = path.resolve(options.dir);
  const dirStat = fs.statSync(dir, { throwIfNoEntry: false });
  if (!dirStat?.isDirectory()) throw new InvalidArgumentError(`${dir} is not a directory`);
  const agent = options.agent ?? agentIdFromPath(dir);
  assertAgentId(agent);
  for (const tag of options.tags ?? []) assertTag(tag);
  const session = options.session;
  if (session?.isClosed) throw new InvalidArgumentError('the capture session is closed');
  if (session && session.dir !== dir) throw new InvalidArgumentError(`the capture session is for ${session.dir}, not ${dir}`);
  const head = repo.catalog.head(agent);
  const expectedParent = options.expectedParent === undefined ? head : options.expectedParent;
  const memory = session?.memoryFor(repo, agent, head);
  const take = session?.journal ? await session.journal.take() : undefined;
  const warnings: string[] = [];
  let sources: ScannedSource[];
  const listed = { dirs: 0 };
  try {
    sources = scanSources(repo, agent, dir, options, warnings, BigInt(now()) * 1_000_000n, { session, memory, take, listed });
  } catch (err) {
    session?.journal?.invalidate(); // its changes were taken and not acted on: walk everything next time
    throw err;
  }
  const cuts = new Map<string, SqliteReadCut>();
  let writer: ChunkWriter | undefined;
  let chunksRescued = 0;
  const updates: CacheUpdate[] = [];
  const memosUsed: ListNodeMemo[] = [];
  let headAfter: ContentId | null = null;
  try {
    // The cut: every database's read transaction is open before any content is read.
    for (const source of sources) for (const db of collect(source.root, (n) => n.kind === 'sqlite')) cuts.set(db.abs, SqliteReadCut.open(db.abs, options.busyTimeoutMs));
    const cutMs = now();
    const fields = repo.catalog.loadAllFields(agent);
    const state = await captureState(options.stateProviders ?? []);
    const unchanged = sources.map((s) => findUnchanged(s.root));
    // Git status runs in another process while this one stores content.
    const git = options.git === false ? Promise.resolve(undefined) : gitState(repo, dir, expectedParent, unchanged[0]!.has(sources[0]!.root));
    writer = repo.chunks.createWriter();
    const shared = {
      writer,
      fileChunker: fileChunker(repo.chunks.config.chunkers.file),
      pageChunkerName: repo.chunks.config.chunkers.sqlite,
      cuts,
      warnings,
      stats: { filesRead: 0, filesReused: 0, databasesRead: 0, databasesReused: 0, databasesIncremental: 0, dirsReused: 0, bytesRead: 0 },
      totals: { files: 0, dirs: 0, symlinks: 0, databases: 0, bytes: 0 },
      totalFiles: sources.reduce((n, s) => n + collect(s.root, (x) => x.kind === 'file' || x.kind === 'sqlite').length, 0),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    };
    const contexts: MemdirStoreContext[] = sources.map((source) => ({
      ...shared,
      nextCache: new Map<string, CachedEntry>(),
      keptDirs: [],
      databaseStates: {
        load: (rel: string) => (memory?.sources.get(source.key)?.databaseStates.get(rel) ?? decodeDatabaseState(repo.catalog.loadDatabaseState(agent, source.key, rel))),
        next: new Map<string, DatabaseState>(),
        kept: new Set<string>(),
        verify: options.verifyDatabaseImages ?? false,
        ...(session
          ? {
              memo: (rel: string) => {
                const memo = session.listMemo(source.key, rel);
                memo.headIntact = memory !== undefined; // the session's last commit is still the head
                memosUsed.push(memo);
                return memo;
              },
            }
          : {}),
      },
    }));
    const trees: ContentId[] = [];
    for (const [i, source] of sources.entries()) trees.push((await storeMemdir(source.root, contexts[i]!, unchanged[i]!)).tree!);
    closeAll(cuts);
    const gitFacts = await git;
    const external = sources[1] && { tree: trees[1]!, origins: Object.fromEntries((sources[1].root.children ?? []).map((n) => [n.name, n.abs])) };
    const snapshotSources: SnapshotSources = {
      memdir: gitFacts ? { tree: trees[0]!, git: gitFacts } : { tree: trees[0]! },
      state,
      fields,
      ...(external ? { databases: external } : {}),
    };
    const digest = sourcesDigest(snapshotSources);
    const parentInfo = options.skipIfUnchanged && expectedParent ? repo.catalog.get(expectedParent) : undefined;
    const statsNow = (bytesStored: number): CaptureStats => {
      const w = writer!.stats;
      return { ...shared.stats, dirsListed: listed.dirs, chunksStored: w.chunksStored, chunksDeduplicated: w.chunksDeduplicated, chunksRescued, bytesStored, durationMs: Math.round((performance.now() - started) * 10) / 10 };
    };
    if (parentInfo && parentInfo.sourcesDigest === digest) {
      return { snapshot: parentInfo, replayed: false, unchanged: true, warnings, stats: statsNow(0) };
    }
    const snapshot = { agent, parent: expectedParent, timeMs: cutMs, kind: options.kind ?? 'manual', tags: options.tags ?? [], message: options.message ?? '', sources: snapshotSources, totals: { ...shared.totals } } as const;
    const id = await writeSnapshot(writer, snapshot);
    // Packs durable now; their index rows commit with the snapshot, in one transaction.
    await writer.flushDeferred();
    const outcome = repo.catalog.commit({
      id,
      agent,
      parent: expectedParent,
      expectedParent,
      timeMs: cutMs,
      kind: snapshot.kind,
      tags: [...new Set(snapshot.tags)].sort(),
      message: snapshot.message,
      bytes: shared.totals.bytes,
      sourcesDigest: digest,
      idempotencyKey: options.idempotencyKey ?? null,
    }, () => {
      writer!.indexDeferred();
      // Chunks a concurrent collection condemned meanwhile are rescued in the commit itself.
      chunksRescued = writer!.confirmReferences();
      // The caches describe this capture: they commit with it, in one transaction.
      for (const [i, source] of sources.entries()) {
        const update = cacheUpdate(source.cache, contexts[i]!.nextCache, contexts[i]!.keptDirs);
        updates.push(update);
        repo.catalog.updateCacheEntries(agent, source.key, update.upserts, update.deletes);
        const encoded = new Map([...contexts[i]!.databaseStates.next].map(([rel, state]) => [rel, encodeDatabaseState(state)]));
        repo.catalog.saveDatabaseStates(agent, source.key, encoded, stateKept(contexts[i]!));
      }
      headAfter = repo.catalog.head(agent);
    });
    if (session) {
      session.storeMemory = headAfter === null ? undefined : rememberStore(repo, agent, headAfter, sources, contexts, updates, memory);
      if (!outcome.replayed) for (const memo of memosUsed) memo.markCommitted();
    }
    return { snapshot: outcome.snapshot, replayed: outcome.replayed, unchanged: false, warnings, stats: statsNow(writer.stats.bytesCompressed) };
  } catch (err) {
    // The store may have moved in ways this session did not see: load from it next time.
    if (session) session.storeMemory = undefined;
    throw err;
  } finally {
    closeAll(cuts);
    writer?.release();
  }
}

/**
 * The store's caches after this capture's commit, for the session's next capture: the
 * cache maps with this commit's changes applied (in place: they are this capture's own),
 * and the database states as now stored (decoded; others are read from the store on demand).
 */
function rememberStore(repo: Repository, agent: string, head: ContentId, sources: readonly ScannedSource[], contexts: readonly MemdirStoreContext[], updates: readonly CacheUpdate[], before: StoreMemory | undefined): StoreMemory {
  const remembered = new Map<string, SourceMemory>();
  for (const [i, source] of sources.entries()) {
    const cache = source.cache;
    for (const [rel, entry] of updates[i]!.upserts) cache.set(rel, entry);
    for (const rel of updates[i]!.deletes) cache.delete(rel);
    const keep = stateKept(contexts[i]!);
    const states = new Map<string, DatabaseState>();
    for (const [rel, state] of before?.sources.get(source.key)?.databaseStates ?? []) if (keep(rel)) states.set(rel, state);
    for (const [rel, state] of contexts[i]!.databaseStates.next) states.set(rel, state);
    remembered.set(source.key, { cache, databaseStates: states });
  }
  return { store: repo, agent, head, sources: remembered };
}

/** Whether a database's remembered state stays as it was: the database was reused unchanged, alone or in a reused directory. */
function stateKept(ctx: MemdirStoreContext): (rel: string) => boolean {
  const { kept } = ctx.databaseStates;
  const inKeptDir = underDirs(ctx.keptDirs);
  return (rel) => kept.has(rel) || inKeptDir(rel);
}

/** What a session contributes to a scan: its previous scan, the journal's changes and the store memory. */
interface ScanGuide {
  readonly session: CaptureSession | undefined;
  readonly memory: StoreMemory | undefined;
  readonly take: JournalTake | undefined;
  /** Counts listed directories. */
  readonly listed: { dirs: number };
}

/** Scans the memdir and the databases named outside it (phase 1: stats and headers only). */
function scanSources(repo: Repository, agent: string, dir: string, options: CaptureOptions, warnings: string[], startNs: bigint, guide: ScanGuide): ScannedSource[] {
  const journal = guide.session?.journal;
  const skipPaths = storePathsInside(repo, dir);
  const scanOptions = (cache: Map<string, CachedEntry>) => ({
    filter: new PathFilter(options.include, options.exclude),
    cache,
    startNs,
    racyNs: BigInt(Math.round((options.racyWindowMs ?? 50) * 1e6)),
    skipPaths,
    warnings,
  });
  const cacheOf = (key: string) => guide.memory?.sources.get(key)?.cache ?? (repo.catalog.loadCacheEntries(agent, key) as Map<string, CachedEntry>);
  const memdirCache = cacheOf('memdir');
  const onListDir = (rel: string, how: 'new' | 'again' | 'partial'): void => {
    guide.listed.dirs++;
    if (how === 'new') journal?.watch(rel);
    else if (how === 'again') journal?.ensureWatched(rel);
  };
  const memdirOptions = { ...scanOptions(memdirCache), onListDir };
  const sources: ScannedSource[] = [{ key: 'memdir', root: scanMemdirGuided(dir, memdirOptions, guide), cache: memdirCache }];
  const named = (options.databases ?? []).map((p) => path.resolve(p));
  for (const inside of named.filter((p) => isInside(dir, p))) {
    // Named but inside the directory: captured with it; it must really be a database.
    if (!fs.statSync(inside, { throwIfNoEntry: false })?.isFile() || !looksLikeSqlite(inside, fs.statSync(inside).size)) {
      throw new InvalidArgumentError(`${inside} is not a SQLite database`);
    }
  }
  const outside = nameDatabases(named.filter((p) => !isInside(dir, p)));
  if (outside.length > 0) {
    const cache = cacheOf('databases');
    const o = scanOptions(cache);
    sources.push({ key: 'databases', root: virtualDir(outside.map((d) => scanDatabaseFile(d.name, d.abs, o)), o), cache });
  }
  return sources;
}

/**
 * The memdir scan: a rescan of the session's previous scan when its journal can say what
 * changed (same filter rules, no include rules), else a full walk. Either way the result
 * becomes the session's previous scan.
 */
function scanMemdirGuided(dir: string, o: ScanOptions, guide: ScanGuide): ScanNode {
  const { session, take } = guide;
  const journal = session?.journal;
  const signature = `${o.filter.signature}\0${[...o.skipPaths].sort().join('\0')}`;
  const previous = session?.previousScan;
  const rescan = take && previous && previous.signature === signature && !o.filter.hasIncludes ? previous.root : undefined;
  let root: ScanNode;
  try {
    if (rescan) root = rescanMemdir(rescan, take!.dirty, o);
    else {
      journal?.walkedFully(); // before the walk: whatever changes during it is noted for the next capture
      root = scanMemdir(dir, o);
    }
  } catch (err) {
    journal?.invalidate(); // the journal's changes were taken: only a full walk is exact now
    if (session) session.previousScan = undefined;
    throw err;
  }
  if (session) session.previousScan = { signature, root };
  if (journal && (!rescan || take!.dirty.size > 0)) {
    const dirs = new Set<string>();
    const visit = (n: ScanNode): void => {
      if (n.kind !== 'dir') return;
      dirs.add(n.rel);
      for (const c of n.children ?? []) visit(c);
    };
    visit(root);
    journal.prune((rel) => dirs.has(rel));
  }
  return root;
}

/** Git facts; when nothing in the directory changed since the parent, the parent's facts still hold. */
async function gitState(repo: Repository, dir: string, parent: ContentId | null, treeUnchanged: boolean): Promise<GitState | undefined> {
  if (treeUnchanged && parent) {
    const previous = (await repo.readSnapshot(parent).catch(() => undefined))?.sources.memdir.git;
    if (previous) return previous;
  }
  return readGitState(dir);
}

async function captureState(providers: readonly StateProvider[]): Promise<Record<string, JsonValue>> {
  const names = new Set<string>();
  const state: Record<string, JsonValue> = {};
  for (const p of providers) {
    if (names.has(p.name)) throw new InvalidArgumentError(`two state providers are named ${JSON.stringify(p.name)}`);
    names.add(p.name);
    const value = await p.capture();
    if (value !== undefined) state[p.name] = value;
  }
  return state;
}

function collect(node: ScanNode, pick: (n: ScanNode) => boolean, out: ScanNode[] = []): ScanNode[] {
  for (const child of node.children ?? []) {
    if (pick(child)) out.push(child);
    if (child.children) collect(child, pick, out);
  }
  return out;
}

function closeAll(cuts: Map<string, SqliteReadCut>): void {
  for (const cut of cuts.values()) cut.close();
  cuts.clear();
}

/** The store's own directory, when it lies inside the captured directory, is never captured. */
function storePathsInside(repo: Repository, dir: string): Set<string> {
  const out = new Set<string>();
  const location = repo.chunks.backend.location;
  if (location.startsWith('file:')) {
    // Compare real paths (either may be named through a symlink); skip by the path the scan will see.
    const storeDir = fs.realpathSync(path.resolve(location.slice(5)));
    const realDir = fs.realpathSync(dir);
    if (storeDir === realDir) throw new InvalidArgumentError(`the store ${storeDir} cannot be the agent directory itself`);
    if (storeDir.startsWith(realDir + path.sep)) out.add(path.join(dir, path.relative(realDir, storeDir)));
  }
  return out;
}

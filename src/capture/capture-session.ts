/**
 * A capture session: what a long-lived process (an agent checkpointing every turn) keeps
 * between captures of one directory, so each capture costs what changed.
 *
 * - A {@link ChangeJournal} (watch mode, default on): the next capture lists only the
 *   directories that changed since the previous one (memdir-rescan.ts).
 * - The previous capture's scan, which that rescan starts from.
 * - What the store said after the last commit through this session: the capture cache
 *   and the decoded database states. They are used only while the agent's head is still
 *   the snapshot this session committed (any other writer moves it); otherwise the
 *   capture reads them from the store as a one-off capture does.
 *
 * Everything here is a cache: dropping it changes speed, never a snapshot. Pass one
 * session to every capture of its directory (`captureAgent(repo, { dir, session })`), and
 * close it when done (it holds one watch per directory).
 */
import * as path from 'node:path';
import type { ContentId } from '../hash/index.js';
import { ListNodeMemo } from '../snapshot/index.js';
import type { CachedEntry } from './capture-cache.js';
import { ChangeJournal, type ChangeJournalOptions } from './change-journal.js';
import type { DatabaseState } from './database-state.js';
import type { ScanNode } from './memdir-scan.js';

/** Options of {@link CaptureSession.start}. */
export interface CaptureSessionOptions {
  /** Watch the directory for changes (a change journal). Default true. */
  readonly watch?: boolean;
  readonly journal?: ChangeJournalOptions;
}

/** What the store held for one source (memdir or external databases) after the session's last commit. */
export interface SourceMemory {
  readonly cache: Map<string, CachedEntry>;
  readonly databaseStates: Map<string, DatabaseState>;
}

/** The store's side of the session, valid while `head` is the agent's head in `store`. */
export interface StoreMemory {
  /** The repository object the session committed through (identity). */
  readonly store: object;
  readonly agent: string;
  readonly head: ContentId;
  readonly sources: ReadonlyMap<string, SourceMemory>;
}

/** The previous scan of the directory and the filter rules it followed. */
export interface PreviousScan {
  readonly signature: string;
  readonly root: ScanNode;
}

/** What consecutive captures of one directory share. See the module comment. */
export class CaptureSession {
  /** @internal The previous scan (set by every capture's scan, successful or not). */
  previousScan: PreviousScan | undefined;
  /** @internal Set after each successful commit. */
  storeMemory: StoreMemory | undefined;
  /** The list nodes of each database's previous capture, by source and path (a pure cache). */
  private readonly listMemos = new Map<string, ListNodeMemo>();
  private closed = false;

  private constructor(
    /** The agent directory (absolute). */
    readonly dir: string,
    /** The change journal, when watching. */
    readonly journal: ChangeJournal | undefined,
  ) {}

  /**
   * Starts a session for directory `dir`.
   * @throws InvalidArgumentError when `dir` is not a directory.
   */
  static start(dir: string, options: CaptureSessionOptions = {}): CaptureSession {
    const abs = path.resolve(dir);
    const journal = options.watch === false ? undefined : ChangeJournal.start(abs, options.journal);
    return new CaptureSession(abs, journal);
  }

  /** Whether {@link close} was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** @internal The store memory, if it still describes `agent`'s head `head` in `store`. */
  memoryFor(store: object, agent: string, head: ContentId | null): StoreMemory | undefined {
    const m = this.storeMemory;
    return m && m.store === store && m.agent === agent && m.head === head ? m : undefined;
  }

  /** @internal The list-node memo of database `rel` of source `source`. */
  listMemo(source: string, rel: string): ListNodeMemo {
    const key = `${source}\0${rel}`;
    let memo = this.listMemos.get(key);
    if (!memo) this.listMemos.set(key, (memo = new ListNodeMemo()));
    return memo;
  }

  /** Forgets everything cached (the next capture walks and loads as a one-off capture). */
  reset(): void {
    this.listMemos.clear();
    this.previousScan = undefined;
    this.storeMemory = undefined;
    this.journal?.invalidate();
  }

  /** Stops watching and forgets everything. Idempotent. */
  close(): void {
    this.closed = true;
    this.journal?.close();
    this.listMemos.clear();
    this.previousScan = undefined;
    this.storeMemory = undefined;
  }
}

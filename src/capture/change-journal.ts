/**
 * A change journal for one agent directory: which directories saw a change since the
 * last capture, from the kernel's file-change notifications (inotify on Linux, through
 * `fs.watch`, one watch per directory).
 *
 * A capture that trusts the journal lstats only the entries notifications named (or, when
 * a notification named none, every entry of that directory) and reuses what the previous
 * capture saw everywhere else, so its scan costs follow the
 * change instead of the directory's size. The journal is exact only while every change
 * produces a notification and every notification arrives, so it answers "don't know"
 * (a full walk) whenever that may not hold:
 * - before the first capture through it and after any watcher error;
 * - after a burst of notifications large enough that the kernel queue may have overflowed
 *   (libuv drops the overflow marker silently; see {@link ChangeJournal.take});
 * - every {@link ChangeJournalOptions.fullWalkEveryMs} (default 60 s), as a cross-check
 *   for changes no notification reports (writes through a hard link elsewhere, network
 *   file systems, memory-mapped writes).
 * Changes made after a capture read an entry are marked for the next capture: a
 * capture takes the dirty set at its start, and notifications from then on collect anew.
 *
 * A directory's own stat (mtime after an entry is added or removed) is re-read whenever
 * the directory is dirty; databases are always re-stated by the capture regardless.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError } from '../errors/index.js';

/** Options of {@link ChangeJournal.start}. */
export interface ChangeJournalOptions {
  /**
   * Force a full walk when this long has passed since the last one, in ms. Default 60000.
   * `Infinity` never forces one (only errors and bursts do).
   */
  readonly fullWalkEveryMs?: number;
  /**
   * Notifications delivered in one batch at or above which the kernel queue is assumed to
   * have overflowed (a full walk follows). Default: half of
   * `/proc/sys/fs/inotify/max_queued_events` (16384 when unreadable).
   */
  readonly burstLimit?: number;
  /** Clock in ms (for tests). Default `performance.now`. */
  readonly now?: () => number;
}

/**
 * What a capture may trust: the directories (relative, `/`-separated, `''` = root) changed
 * since the last take, each with the names of its entries that changed, or null when the
 * whole directory must be listed again.
 */
export interface JournalTake {
  readonly dirty: ReadonlyMap<string, ReadonlySet<string> | null>;
}

/** Watches an agent directory's tree of directories and records which ones change. */
export class ChangeJournal {
  private readonly watchers = new Map<string, fs.FSWatcher>();
  private dirty = new Map<string, Set<string> | null>();
  /** False until a full walk ran through this journal, and after anything that may have lost a notification. */
  private trusted = false;
  private lastFullWalkMs = -Infinity;
  private burst = 0;
  private burstResetQueued = false;
  private closed = false;
  private waiters: (() => void)[] = [];
  private readonly fullWalkEveryMs: number;
  private readonly burstLimit: number;
  private readonly now: () => number;

  private constructor(readonly root: string, options: ChangeJournalOptions) {
    this.fullWalkEveryMs = options.fullWalkEveryMs ?? 60_000;
    this.burstLimit = options.burstLimit ?? defaultBurstLimit();
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * Starts a journal on `dir` (an existing directory). Directories are watched as the
   * first capture through the journal walks them (it walks everything).
   * @throws InvalidArgumentError when `dir` is not a directory.
   */
  static start(dir: string, options: ChangeJournalOptions = {}): ChangeJournal {
    const root = path.resolve(dir);
    if (!fs.statSync(root, { throwIfNoEntry: false })?.isDirectory()) throw new InvalidArgumentError(`${root} is not a directory`);
    const journal = new ChangeJournal(root, options);
    journal.watch('');
    return journal;
  }

  /** Whether the journal is watching (not closed). */
  get active(): boolean {
    return !this.closed;
  }

  /** How many directories are watched. */
  get watchedDirs(): number {
    return this.watchers.size;
  }

  /**
   * Lets pending notifications arrive, then hands over the dirty directories and starts a
   * new set; undefined when the caller must walk everything (and then must call
   * {@link walkedFully} once it has). Async: notifications already queued in the kernel
   * are delivered in the event loop's poll phase. One `setImmediate` is not enough when
   * the caller runs inside the poll phase (say, continuing after a file write finished on
   * the thread pool): its check phase comes before any further poll. After two, a poll
   * has run in between.
   */
  async take(): Promise<JournalTake | undefined> {
    if (this.closed) return undefined;
    await new Promise<void>((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => setImmediate(resolve));
    const dirty = this.dirty;
    this.dirty = new Map();
    if (!this.trusted || this.now() - this.lastFullWalkMs >= this.fullWalkEveryMs) return undefined;
    return { dirty };
  }

  /**
   * Records that a full walk started after the last {@link take}: from now on the journal
   * can be trusted again (until the next error or burst).
   */
  walkedFully(): void {
    if (this.closed) return;
    this.trusted = true;
    this.lastFullWalkMs = this.now();
  }

  /**
   * Watches directory `rel` afresh. A capture calls this just before it lists a directory,
   * so nothing created in it afterwards goes unnoticed. The watch is always renewed: a
   * directory deleted and made again under the same name (even with the same inode number)
   * needs a watch of its own, and the old one ends with a notification that marked it dirty.
   */
  watch(rel: string): void {
    if (this.closed) return;
    const abs = rel === '' ? this.root : path.join(this.root, ...rel.split('/'));
    let watcher: fs.FSWatcher;
    try {
      const self = path.basename(abs);
      // A name equal to the directory's own is ambiguous (libuv names events about the
      // directory itself so): list it all again.
      watcher = fs.watch(abs, { persistent: false }, (_event, name) => this.noted(rel, typeof name === 'string' && name !== '' && name !== self && !name.includes('/') ? name : null));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Gone already: its parent's notification makes the next capture look again.
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        this.mark(parentOf(rel), null);
        return;
      }
      // Out of watches (ENOSPC) or anything else: this directory is unwatched, so nothing is trusted.
      this.trusted = false;
      this.wake();
      return;
    }
    watcher.on('error', () => {
      this.trusted = false;
      this.wake();
      if (this.watchers.get(rel) === watcher) this.unwatch(rel);
    });
    // The new watch first, then the old one goes: no moment without a watch.
    this.watchers.get(rel)?.close();
    this.watchers.set(rel, watcher);
  }

  /** Watches directory `rel` unless it is watched already (a directory listed again, known to be the same one). */
  ensureWatched(rel: string): void {
    if (!this.watchers.has(rel)) this.watch(rel);
  }

  /** Stops watching directories that no longer exist in the tree (`keep` says which do). */
  prune(keep: (rel: string) => boolean): void {
    for (const rel of [...this.watchers.keys()]) if (!keep(rel)) this.unwatch(rel);
  }

  /** Marks everything untrusted: the next capture walks the whole directory. */
  invalidate(): void {
    this.trusted = false;
  }

  /**
   * Resolves at the next notification, or at once when changes are waiting for a capture or
   * the next capture walks everything anyway (also after {@link close}).
   */
  changed(): Promise<void> {
    if (this.closed || this.dirty.size > 0 || !this.trusted) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Stops every watcher. Idempotent. */
  close(): void {
    this.closed = true;
    this.wake();
    this.trusted = false;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  /** Marks entry `name` of directory `rel` changed (null: the whole directory). */
  private mark(rel: string, name: string | null): void {
    const names = this.dirty.get(rel);
    if (names === null) return;
    if (name === null) this.dirty.set(rel, null);
    else if (names) names.add(name);
    else this.dirty.set(rel, new Set([name]));
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  private noted(rel: string, name: string | null): void {
    this.mark(rel, name);
    this.wake();
    // Every notification already queued is delivered in one poll phase; the check phase
    // right after it resets the count. A batch this large may mean the kernel dropped some.
    if (++this.burst >= this.burstLimit) this.trusted = false;
    if (!this.burstResetQueued) {
      this.burstResetQueued = true;
      setImmediate(() => {
        this.burst = 0;
        this.burstResetQueued = false;
      }).unref?.();
    }
  }

  private unwatch(rel: string): void {
    this.watchers.get(rel)?.close();
    this.watchers.delete(rel);
  }
}

function parentOf(rel: string): string {
  const at = rel.lastIndexOf('/');
  return at < 0 ? '' : rel.slice(0, at);
}

function defaultBurstLimit(): number {
  try {
    const max = Number.parseInt(fs.readFileSync('/proc/sys/fs/inotify/max_queued_events', 'utf8'), 10);
    if (Number.isSafeInteger(max) && max > 0) return Math.max(1, Math.floor(max / 2));
  } catch {
    // not Linux, or /proc unreadable
  }
  return 8192;
}

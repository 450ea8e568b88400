/**
 * Where a capture's time goes, measured from outside: wraps a few seams that
 * `captureAgent` calls in sequence (opening and closing the SQLite read cut, the chunk
 * writer's flush, the catalog commit) with `performance.now()` marks and splits one
 * capture's wall time into consecutive phases. Bench-only; it changes no behaviour. A seam
 * the capture stops calling yields a zero-length phase and its time lands in a neighbour.
 *
 * Git status runs in another process concurrently with content storage, so it has no
 * phase of its own: `gitWait` is the time the capture still waited for it after storing
 * content (plus writing the small snapshot root).
 */
import type { Repository, SqliteReadCut } from '../../src/index.js';

/** Consecutive phases of one capture, in ms; they sum to the capture's wall time. */
export interface CapturePhases {
  /** Head lookup, capture-cache load and the directory walk (one lstat per entry). */
  scan: number;
  /** Opening a read transaction on every database (the cut). */
  sqliteOpen: number;
  /** Fields, state providers, and storing changed files and database pages (read, chunk, hash, compress). */
  content: number;
  /** Waiting for git status after content was stored, and writing the snapshot root. */
  gitWait: number;
  /** Sealing packs, fsync, index commit. */
  flush: number;
  /** Catalog commit (snapshot row, compare-and-swap of the head). */
  commit: number;
  /** Saving the capture cache and database states for the next capture, and anything unattributed. */
  rest: number;
}

/** Phase names in capture order. */
export const PHASE_NAMES: readonly (keyof CapturePhases)[] = ['scan', 'sqliteOpen', 'content', 'gitWait', 'flush', 'commit', 'rest'];

const MARKS = ['cutOpenStart', 'cutOpenEnd', 'cutClose', 'flushStart', 'flushEnd', 'commitStart', 'commitEnd'] as const;
type Mark = (typeof MARKS)[number];

/** Installs the wrappers once; then {@link PhaseProbe.measure} splits any capture run through it. */
export class PhaseProbe {
  private marks: Partial<Record<Mark, number>> = {};
  private active = false;

  private constructor() {}

  /**
   * Wraps `cutClass` (`SqliteReadCut`, class-wide: open and close) and `repo`'s chunk
   * writer and catalog (this instance only). Marks are taken only inside {@link measure}.
   */
  static install(repo: Repository, cutClass: typeof SqliteReadCut): PhaseProbe {
    const probe = new PhaseProbe();
    /** `first`: keep the earliest time of a repeated mark, else the latest. */
    const mark = (name: Mark, first: boolean): void => {
      if (probe.active && (!first || probe.marks[name] === undefined)) probe.marks[name] = performance.now();
    };
    const open = cutClass.open.bind(cutClass);
    cutClass.open = (...args: Parameters<typeof SqliteReadCut.open>) => {
      mark('cutOpenStart', true);
      try {
        return open(...args);
      } finally {
        mark('cutOpenEnd', false);
      }
    };
    const close = cutClass.prototype.close;
    cutClass.prototype.close = function (this: SqliteReadCut) {
      mark('cutClose', true);
      close.call(this);
    };
    const createWriter = repo.chunks.createWriter.bind(repo.chunks);
    repo.chunks.createWriter = () => {
      const writer = createWriter();
      const flush = writer.flush.bind(writer);
      writer.flush = async () => {
        mark('flushStart', true);
        try {
          await flush();
        } finally {
          mark('flushEnd', false);
        }
      };
      return writer;
    };
    const commit = repo.catalog.commit.bind(repo.catalog);
    repo.catalog.commit = (...args: Parameters<typeof commit>) => {
      mark('commitStart', true);
      try {
        return commit(...args);
      } finally {
        mark('commitEnd', false);
      }
    };
    return probe;
  }

  /** Runs `capture` with marks on; returns its result, wall time (ms) and phase split. */
  async measure<T>(capture: () => Promise<T>): Promise<{ result: T; wallMs: number; phases: CapturePhases }> {
    this.marks = {};
    this.active = true;
    const t0 = performance.now();
    let result: T;
    try {
      result = await capture();
    } finally {
      this.active = false;
    }
    const t1 = performance.now();
    return { result, wallMs: t1 - t0, phases: this.split(t0, t1) };
  }

  private split(t0: number, t1: number): CapturePhases {
    // A missing mark collapses onto the previous one, so every span is ≥ 0 and they sum to t1 - t0.
    const at: Record<string, number> = {};
    let last = t0;
    for (const name of MARKS) {
      last = Math.min(t1, Math.max(last, this.marks[name] ?? last));
      at[name] = last;
    }
    return {
      scan: at['cutOpenStart']! - t0,
      sqliteOpen: at['cutOpenEnd']! - at['cutOpenStart']!,
      content: at['cutClose']! - at['cutOpenEnd']!,
      gitWait: at['flushStart']! - at['cutClose']!,
      flush: at['flushEnd']! - at['flushStart']!,
      commit: at['commitEnd']! - at['commitStart']!,
      rest: at['commitStart']! - at['flushEnd']! + (t1 - at['commitEnd']!),
    };
  }
}

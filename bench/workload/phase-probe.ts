/**
 * Where a capture's time goes, measured from outside: wraps a few seams that
 * `captureAgent` calls (the SQLite read cut, isomorphic-git, the chunk writer's flush, the
 * catalog) with `performance.now()` marks, then splits one capture's wall time into
 * phases. Bench-only instrumentation; it changes no behaviour, and a seam the capture no
 * longer calls just yields a zero-length phase (the time lands in a neighbour).
 */
import type { Repository, SqliteReadCut } from '../../src/index.js';

/** Per-phase durations of one capture, in ms. Phases sum to the capture's wall time. */
export interface CapturePhases {
  /** Head lookup, capture cache load and the directory walk (lstat of every entry). */
  scan: number;
  /** Opening a read transaction on every database. */
  sqliteOpen: number;
  /** Key/value fields and state providers. */
  state: number;
  /** isomorphic-git: HEAD, branch, statusMatrix for dirtiness. */
  git: number;
  /** `serialize()` of every database image inside its read transaction. */
  sqliteImage: number;
  /** Chunking, hashing, compressing changed content, trees and the snapshot root (before flush). */
  store: number;
  /** Sealing packs, fsync, index commit. */
  flush: number;
  /** Catalog commit (snapshot row, compare-and-swap of the head). */
  commit: number;
  /** Saving the next capture cache, and anything not attributed above. */
  rest: number;
}

/** Phase names in capture order. */
export const PHASE_NAMES: readonly (keyof CapturePhases)[] = ['scan', 'sqliteOpen', 'state', 'git', 'sqliteImage', 'store', 'flush', 'commit', 'rest'];

type Marks = Partial<Record<'cutOpenStart' | 'cutOpenEnd' | 'gitStart' | 'gitEnd' | 'flushStart' | 'flushEnd' | 'commitStart' | 'commitEnd', number>>;

/** Installs the wrappers once; then {@link PhaseProbe.measure} splits any capture run through it. */
export class PhaseProbe {
  private marks: Marks = {};
  private imageMs = 0;
  private active = false;

  private constructor() {}

  /**
   * Wraps `SqliteReadCut` (class-wide), isomorphic-git's exported functions (module-wide)
   * and `repo`'s chunk writer and catalog (this instance only).
   */
  static async install(repo: Repository, cutClass: typeof SqliteReadCut): Promise<PhaseProbe> {
    const probe = new PhaseProbe();
    const mark = (name: keyof Marks, first: boolean): void => {
      if (!probe.active) return;
      if (!first || probe.marks[name] === undefined) probe.marks[name] = performance.now();
    };
    const open = cutClass.open.bind(cutClass);
    cutClass.open = (file: string, busy?: number) => {
      mark('cutOpenStart', true);
      try {
        return open(file, busy);
      } finally {
        mark('cutOpenEnd', false);
      }
    };
    const image = cutClass.prototype.image;
    cutClass.prototype.image = function (this: SqliteReadCut) {
      const t = performance.now();
      try {
        return image.call(this);
      } finally {
        if (probe.active) probe.imageMs += performance.now() - t;
      }
    };
    const git = (await import('isomorphic-git')).default as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    for (const [fn, first] of [['resolveRef', true], ['statusMatrix', false]] as const) {
      const original = git[fn]!;
      git[fn] = async (...args: unknown[]) => {
        if (fn === 'resolveRef') mark('gitStart', first);
        try {
          return await original(...args);
        } finally {
          if (fn === 'statusMatrix') mark('gitEnd', first);
        }
      };
    }
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
    repo.catalog.commit = (rec) => {
      mark('commitStart', true);
      try {
        return commit(rec);
      } finally {
        mark('commitEnd', false);
      }
    };
    return probe;
  }

  /** Runs `capture` with marks on and returns its result with the phase split. */
  async measure<T>(capture: () => Promise<T>): Promise<{ result: T; wallMs: number; phases: CapturePhases }> {
    this.marks = {};
    this.imageMs = 0;
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
    const m = this.marks;
    // Missing marks collapse onto the previous one, so every span is ≥ 0 and they sum to t1 - t0.
    const seq: number[] = [];
    let last = t0;
    for (const t of [m.cutOpenStart, m.cutOpenEnd, m.gitStart, m.gitEnd, m.flushStart, m.flushEnd, m.commitStart, m.commitEnd]) {
      last = Math.min(t1, Math.max(last, t ?? last));
      seq.push(last);
    }
    const [cutOpenStart, cutOpenEnd, gitStart, gitEnd, flushStart, flushEnd, commitStart, commitEnd] = seq as [number, number, number, number, number, number, number, number];
    const storeAndImage = flushStart - gitEnd;
    const sqliteImage = Math.min(this.imageMs, storeAndImage);
    return {
      scan: cutOpenStart - t0,
      sqliteOpen: cutOpenEnd - cutOpenStart,
      state: gitStart - cutOpenEnd,
      git: gitEnd - gitStart,
      sqliteImage,
      store: storeAndImage - sqliteImage,
      flush: flushEnd - flushStart,
      commit: commitEnd - commitStart,
      rest: commitStart - flushEnd + (t1 - commitEnd),
    };
  }
}

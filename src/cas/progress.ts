/** Progress reports of long operations. The library calls back; only the CLI draws bars. */

/** Work done so far out of a total, in one unit. `total` is 0 when unknown. */
export interface Progress {
  /** What is running, e.g. `verify`, `rebuild`, `capture`. */
  readonly phase: string;
  readonly done: number;
  readonly total: number;
  readonly unit: 'packs' | 'bytes' | 'chunks' | 'files' | 'snapshots' | 'objects';
}

/** A progress callback. It must not throw; it is called synchronously on the caller's thread. */
export type ProgressCallback = (progress: Progress) => void;

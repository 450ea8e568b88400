/**
 * The seam every tool of the peer comparison sits behind: one store, snapshots of a
 * directory, restores into a new directory, and the store's size. Every call runs the
 * tool as a whole process (see timed-process.ts) so all tools pay their own start-up.
 */
import type { ProcessRun } from './timed-process.js';

/** A snapshot taken: the tool's id for it and what the process cost. */
export interface SnapshotRun {
  readonly id: string;
  readonly run: ProcessRun;
  /** Non-fatal complaints of the tool (e.g. "file changed while we backed it up"). */
  readonly warnings: string[];
}

/**
 * A backup tool driven through its command line.
 *
 * Contract: `init` creates an empty store at a path that does not exist yet; `snapshot`
 * takes a point-in-time copy of `dir` as the tool sees it (no quiescing: the bench
 * decides when to call it) under `label` (an agent name; snapshots of one label form
 * one history); `restore` recreates the snapshotted directory's content directly under
 * `target` (which must not exist); `storeBytes` is the apparent size of every file of
 * the store (caches kept elsewhere by the tool are not counted). Failures throw.
 */
export interface SnapshotTool {
  readonly name: string;
  /** The tool's version line. */
  version(): string;
  init(store: string): void;
  snapshot(dir: string, label: string): SnapshotRun;
  restore(snapshotId: string, target: string): ProcessRun;
  storeBytes(): number;
}

/** `tools` rotated left by `k` (k may exceed the length): the order changes from step to step. */
export function rotate<T>(tools: readonly T[], k: number): T[] {
  const n = tools.length;
  const s = ((k % n) + n) % n;
  return [...tools.slice(s), ...tools.slice(0, s)];
}

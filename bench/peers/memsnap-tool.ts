/**
 * memsnap through its CLI (`node dist/cli/main.js`), one process per command, as an agent
 * harness would run it. Captures are `--kind automatic --no-forget` (no retention policy
 * runs); restores pass `--no-fields`.
 */
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { SnapshotRun, SnapshotTool } from './snapshot-tool.js';
import { runTimed, treeBytes, type ProcessRun } from './timed-process.js';

/** memsnap's CLI at `repoRoot/dist/cli/main.js`. */
export class MemsnapTool implements SnapshotTool {
  readonly name = 'memsnap';
  private readonly entry: string;
  private store = '';

  constructor(repoRoot: string) {
    this.entry = path.join(repoRoot, 'dist', 'cli', 'main.js');
  }

  version(): string {
    return `${spawnSync(process.execPath, [this.entry, '--version'], { encoding: 'utf8' }).stdout.trim()}`;
  }

  init(store: string): void {
    // The first capture creates the store; nothing to run.
    this.store = store;
  }

  snapshot(dir: string, label: string): SnapshotRun {
    const run = runTimed(process.execPath, [this.entry, 'capture', dir, '--store', this.store, '--agent', label, '--kind', 'automatic', '--no-forget', '--json']);
    const out = JSON.parse(run.stdout) as { snapshot: { id: string }; warnings: unknown[] };
    return { id: out.snapshot.id, run, warnings: out.warnings.map((w) => JSON.stringify(w)) };
  }

  restore(snapshotId: string, target: string): ProcessRun {
    return runTimed(process.execPath, [this.entry, 'restore', snapshotId, '--target', target, '--store', this.store, '--no-fields', '--json']);
  }

  storeBytes(): number {
    return treeBytes(this.store);
  }
}

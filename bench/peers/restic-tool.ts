/**
 * restic (Debian's 0.14): repository format "stable" (v2, compression auto), password
 * from `RESTIC_PASSWORD` (a fixed bench password when unset), its cache beside the store
 * (not counted in the store size). A snapshot's parent is found by restic itself (same
 * host and path). restic restores the absolute path under `--target`, so the bench
 * restores into a staging directory and moves the snapshotted directory into place.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { SnapshotRun, SnapshotTool } from './snapshot-tool.js';
import { runTimed, treeBytes, type ProcessRun } from './timed-process.js';

export class ResticTool implements SnapshotTool {
  readonly name = 'restic';
  private store = '';
  private env: NodeJS.ProcessEnv = {};
  /** The directory each snapshot id was taken of (to find it inside a restore). */
  private readonly sources = new Map<string, string>();

  version(): string {
    return spawnSync('restic', ['version'], { encoding: 'utf8' }).stdout.trim();
  }

  init(store: string): void {
    this.store = store;
    this.env = {
      ...process.env,
      RESTIC_REPOSITORY: store,
      RESTIC_PASSWORD: process.env['RESTIC_PASSWORD'] ?? 'memsnap-peer-bench',
      RESTIC_CACHE_DIR: `${store}-cache`,
    };
    runTimed('restic', ['init', '--quiet'], { env: this.env });
  }

  snapshot(dir: string, label: string): SnapshotRun {
    // Exit 3: the snapshot was written but some source files could not be read.
    const run = runTimed('restic', ['backup', '--json', '--host', 'bench', '--tag', label, dir], { env: this.env, okStatus: [3] });
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { message_type: string; snapshot_id?: string; error?: unknown });
    const summary = lines.find((l) => l.message_type === 'summary');
    if (!summary?.snapshot_id) throw new Error(`restic backup printed no summary: ${run.stdout.slice(-500)}`);
    this.sources.set(summary.snapshot_id, path.resolve(dir));
    const warnings = lines.filter((l) => l.message_type === 'error').map((l) => JSON.stringify(l.error));
    if (run.status === 3) warnings.push('exit 3: incomplete snapshot');
    return { id: summary.snapshot_id, run, warnings };
  }

  restore(snapshotId: string, target: string): ProcessRun {
    const staging = `${target}.restic-staging`;
    const run = runTimed('restic', ['restore', snapshotId, '--target', staging], { env: this.env });
    const source = this.sources.get(snapshotId);
    if (!source) throw new Error(`unknown restic snapshot ${snapshotId}`);
    fs.renameSync(path.join(staging, source), target);
    fs.rmSync(staging, { recursive: true, force: true });
    return run;
  }

  storeBytes(): number {
    return treeBytes(this.store);
  }
}

/**
 * BorgBackup (Debian's 1.2.4): `borg init --encryption=none`, archives made with
 * `--compression zstd,3` from inside the directory (archived paths are relative, so an
 * extract inside the target recreates the directory's content). Its cache, config and
 * security directories live beside the store (`BORG_BASE_DIR`), not counted in its size.
 * Exit status 1 is borg's "warning" (e.g. a file changed while it was read).
 */
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import type { SnapshotRun, SnapshotTool } from './snapshot-tool.js';
import { runTimed, treeBytes, type ProcessRun } from './timed-process.js';

export class BorgTool implements SnapshotTool {
  readonly name = 'borg';
  private store = '';
  private env: NodeJS.ProcessEnv = {};
  private archives = 0;

  version(): string {
    return spawnSync('borg', ['--version'], { encoding: 'utf8' }).stdout.trim();
  }

  init(store: string): void {
    this.store = store;
    fs.mkdirSync(`${store}-base`, { recursive: true });
    this.env = { ...process.env, BORG_BASE_DIR: `${store}-base`, BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes', BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes' };
    runTimed('borg', ['init', '--encryption=none', store], { env: this.env });
  }

  snapshot(dir: string, label: string): SnapshotRun {
    const name = `${label}-${++this.archives}`;
    const run = runTimed('borg', ['create', '--compression', 'zstd,3', `${this.store}::${name}`, '.'], { cwd: dir, env: this.env, okStatus: [1] });
    const warnings = run.status === 1 ? run.stderr.trim().split('\n').slice(0, 5) : [];
    return { id: name, run, warnings };
  }

  restore(snapshotId: string, target: string): ProcessRun {
    fs.mkdirSync(target, { recursive: true });
    return runTimed('borg', ['extract', `${this.store}::${snapshotId}`], { cwd: target, env: this.env });
  }

  storeBytes(): number {
    return treeBytes(this.store);
  }
}

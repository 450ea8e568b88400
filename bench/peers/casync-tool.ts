/**
 * casync (Debian's 2+20201210): one chunk store shared by every snapshot
 * (`STORE/default.castr`, zstd compression, default 64 KiB average chunks) and one index
 * file per snapshot (`STORE/indexes/N.caidx`); both count in the store size. Restore is
 * `casync extract` of the snapshot's index.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { SnapshotRun, SnapshotTool } from './snapshot-tool.js';
import { runTimed, treeBytes, type ProcessRun } from './timed-process.js';

export class CasyncTool implements SnapshotTool {
  readonly name = 'casync';
  private store = '';
  private indexes = 0;

  version(): string {
    const line = spawnSync('casync', ['--version'], { encoding: 'utf8' }).stdout.trim();
    const pkg = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'casync'], { encoding: 'utf8' }).stdout.trim();
    return pkg ? `${line} (Debian ${pkg})` : line;
  }

  init(store: string): void {
    this.store = store;
    fs.mkdirSync(path.join(store, 'indexes'), { recursive: true });
  }

  snapshot(dir: string, label: string): SnapshotRun {
    const index = path.join(this.store, 'indexes', `${label}-${++this.indexes}.caidx`);
    const run = runTimed('casync', ['make', '--compression=zstd', `--store=${this.chunks()}`, index, dir]);
    return { id: index, run, warnings: [] };
  }

  restore(snapshotId: string, target: string): ProcessRun {
    return runTimed('casync', ['extract', `--store=${this.chunks()}`, snapshotId, target]);
  }

  storeBytes(): number {
    return treeBytes(this.store);
  }

  private chunks(): string {
    return path.join(this.store, 'default.castr');
  }
}

/**
 * In-place whole restores: the directory keeps its own mode, paths named by `keep` carry
 * over untouched (what capture excluded), and without `keep` the directory becomes exactly
 * the snapshot. Progress reports know their total.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Progress } from '../../src/cas/index.js';
import { captureAgent } from '../../src/capture/index.js';
import { restoreSnapshot } from '../../src/restore/index.js';
import { Repository } from '../../src/snapshot/index.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs('memsnap-inplace-');

async function setup(): Promise<{ dir: string; repo: Repository; snap: string }> {
  const root = tempDir();
  const dir = path.join(root, 'agent');
  fs.mkdirSync(path.join(dir, 'cache'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'note.md'), 'version 1\n');
  fs.writeFileSync(path.join(dir, 'cache', 'big.bin'), 'regenerable');
  fs.chmodSync(dir, 0o751);
  const repo = await Repository.init(path.join(root, 'store'), { durable: false });
  const snap = (await captureAgent(repo, { dir, git: false, exclude: ['cache'] })).snapshot.id;
  fs.writeFileSync(path.join(dir, 'note.md'), 'version 2\n');
  return { dir, repo, snap };
}

describe('in-place whole restore', () => {
  it('carries kept paths over, keeps the directory mode, and reports a total', async () => {
    const { dir, repo, snap } = await setup();
    try {
      const progress: Progress[] = [];
      await restoreSnapshot(repo, { snapshot: snap, target: dir, inPlace: true, keep: ['cache'], onProgress: (p) => progress.push(p) });
      expect(fs.readFileSync(path.join(dir, 'note.md'), 'utf8')).toBe('version 1\n');
      expect(fs.readFileSync(path.join(dir, 'cache', 'big.bin'), 'utf8')).toBe('regenerable');
      expect(fs.statSync(dir).mode & 0o777).toBe(0o751);
      expect(progress.at(-1)).toMatchObject({ phase: 'restore', done: 1, total: 1 });
    } finally {
      await repo.close();
    }
  });

  it('without keep makes the directory exactly the snapshot (the pre-operation snapshot holds the rest)', async () => {
    const { dir, repo, snap } = await setup();
    try {
      const result = await restoreSnapshot(repo, { snapshot: snap, target: dir, inPlace: true });
      expect(fs.existsSync(path.join(dir, 'cache'))).toBe(false);
      expect(result.preSnapshot?.kind).toBe('pre-operation');
    } finally {
      await repo.close();
    }
  });
});

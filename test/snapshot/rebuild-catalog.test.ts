/**
 * Losing the index loses no history: the chunk index is rebuilt from packs and the catalog
 * from the snapshot roots in them (heads, seq numbers, tags, messages, fields).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { INDEX_FILE, repairLocalIndex } from '../../src/cas/index.js';
import { AgentFields, captureAgent } from '../../src/capture/index.js';
import { Repository, rebuildCatalog, resolveSnapshot } from '../../src/snapshot/index.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs('memsnap-rebuild-catalog-');

describe('rebuildCatalog', () => {
  it('recovers every snapshot, each head and the fields after the index file is destroyed', async () => {
    const root = tempDir();
    const store = path.join(root, 'store');
    const dirs = ['alpha', 'beta'].map((name) => {
      const dir = path.join(root, name);
      fs.mkdirSync(dir);
      return dir;
    });
    let repo = await Repository.init(store);
    const before = new Map<string, string[]>();
    for (const [i, dir] of dirs.entries()) {
      new AgentFields(repo.catalog, path.basename(dir)).save('persona', `p${i}`);
      for (let turn = 0; turn < 3; turn++) {
        fs.writeFileSync(path.join(dir, 'note.md'), `turn ${turn}\n`);
        await captureAgent(repo, { dir, git: false, tags: turn === 0 ? ['first'] : [], message: `turn ${turn}` });
      }
      before.set(path.basename(dir), repo.catalog.list({ agent: path.basename(dir) }).map((s) => `${s.seq}:${s.id}:${s.message}:${s.tags.join(',')}`));
    }
    const heads = new Map(['alpha', 'beta'].map((a) => [a, repo.catalog.head(a)]));
    await repo.close();

    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(path.join(store, INDEX_FILE + suffix), { force: true });
    await repairLocalIndex(store);
    repo = await Repository.open(store);
    try {
      expect(repo.catalog.list()).toEqual([]);
      const report = await rebuildCatalog(repo);
      expect(report).toMatchObject({ snapshots: 6, agents: 2, unreadable: [] });
      expect(report.fieldsRestored.sort()).toEqual(['alpha', 'beta']);
      for (const agent of ['alpha', 'beta']) {
        expect(repo.catalog.head(agent)).toBe(heads.get(agent));
        expect(repo.catalog.list({ agent }).map((s) => `${s.seq}:${s.id}:${s.message}:${s.tags.join(',')}`)).toEqual(before.get(agent));
        expect(resolveSnapshot(repo.catalog, `${agent}~2`).message).toBe('turn 0');
      }
      expect(new AgentFields(repo.catalog, 'beta').load('persona')).toBe('p1');
      // The next capture continues the history from the recovered head.
      const next = await captureAgent(repo, { dir: dirs[0]!, git: false });
      expect(next.snapshot.seq).toBe(4);
    } finally {
      await repo.close();
    }
  });
});

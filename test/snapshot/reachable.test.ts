/**
 * The reachability walk: from a store holding only captures, it reaches exactly the ids the
 * index holds; a visitor that refuses ids it has seen makes a second snapshot's walk offer
 * only what that capture added; refusing a tree skips everything beneath it.
 */
import { describe, expect, it } from 'vitest';
import { captureAgent } from '../../src/capture/index.js';
import { KIND_DATA } from '../../src/cas/index.js';
import type { ContentId } from '../../src/hash/index.js';
import { KIND_OBJECT, KIND_SNAPSHOT, Repository, walkReachable, type ReachableKind } from '../../src/snapshot/index.js';
import { createAgentFixture, mutateAgent } from '../helpers/agent-fixture.js';
import { createMemoryStore } from '../helpers/memory-store.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs('memsnap-reachable-');

function allIndexed(repo: Repository): Set<ContentId> {
  return new Set([KIND_DATA, KIND_OBJECT, KIND_SNAPSHOT].flatMap((k) => repo.chunks.index.idsOfKind(k)));
}

describe('walkReachable', () => {
  it('reaches every stored id of a store that holds only captures, each kind named right', async () => {
    const fx = createAgentFixture(tempDir(), { seed: 7, notes: 30 });
    const repo = new Repository((await createMemoryStore()).store);
    const first = await captureAgent(repo, { dir: fx.dir, agent: 'a' });
    mutateAgent(fx);
    const second = await captureAgent(repo, { dir: fx.dir, agent: 'a' });

    const seen = new Map<ContentId, ReachableKind>();
    await walkReachable(repo, [first.snapshot.id, second.snapshot.id], (id, kind) => {
      if (seen.has(id)) return false;
      seen.set(id, kind);
      return true;
    });
    expect(new Set(seen.keys())).toEqual(allIndexed(repo));
    const kinds = new Map<ReachableKind, number>();
    for (const kind of seen.values()) kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    expect(kinds.get('snapshot')).toBe(2);
    expect(kinds.get('tree')).toBeGreaterThan(4);
    expect(kinds.get('list')).toBeGreaterThan(0); // the databases' page lists
    for (const [id, kind] of seen) {
      const loc = repo.chunks.locate(id)!;
      expect(loc.kind, `${kind} ${id}`).toBe(kind === 'snapshot' ? KIND_SNAPSHOT : kind === 'chunk' ? KIND_DATA : KIND_OBJECT);
    }
    await repo.close();
  });

  it('offers a second snapshot only what it added when the visitor refuses seen ids', async () => {
    const fx = createAgentFixture(tempDir(), { seed: 8 });
    const repo = new Repository((await createMemoryStore()).store);
    const first = await captureAgent(repo, { dir: fx.dir, agent: 'a' });
    const before = allIndexed(repo);
    mutateAgent(fx);
    const second = await captureAgent(repo, { dir: fx.dir, agent: 'a' });
    const added = [...allIndexed(repo)].filter((id) => !before.has(id));

    const seen = new Set<ContentId>();
    const mark = (id: ContentId): boolean => (seen.has(id) ? false : (seen.add(id), true));
    await walkReachable(repo, [first.snapshot.id], mark);
    const offeredNew: ContentId[] = [];
    await walkReachable(repo, [second.snapshot.id], (id) => {
      if (!mark(id)) return false;
      offeredNew.push(id);
      return true;
    });
    expect(new Set(offeredNew)).toEqual(new Set(added));
    await repo.close();
  });

  it('skips everything beneath a refused tree', async () => {
    const fx = createAgentFixture(tempDir(), { seed: 9 });
    const repo = new Repository((await createMemoryStore()).store);
    const { snapshot } = await captureAgent(repo, { dir: fx.dir, agent: 'a' });
    const paths: string[] = [];
    await walkReachable(repo, [snapshot.id], (_id, kind, path) => {
      paths.push(path);
      return !(kind === 'tree' && path === 'notes');
    });
    expect(paths).toContain('notes');
    expect(paths.filter((p) => p.startsWith('notes/'))).toEqual([]);
    expect(paths.some((p) => p.startsWith('kb/'))).toBe(true);
    await repo.close();
  });
});

/**
 * History: parent links and sequence numbers, naming snapshots (id prefix, agent@latest,
 * agent~N, tags), compare-and-swap on the head, and idempotent captures.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureAgent } from '../../src/capture/index.js';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../../src/errors/index.js';
import type { ContentId } from '../../src/hash/index.js';
import { Repository, resolveSnapshot, type SnapshotInfo } from '../../src/snapshot/index.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs('memsnap-history-');

async function setup(): Promise<{ root: string; dir: string; repo: Repository }> {
  const root = tempDir();
  const dir = path.join(root, 'scout');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'notes.md'), 'turn 0\n');
  return { root, dir, repo: await Repository.init(path.join(root, 'store'), { durable: false }) };
}

function turn(dir: string, n: number): void {
  fs.writeFileSync(path.join(dir, 'notes.md'), `turn ${n}\n`);
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('history of an agent', () => {
  it('links each capture to its parent with increasing seq, and names them by head, ~N, prefix and tag', async () => {
    const { dir, repo } = await setup();
    try {
      const infos: SnapshotInfo[] = [];
      for (let i = 0; i < 5; i++) {
        turn(dir, i);
        const tags = i === 1 ? ['milestone', 'v1'] : i === 3 ? ['milestone'] : [];
        infos.push((await captureAgent(repo, { dir, git: false, tags, message: `turn ${i}`, kind: i === 4 ? 'automatic' : 'manual' })).snapshot);
      }
      expect(infos.map((s) => s.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(infos.map((s) => s.parent)).toEqual([null, ...infos.slice(0, -1).map((s) => s.id)]);
      expect(infos.every((s) => s.agent === 'scout')).toBe(true);
      expect(repo.catalog.head('scout')).toBe(infos[4]!.id);
      for (const [i, s] of infos.entries()) expect((await repo.readSnapshot(s.id)).parent).toBe(i === 0 ? null : infos[i - 1]!.id);

      expect(resolveSnapshot(repo.catalog, 'scout@latest').id).toBe(infos[4]!.id);
      expect(resolveSnapshot(repo.catalog, 'scout').id).toBe(infos[4]!.id);
      expect(resolveSnapshot(repo.catalog, 'scout~0').id).toBe(infos[4]!.id);
      expect(resolveSnapshot(repo.catalog, 'scout~1').id).toBe(infos[3]!.id);
      expect(resolveSnapshot(repo.catalog, 'scout~4').id).toBe(infos[0]!.id);
      expect(resolveSnapshot(repo.catalog, 'scout@latest~2').id).toBe(infos[2]!.id);
      expect(() => resolveSnapshot(repo.catalog, 'scout~5')).toThrow(NotFoundError);
      expect(resolveSnapshot(repo.catalog, 'milestone').id).toBe(infos[3]!.id); // the newest carrying it
      expect(resolveSnapshot(repo.catalog, 'v1').id).toBe(infos[1]!.id);
      expect(resolveSnapshot(repo.catalog, 'scout@v1').id).toBe(infos[1]!.id);
      expect(resolveSnapshot(repo.catalog, 'scout@milestone~1').id).toBe(infos[2]!.id);
      expect(resolveSnapshot(repo.catalog, infos[2]!.id).id).toBe(infos[2]!.id);
      expect(resolveSnapshot(repo.catalog, infos[2]!.id.slice(0, 12)).id).toBe(infos[2]!.id);
      expect(() => resolveSnapshot(repo.catalog, 'nobody@latest')).toThrow(NotFoundError);
      expect(() => resolveSnapshot(repo.catalog, 'no-such-tag')).toThrow(NotFoundError);

      expect(repo.catalog.list({ agent: 'scout', tag: 'milestone' }).map((s) => s.id)).toEqual([infos[3]!.id, infos[1]!.id]);
      expect(repo.catalog.list({ agent: 'scout', kind: 'automatic' }).map((s) => s.id)).toEqual([infos[4]!.id]);
      const snap = await repo.readSnapshot(infos[1]!.id);
      expect(snap).toMatchObject({ agent: 'scout', kind: 'manual', tags: ['milestone', 'v1'], message: 'turn 1' });
    } finally {
      await repo.close();
    }
  });

  it('calls a prefix shared by two snapshots ambiguous', async () => {
    const { repo } = await setup();
    try {
      // Two catalog rows whose ids share 6 hex digits (ids of real captures would need ~300 snapshots to collide on 4).
      const a = `abcdef${'0'.repeat(58)}` as ContentId;
      const b = `abcdef${'1'.repeat(58)}` as ContentId;
      const rec = { agent: 'x', timeMs: 1, kind: 'manual', tags: [], message: '', bytes: 0, sourcesDigest: 'd', idempotencyKey: null } as const;
      repo.catalog.commit({ ...rec, id: a, parent: null, expectedParent: null });
      repo.catalog.commit({ ...rec, id: b, parent: a, expectedParent: a });
      expect(() => resolveSnapshot(repo.catalog, 'abcdef')).toThrow(InvalidArgumentError);
      expect(() => resolveSnapshot(repo.catalog, 'abcd')).toThrow(/ambiguous/);
      expect(resolveSnapshot(repo.catalog, 'abcdef0').id).toBe(a);
      expect(resolveSnapshot(repo.catalog, 'abcdef1').id).toBe(b);
      expect(() => resolveSnapshot(repo.catalog, 'abcdef2')).toThrow(NotFoundError);
    } finally {
      await repo.close();
    }
  });

  it('refuses a capture from a stale head with CONFLICT and leaves the head alone', async () => {
    const { dir, repo } = await setup();
    try {
      const first = (await captureAgent(repo, { dir, git: false })).snapshot;
      turn(dir, 1);
      const second = (await captureAgent(repo, { dir, git: false, expectedParent: first.id })).snapshot;
      const count = repo.catalog.list({ agent: 'scout' }).length;
      turn(dir, 2);
      // A writer that still believes the head is `first` (or that there is no history) loses.
      for (const stale of [first.id, null]) {
        const err = await captureAgent(repo, { dir, git: false, expectedParent: stale }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ConflictError);
        expect((err as ConflictError).code).toBe('CONFLICT');
        expect(repo.catalog.head('scout')).toBe(second.id);
        expect(repo.catalog.list({ agent: 'scout' })).toHaveLength(count);
      }
      // The writer that re-reads the head succeeds.
      const third = (await captureAgent(repo, { dir, git: false, expectedParent: repo.catalog.head('scout') })).snapshot;
      expect(third.parent).toBe(second.id);
      expect(third.seq).toBe(3);
    } finally {
      await repo.close();
    }
  });

  it('lets only one of two captures racing from the same head commit', async () => {
    const { dir, repo } = await setup();
    try {
      await captureAgent(repo, { dir, git: false });
      const head = repo.catalog.head('scout');
      turn(dir, 1);
      const results = await Promise.allSettled([captureAgent(repo, { dir, git: false, expectedParent: head, message: 'a' }), captureAgent(repo, { dir, git: false, expectedParent: head, message: 'b' })]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect((lost[0]!.reason as { code?: string }).code).toBe('CONFLICT');
      expect(repo.catalog.list({ agent: 'scout' })).toHaveLength(2);
    } finally {
      await repo.close();
    }
  });

  it('replays a retried capture with the same idempotency key and refuses different content under it', async () => {
    const { dir, repo } = await setup();
    try {
      turn(dir, 1);
      const first = await captureAgent(repo, { dir, git: false, idempotencyKey: 'turn-1' });
      expect(first.replayed).toBe(false);
      const retry = await captureAgent(repo, { dir, git: false, idempotencyKey: 'turn-1', now: () => Date.now() + 5000 });
      expect(retry.replayed).toBe(true);
      expect(retry.snapshot.id).toBe(first.snapshot.id);
      expect(repo.catalog.list({ agent: 'scout' })).toHaveLength(1);
      expect(repo.catalog.head('scout')).toBe(first.snapshot.id);

      turn(dir, 2);
      const err = await captureAgent(repo, { dir, git: false, idempotencyKey: 'turn-1' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConflictError);
      expect((err as ConflictError).code).toBe('CONFLICT');
      expect(repo.catalog.head('scout')).toBe(first.snapshot.id);
      expect(repo.catalog.list({ agent: 'scout' })).toHaveLength(1);

      // A new key is a new capture; the key is per agent.
      const next = await captureAgent(repo, { dir, git: false, idempotencyKey: 'turn-2' });
      expect(next.replayed).toBe(false);
      expect(next.snapshot.parent).toBe(first.snapshot.id);
      const other = await captureAgent(repo, { dir, agent: 'other', git: false, idempotencyKey: 'turn-1' });
      expect(other.replayed).toBe(false);
    } finally {
      await repo.close();
    }
  });

  it('keeps many agents apart in one store', async () => {
    const { root, repo } = await setup();
    try {
      const ids: Record<string, ContentId> = {};
      for (const name of ['a1', 'a2', 'a3']) {
        const dir = path.join(root, name);
        fs.mkdirSync(dir);
        fs.writeFileSync(path.join(dir, 'f'), name);
        ids[name] = (await captureAgent(repo, { dir, git: false })).snapshot.id;
      }
      expect(repo.catalog.agents()).toEqual(['a1', 'a2', 'a3']);
      for (const name of ['a1', 'a2', 'a3']) expect(resolveSnapshot(repo.catalog, `${name}@latest`).id).toBe(ids[name]);
      expect(code(() => resolveSnapshot(repo.catalog, 'a1~1'))).toBe('NOT_FOUND');
    } finally {
      await repo.close();
    }
  });
});

/**
 * Captures that meet trouble: a file that vanishes after the scan is left out with a
 * warning; a file that cannot be read, a database locked past the busy timeout, or a
 * failing state provider fail the capture with a clear error and commit nothing.
 * (Running as root, chmod 000 does not stop a read, so "unreadable" is a file replaced by a
 * directory between scan and read.)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { captureAgent, type StateProvider } from '../../src/capture/index.js';
import { LockedError, MemsnapError, SourceUnreadableError } from '../../src/errors/index.js';
import type { ContentId } from '../../src/hash/index.js';
import { Repository } from '../../src/snapshot/index.js';
import { createAgentFixture } from '../helpers/agent-fixture.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs('memsnap-failures-');

/** A provider whose capture() runs `act` — it runs after the scan and before file contents are read. */
function during(act: () => void): StateProvider {
  return { name: 'hook', capture: () => (act(), undefined), restore: () => undefined };
}

async function names(repo: Repository, id: ContentId, dir: string): Promise<string[]> {
  let tree = (await repo.readSnapshot(id)).sources.memdir.tree;
  for (const part of dir.split('/').filter(Boolean)) tree = (await repo.readTree(tree)).find((e) => e.name === part)!.tree!;
  return (await repo.readTree(tree)).map((e) => e.name);
}

async function setup(seed: number): Promise<{ root: string; fx: ReturnType<typeof createAgentFixture>; repo: Repository; head: ContentId }> {
  const root = tempDir();
  const fx = createAgentFixture(root, { seed, git: false });
  const repo = await Repository.init(path.join(root, 'store'), { durable: false });
  const head = (await captureAgent(repo, { dir: fx.dir })).snapshot.id;
  fs.appendFileSync(path.join(fx.dir, 'notes', 'people', '4.md'), 'a change so the next capture differs\n');
  return { root, fx, repo, head };
}

function expectNothingCommitted(repo: Repository, head: ContentId): void {
  expect(repo.catalog.head('agent')).toBe(head);
  expect(repo.catalog.list({ agent: 'agent' })).toHaveLength(1);
}

describe('capture failures', () => {
  it('leaves out a file that vanishes between scan and read, with a warning', async () => {
    const { fx, repo, head } = await setup(31);
    try {
      const victim = path.join(fx.dir, 'notes', 'people', '0.md');
      fs.appendFileSync(victim, 'changed, so this capture must read it\n');
      const result = await captureAgent(repo, { dir: fx.dir, stateProviders: [during(() => fs.rmSync(victim))] });
      expect(result.warnings).toHaveLength(1);
      expect(result.warnings[0]).toMatch(/notes\/people\/0\.md.*vanished/);
      expect(result.snapshot.parent).toBe(head);
      expect(await names(repo, result.snapshot.id, 'notes/people')).toEqual(['4.md', '8.md']);
      expect((await repo.readSnapshot(result.snapshot.id)).totals.files).toBe((await repo.readSnapshot(head)).totals.files - 1);
    } finally {
      await repo.close();
    }
  });

  it('fails with SOURCE_UNREADABLE and commits nothing when a file cannot be read', async () => {
    const { fx, repo, head } = await setup(32);
    try {
      const victim = path.join(fx.dir, 'notes', 'people', '0.md');
      fs.appendFileSync(victim, 'changed, so this capture must read it\n');
      const swap = during(() => {
        fs.rmSync(victim);
        fs.mkdirSync(victim);
      });
      const err = await captureAgent(repo, { dir: fx.dir, stateProviders: [swap] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SourceUnreadableError);
      expect((err as SourceUnreadableError).code).toBe('SOURCE_UNREADABLE');
      expect((err as Error).message).toContain(victim);
      expectNothingCommitted(repo, head);
      // The cache still describes the last committed capture: fixing the file and capturing again works.
      fs.rmdirSync(victim);
      fs.writeFileSync(victim, 'back again');
      const ok = await captureAgent(repo, { dir: fx.dir });
      expect(ok.snapshot.parent).toBe(head);
      expect(ok.warnings).toEqual([]);
    } finally {
      await repo.close();
    }
  });

  it('fails with LOCKED and commits nothing while a rollback-mode database stays locked past busyTimeoutMs', async () => {
    const { fx, repo, head } = await setup(33);
    const locker = new Database(path.join(fx.dir, fx.databases.rollback));
    try {
      locker.pragma('journal_mode = DELETE');
      locker.prepare('BEGIN EXCLUSIVE').run();
      locker.prepare('UPDATE concepts SET weight = weight + 1').run();
      const started = performance.now();
      const err = await captureAgent(repo, { dir: fx.dir, busyTimeoutMs: 150 }).catch((e: unknown) => e);
      const waited = performance.now() - started;
      expect(err).toBeInstanceOf(LockedError);
      expect((err as LockedError).code).toBe('LOCKED');
      expect((err as Error).message).toContain('concepts.db');
      expect(waited).toBeGreaterThanOrEqual(140);
      expect(waited).toBeLessThan(3000);
      expectNothingCommitted(repo, head);

      // Once the writer commits, the capture goes through and sees its change.
      locker.prepare('COMMIT').run();
      const ok = await captureAgent(repo, { dir: fx.dir, busyTimeoutMs: 150 });
      expect(ok.snapshot.parent).toBe(head);
    } finally {
      locker.close();
      await repo.close();
    }
  });

  it('commits nothing when a state provider fails', async () => {
    const { fx, repo, head } = await setup(34);
    try {
      const failing: StateProvider = { name: 'broken', capture: () => Promise.reject(new Error('provider exploded')), restore: () => undefined };
      await expect(captureAgent(repo, { dir: fx.dir, stateProviders: [failing] })).rejects.toThrow('provider exploded');
      expectNothingCommitted(repo, head);
    } finally {
      await repo.close();
    }
  });

  it('refuses a file that looks like SQLite but is not, and commits nothing', async () => {
    const { fx, repo, head } = await setup(35);
    try {
      const fake = Buffer.alloc(4096, 0xee);
      Buffer.from('SQLite format 3\0', 'latin1').copy(fake);
      fs.writeFileSync(path.join(fx.dir, 'fake.db'), fake);
      const err = await captureAgent(repo, { dir: fx.dir }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MemsnapError);
      expect((err as Error).message).toContain('fake.db');
      expectNothingCommitted(repo, head);
    } finally {
      await repo.close();
    }
  });
});

/**
 * The capture cache: unchanged files and databases are reused by (size, mtime, ctime,
 * inode); entries modified within the racy window of a capture are not cached, so an edit
 * that keeps size and mtime is still seen; databases changed in place without changing size
 * are seen in WAL and rollback mode.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { captureAgent } from '../../src/capture/index.js';
import type { ContentId } from '../../src/hash/index.js';
import { Repository, type TreeEntry } from '../../src/snapshot/index.js';
import { createAgentFixture, listFiles, mutateAgent } from '../helpers/agent-fixture.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs('memsnap-cache-');

async function entry(repo: Repository, snapshot: ContentId, rel: string): Promise<TreeEntry> {
  let tree = (await repo.readSnapshot(snapshot)).sources.memdir.tree;
  const parts = rel.split('/');
  for (const [i, name] of parts.entries()) {
    const e = (await repo.readTree(tree)).find((x) => x.name === name);
    if (!e) throw new Error(`${rel} not in snapshot`);
    if (i === parts.length - 1) return e;
    tree = e.tree!;
  }
  throw new Error('unreachable');
}

async function restoredBytes(repo: Repository, snapshot: ContentId, rel: string): Promise<Buffer> {
  const e = await entry(repo, snapshot, rel);
  const parts: Uint8Array[] = [];
  for (const [id] of e.content!.chunks ?? []) parts.push(await repo.getChunk(id));
  return Buffer.concat(parts);
}

/** Sets atime and mtime of `file` to `ns` exactly (ns precision via a bigint stat check). */
function setMtimeSeconds(file: string, seconds: number): bigint {
  fs.utimesSync(file, seconds, seconds);
  return fs.statSync(file, { bigint: true }).mtimeNs;
}

describe('capture cache', () => {
  it('reuses unchanged files and databases and re-reads only what a turn changed', async () => {
    const root = tempDir();
    const fx = createAgentFixture(root, { seed: 21 });
    const repo = await Repository.init(path.join(root, 'store'), { durable: false });
    try {
      const later = (): number => Date.now() + 60_000; // nothing is inside the racy window
      const first = await captureAgent(repo, { dir: fx.dir, now: later });
      expect(first.stats.filesReused).toBe(0);
      expect(first.stats.databasesRead).toBe(3);
      const files = first.stats.filesRead;
      expect(files).toBeGreaterThan(20); // notes, git objects, ...

      await captureAgent(repo, { dir: fx.dir, now: later });
      const third = await captureAgent(repo, { dir: fx.dir, now: later });
      expect(third.stats).toMatchObject({ filesRead: 0, filesReused: files, databasesRead: 0, databasesReused: 3, bytesRead: 0 });

      const turn = mutateAgent(fx);
      const fourth = await captureAgent(repo, { dir: fx.dir, now: later });
      expect(fourth.stats.databasesRead).toBe(3);
      // The edited and added notes and what the git commit wrote (git also re-stamps loose
      // objects it would have written again) are read; every other file is reused.
      const untouched = listFiles(fx.dir)
        .map((f) => path.relative(fx.dir, f))
        .filter((rel) => !rel.startsWith('.git') && !/\.(db|sqlite)(-\w+)?$/.test(rel) && ![...turn.edited, ...turn.added].includes(rel));
      expect(untouched.length).toBeGreaterThan(10);
      expect(fourth.stats.filesReused).toBeGreaterThanOrEqual(untouched.length);
      expect(fourth.stats.filesRead).toBeGreaterThanOrEqual(turn.edited.length + turn.added.length);
      for (const rel of [...turn.edited, ...turn.added]) expect((await restoredBytes(repo, fourth.snapshot.id, rel)).equals(fs.readFileSync(path.join(fx.dir, rel)))).toBe(true);
    } finally {
      await repo.close();
    }
  });

  it('does not cache files modified within the racy window, so a same-size edit with the same mtime is still seen', async () => {
    const root = tempDir();
    const dir = path.join(root, 'agent');
    fs.mkdirSync(dir);
    const old = path.join(dir, 'old.md');
    const fresh = path.join(dir, 'fresh.md');
    fs.writeFileSync(old, 'settled long ago');
    fs.writeFileSync(fresh, 'version A of the note');
    // Timeline a little ahead of the real clock: ctime (always "now") stays before the racy
    // window while the pinned mtimes decide it, as the rule (later of mtime and ctime) reads.
    const base = Math.floor(Date.now() / 1000) + 10;
    setMtimeSeconds(old, base - 100);
    const freshNs = setMtimeSeconds(fresh, base + 0.5);
    const startMs = Number(freshNs / 1_000_000n) + 10; // the capture starts 10 ms after fresh.md's mtime
    const repo = await Repository.init(path.join(root, 'store'), { durable: false });
    try {
      const first = await captureAgent(repo, { dir, git: false, now: () => startMs, racyWindowMs: 50 });
      expect(first.stats.filesRead).toBe(2);

      // Unchanged, but still inside the window: read again rather than trusted.
      const second = await captureAgent(repo, { dir, git: false, now: () => startMs, racyWindowMs: 50 });
      expect(second.stats).toMatchObject({ filesRead: 1, filesReused: 1 });

      // Same size, same mtime, different bytes.
      fs.writeFileSync(fresh, 'version B of the note');
      expect(setMtimeSeconds(fresh, base + 0.5)).toBe(freshNs);
      const third = await captureAgent(repo, { dir, git: false, now: () => startMs, racyWindowMs: 50 });
      expect((await restoredBytes(repo, third.snapshot.id, 'fresh.md')).toString()).toBe('version B of the note');
      expect(third.snapshot.sourcesDigest).not.toBe(second.snapshot.sourcesDigest);

      // Outside the window the entry is cached and then reused.
      await captureAgent(repo, { dir, git: false, now: () => startMs + 1000, racyWindowMs: 50 });
      const settled = await captureAgent(repo, { dir, git: false, now: () => startMs + 1000, racyWindowMs: 50 });
      expect(settled.stats).toMatchObject({ filesRead: 0, filesReused: 2 });
      // A window of 0 caches even a file written just now.
      fs.writeFileSync(fresh, 'version C of the note');
      expect((await captureAgent(repo, { dir, git: false, racyWindowMs: 0 })).stats.filesRead).toBe(1);
      expect((await captureAgent(repo, { dir, git: false, racyWindowMs: 0 })).stats).toMatchObject({ filesRead: 0, filesReused: 2 });
    } finally {
      await repo.close();
    }
  });

  it('sees a same-size edit whose mtime was put back (only ctime differs)', async () => {
    const root = tempDir();
    const dir = path.join(root, 'agent');
    fs.mkdirSync(dir);
    const file = path.join(dir, 'note.md');
    fs.writeFileSync(file, 'AAAA');
    const mtime = setMtimeSeconds(file, 1_700_000_000);
    const repo = await Repository.init(path.join(root, 'store'), { durable: false });
    // Captures "a second later": the file's ctime (just now) is outside the racy window.
    const later = { dir, git: false, now: () => Date.now() + 1000 };
    try {
      await captureAgent(repo, later);
      expect((await captureAgent(repo, later)).stats).toMatchObject({ filesRead: 0, filesReused: 1 });
      fs.writeFileSync(file, 'BBBB');
      expect(setMtimeSeconds(file, 1_700_000_000)).toBe(mtime);
      const second = await captureAgent(repo, later);
      expect(second.stats.filesRead).toBe(1);
      expect((await restoredBytes(repo, second.snapshot.id, 'note.md')).toString()).toBe('BBBB');
    } finally {
      await repo.close();
    }
  });

  it('treats a file whose ctime is inside the racy window as racy even when its mtime is old', async () => {
    const root = tempDir();
    const dir = path.join(root, 'agent');
    fs.mkdirSync(dir);
    const file = path.join(dir, 'copied.md');
    fs.writeFileSync(file, 'restored with cp -p');
    setMtimeSeconds(file, 1_700_000_000); // an old mtime put back; ctime is now
    const repo = await Repository.init(path.join(root, 'store'), { durable: false });
    // Both captures happen "10 ms after the ctime", however slowly this machine runs them.
    const ctimeMs = fs.statSync(file).ctimeMs;
    const soon = { dir, git: false, now: () => Math.round(ctimeMs) + 10, racyWindowMs: 50 };
    try {
      await captureAgent(repo, soon);
      expect((await captureAgent(repo, soon)).stats).toMatchObject({ filesRead: 1, filesReused: 0 });
    } finally {
      await repo.close();
    }
  });

  for (const mode of ['wal', 'rollback'] as const) {
    it(`sees a ${mode}-mode database changed in place without changing its size`, async () => {
      const root = tempDir();
      const fx = createAgentFixture(root, { seed: 22, git: false });
      const rel = fx.databases[mode];
      const file = path.join(fx.dir, rel);
      const repo = await Repository.init(path.join(root, 'store'), { durable: false });
      const later = (): number => Date.now() + 60_000;
      const read = async (id: ContentId): Promise<number> => {
        const target = path.join(root, `check-${id.slice(0, 8)}`);
        const { restoreSnapshot } = await import('../../src/restore/index.js');
        await restoreSnapshot(repo, { snapshot: id, target, database: rel, fields: false });
        const db = new Database(path.join(target, rel), { readonly: true });
        try {
          return db.prepare('SELECT importance FROM memories WHERE id = 1').pluck().get() as number;
        } finally {
          db.close();
        }
      };
      try {
        await captureAgent(repo, { dir: fx.dir, now: later });
        const settled = await captureAgent(repo, { dir: fx.dir, now: later });
        expect(await read(settled.snapshot.id)).not.toBe(99);
        const third = await captureAgent(repo, { dir: fx.dir, now: later });
        expect(third.stats.databasesReused).toBe(3);

        const size = fs.statSync(file).size;
        const mtime = fs.statSync(file, { bigint: true }).mtimeNs;
        const db = new Database(file);
        db.prepare('UPDATE memories SET importance = 99 WHERE id = 1').run();
        db.close();
        expect(fs.statSync(file).size).toBe(size);
        // Put the mtime back, so only ctime (and for WAL the side file) tells.
        fs.utimesSync(file, Number(mtime / 1000n) / 1e6, Number(mtime / 1000n) / 1e6);
        const changed = await captureAgent(repo, { dir: fx.dir, now: later });
        expect(changed.stats.databasesRead).toBe(1);
        expect(changed.stats.databasesReused).toBe(2);
        expect(await read(changed.snapshot.id)).toBe(99);

        if (mode === 'wal') {
          // A change still sitting in the WAL (connection open, no checkpoint) is captured too.
          const writer = new Database(file);
          writer.pragma('wal_autocheckpoint = 0');
          writer.prepare('UPDATE memories SET importance = 98 WHERE id = 1').run();
          const pending = await captureAgent(repo, { dir: fx.dir, now: later });
          expect(pending.stats.databasesRead).toBe(1);
          expect(await read(pending.snapshot.id)).toBe(98);
          writer.prepare('UPDATE memories SET importance = 97 WHERE id = 1').run();
          const again = await captureAgent(repo, { dir: fx.dir, now: later });
          expect(await read(again.snapshot.id)).toBe(97);
          writer.close();
        }
      } finally {
        await repo.close();
      }
    });
  }
});

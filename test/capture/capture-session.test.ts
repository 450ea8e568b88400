/**
 * Captures through a session (change journal + store memory) record exactly what a
 * one-off capture records, whatever happened to the directory between captures, and
 * list only the directories that changed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { CaptureSession, captureAgent, type CaptureOptions, type CaptureResult } from '../../src/capture/index.js';
import { ConflictError, InvalidArgumentError } from '../../src/errors/index.js';
import type { ContentId } from '../../src/hash/index.js';
import { Repository } from '../../src/snapshot/index.js';
import { createRandom, type SeededRandom } from '../helpers/seeded-random.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs('memsnap-session-');
const sessions: CaptureSession[] = [];
afterEach(() => {
  for (const s of sessions.splice(0)) s.close();
});

function startSession(dir: string, options: Parameters<typeof CaptureSession.start>[1] = {}): CaptureSession {
  const s = CaptureSession.start(dir, options);
  sessions.push(s);
  return s;
}

async function memdirTree(repo: Repository, r: CaptureResult): Promise<ContentId> {
  return (await repo.readSnapshot(r.snapshot.id)).sources.memdir.tree;
}

/** Random edits to a directory tree: files, directories, renames, replacements, modes, links. */
class Mutator {
  private readonly rnd: SeededRandom;
  constructor(private readonly root: string, seed: number) {
    this.rnd = createRandom(seed);
  }

  private all(kind: 'file' | 'dir'): string[] {
    const out: string[] = [];
    const walk = (rel: string): void => {
      for (const e of fs.readdirSync(path.join(this.root, rel), { withFileTypes: true })) {
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) {
          if (kind === 'dir') out.push(r);
          walk(r);
        } else if (kind === 'file' && e.isFile()) out.push(r);
      }
    };
    walk('');
    return out.sort();
  }

  private pick<T>(xs: readonly T[]): T | undefined {
    return xs.length === 0 ? undefined : xs[this.rnd.nextInt(xs.length)];
  }

  private abs(rel: string): string {
    return path.join(this.root, rel);
  }

  private newName(): string {
    return `n${this.rnd.nextInt(1000)}`;
  }

  /** One random edit; returns a description. */
  step(): string {
    const dirs = ['', ...this.all('dir')];
    const files = this.all('file');
    const op = this.rnd.nextInt(13);
    const dir = this.pick(dirs)!;
    const inDir = (name: string) => (dir ? `${dir}/${name}` : name);
    switch (op) {
      case 0:
      case 1: {
        const rel = inDir(`${this.newName()}.md`);
        if (fs.existsSync(this.abs(rel))) return 'skip';
        fs.writeFileSync(this.abs(rel), this.rnd.bytes(1 + this.rnd.nextInt(3000)));
        return `create ${rel}`;
      }
      case 2:
      case 3: {
        const f = this.pick(files);
        if (!f) return 'skip';
        // Same size, new bytes: only content (and mtime) differ.
        const size = fs.statSync(this.abs(f)).size;
        fs.writeFileSync(this.abs(f), this.rnd.bytes(size));
        return `rewrite ${f}`;
      }
      case 4: {
        const f = this.pick(files);
        if (!f) return 'skip';
        fs.rmSync(this.abs(f));
        return `delete ${f}`;
      }
      case 5: {
        const rel = inDir(this.newName());
        if (fs.existsSync(this.abs(rel))) return 'skip';
        fs.mkdirSync(this.abs(rel));
        if (this.rnd.nextInt(2) === 0) fs.writeFileSync(path.join(this.abs(rel), 'inside.txt'), this.rnd.bytes(100));
        return `mkdir ${rel}`;
      }
      case 6: {
        const d = this.pick(dirs.filter((x) => x !== ''));
        if (!d) return 'skip';
        const to = `${this.newName()}-moved`;
        if (fs.existsSync(this.abs(to))) return 'skip';
        fs.renameSync(this.abs(d), this.abs(to));
        return `move ${d} -> ${to}`;
      }
      case 7: {
        // The same name, another directory (another inode), with other content.
        const d = this.pick(dirs.filter((x) => x !== ''));
        if (!d) return 'skip';
        fs.rmSync(this.abs(d), { recursive: true });
        fs.mkdirSync(this.abs(d));
        fs.writeFileSync(path.join(this.abs(d), 'replaced.txt'), this.rnd.bytes(50));
        return `replace dir ${d}`;
      }
      case 8: {
        const f = this.pick(files);
        if (!f) return 'skip';
        fs.chmodSync(this.abs(f), this.rnd.nextInt(2) === 0 ? 0o600 : 0o644);
        return `chmod ${f}`;
      }
      case 10: {
        // A file moves to another directory.
        const f = this.pick(files);
        const to = inDir(this.newName());
        if (!f || fs.existsSync(this.abs(to))) return 'skip';
        fs.renameSync(this.abs(f), this.abs(to));
        return `move file ${f} -> ${to}`;
      }
      case 11: {
        // A directory moves into another one (not into itself).
        const d = this.pick(dirs.filter((x) => x !== ''));
        const into = this.pick(dirs.filter((x) => d && x !== d && !x.startsWith(`${d}/`)));
        if (!d || into === undefined) return 'skip';
        const to = into ? `${into}/${this.newName()}` : this.newName();
        if (fs.existsSync(this.abs(to))) return 'skip';
        fs.renameSync(this.abs(d), this.abs(to));
        return `move dir ${d} -> ${to}`;
      }
      case 12: {
        // A file turns into a directory of the same name.
        const f = this.pick(files);
        if (!f) return 'skip';
        fs.rmSync(this.abs(f));
        fs.mkdirSync(this.abs(f));
        fs.writeFileSync(path.join(this.abs(f), 'was-a-file.txt'), this.rnd.bytes(20));
        return `file to dir ${f}`;
      }
      default: {
        const rel = inDir(`${this.newName()}.link`);
        if (fs.existsSync(this.abs(rel)) || fs.lstatSync(path.dirname(this.abs(rel)), { throwIfNoEntry: false }) === undefined) return 'skip';
        fs.symlinkSync(`target-${this.rnd.nextInt(10)}`, this.abs(rel));
        return `symlink ${rel}`;
      }
    }
  }
}

function seedTree(root: string): void {
  for (const d of ['notes', 'notes/daily', 'notes/daily/2026', 'state', 'empty']) fs.mkdirSync(path.join(root, d), { recursive: true });
  for (let i = 0; i < 12; i++) fs.writeFileSync(path.join(root, i % 2 ? 'notes' : 'notes/daily/2026', `f${i}.md`), `note ${i}\n`.repeat(i + 1));
  fs.writeFileSync(path.join(root, 'state', 'cursor.json'), '{"at":1}');
}

describe('capture sessions', () => {
  const seeds = (process.env['SESSION_SEEDS'] ?? '7,8,9').split(',').map(Number);
  it.each(seeds)('record the same trees as one-off captures through random edits, listing only changed directories (seed %i)', async (seed) => {
    const root = tempDir();
    const dir = path.join(root, 'agent');
    fs.mkdirSync(dir);
    seedTree(dir);
    const watched = await Repository.init(path.join(root, 'watched'));
    const plain = await Repository.init(path.join(root, 'plain'));
    const session = startSession(dir, { journal: { fullWalkEveryMs: Infinity } });
    const options: CaptureOptions = { dir, agent: 'a', git: false };
    const mutator = new Mutator(dir, seed);
    let listedBySession = 0;
    let listedByOneOff = 0;
    try {
      for (let round = 0; round < 40; round++) {
        const done: string[] = [];
        for (let k = 0; k < 1 + (round % 3); k++) done.push(mutator.step());
        const viaSession = await captureAgent(watched, { ...options, session });
        const oneOff = await captureAgent(plain, options);
        if (process.env['DEBUG_SESSION'] && (await memdirTree(watched, viaSession)) !== (await memdirTree(plain, oneOff))) {
          const list = async (repo: Repository, tree: ContentId, prefix = ''): Promise<string[]> => {
            const out: string[] = [];
            for (const e of await repo.readTree(tree)) {
              out.push(`${prefix}${e.name} ${e.kind} ${e.mode} ${e.mtimeNs} ${JSON.stringify(e.content ?? e.target ?? '')}`);
              if (e.kind === 'dir') out.push(...(await list(repo, e.tree!, `${prefix}${e.name}/`)));
            }
            return out;
          };
          const a = await list(watched, await memdirTree(watched, viaSession));
          const b = await list(plain, await memdirTree(plain, oneOff));
          console.log('only session:', a.filter((x) => !b.includes(x)), 'only one-off:', b.filter((x) => !a.includes(x)));
        }
        expect(await memdirTree(watched, viaSession), `round ${round}: ${done.join('; ')}`).toBe(await memdirTree(plain, oneOff));
        expect(viaSession.snapshot.bytes).toBe(oneOff.snapshot.bytes);
        if (round > 0) {
          listedBySession += viaSession.stats.dirsListed;
          listedByOneOff += oneOff.stats.dirsListed;
        }
      }
    } finally {
      watched.close();
      plain.close();
    }
    // After the first (full) walk, captures list only what changed: far fewer directories.
    expect(listedBySession).toBeLessThan(listedByOneOff / 2);
  });

  it('lists only the changed directory and reads only the changed file', async () => {
    const root = tempDir();
    const dir = path.join(root, 'agent');
    fs.mkdirSync(dir);
    seedTree(dir);
    const repo = await Repository.init(path.join(root, 'store'));
    const session = startSession(dir);
    try {
      const first = await captureAgent(repo, { dir, git: false, session, racyWindowMs: 0 });
      expect(first.stats.dirsListed).toBe(6);
      fs.writeFileSync(path.join(dir, 'notes', 'daily', '2026', 'f0.md'), 'changed\n');
      const second = await captureAgent(repo, { dir, git: false, session, racyWindowMs: 0 });
      expect(second.stats.dirsListed).toBe(1);
      expect(second.stats.filesRead).toBe(1);
      const third = await captureAgent(repo, { dir, git: false, session, racyWindowMs: 0 });
      expect(third.stats.dirsListed).toBe(0);
      expect(third.stats.filesRead).toBe(0);
      expect(await memdirTree(repo, third)).toBe(await memdirTree(repo, second));
    } finally {
      repo.close();
    }
  });

  it('walks everything again after a burst, when a full walk is due, and after a failed capture', async () => {
    const root = tempDir();
    const dir = path.join(root, 'agent');
    fs.mkdirSync(dir);
    seedTree(dir);
    const repo = await Repository.init(path.join(root, 'store'));
    let clock = 0;
    const session = startSession(dir, { journal: { burstLimit: 3, fullWalkEveryMs: 1000, now: () => clock } });
    const capture = (extra: Partial<CaptureOptions> = {}) => captureAgent(repo, { dir, git: false, session, ...extra });
    try {
      await capture();
      fs.writeFileSync(path.join(dir, 'notes', 'a.md'), 'a');
      expect((await capture()).stats.dirsListed).toBe(1);
      // Many notifications at once: the kernel queue may have overflowed.
      for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(dir, 'state', `s${i}.json`), '{}');
      expect((await capture()).stats.dirsListed).toBe(6);
      expect((await capture()).stats.dirsListed).toBe(0);
      clock += 1000;
      expect((await capture()).stats.dirsListed).toBe(6);
      // A capture that fails after the scan: its changes are not lost.
      fs.writeFileSync(path.join(dir, 'notes', 'b.md'), 'b');
      await expect(capture({ expectedParent: null })).rejects.toBeInstanceOf(ConflictError);
      const after = await capture();
      const plain = await captureAgent(repo, { dir, git: false, agent: 'check' });
      expect((await repo.readSnapshot(after.snapshot.id)).sources.memdir.tree).toBe((await repo.readSnapshot(plain.snapshot.id)).sources.memdir.tree);
    } finally {
      repo.close();
    }
  });

  it('reloads the store caches when another writer moved the head, and still captures exactly', async () => {
    const root = tempDir();
    const dir = path.join(root, 'agent');
    fs.mkdirSync(dir);
    seedTree(dir);
    const db = new Database(path.join(dir, 'memory.db'));
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE m (id INTEGER PRIMARY KEY, body TEXT)');
    const insert = db.prepare('INSERT INTO m (body) VALUES (?)');
    for (let i = 0; i < 500; i++) insert.run(`memory ${i} `.repeat(20));
    const storeDir = path.join(root, 'store');
    const repo = await Repository.init(storeDir);
    const other = await Repository.open(storeDir);
    const session = startSession(dir);
    try {
      await captureAgent(repo, { dir, agent: 'a', git: false, session });
      for (let i = 0; i < 50; i++) insert.run(`more ${i}`);
      fs.writeFileSync(path.join(dir, 'notes', 'x.md'), 'x');
      const byOther = await captureAgent(other, { dir, agent: 'a', git: false });
      for (let i = 0; i < 50; i++) insert.run(`even more ${i}`);
      const mine = await captureAgent(repo, { dir, agent: 'a', git: false, session });
      expect(mine.snapshot.parent).toBe(byOther.snapshot.id);
      expect(mine.stats.databasesIncremental).toBe(1);
      const check = await captureAgent(other, { dir, agent: 'check', git: false });
      expect((await repo.readSnapshot(mine.snapshot.id)).sources.memdir.tree).toBe((await other.readSnapshot(check.snapshot.id)).sources.memdir.tree);
    } finally {
      db.close();
      repo.close();
      other.close();
    }
  });

  it('follow databases and their side files: written, deleted with the WAL left behind, replaced by a plain file', async () => {
    const root = tempDir();
    const dir = path.join(root, 'agent');
    fs.mkdirSync(path.join(dir, 'db'), { recursive: true });
    const watched = await Repository.init(path.join(root, 'watched'));
    const plain = await Repository.init(path.join(root, 'plain'));
    const session = startSession(dir);
    const file = path.join(dir, 'db', 'memory.db');
    // Opening a database whose WAL is gone makes SQLite create (and at close delete) side
    // files, which moves the directory's mtime between the two captures: compare everything
    // but directory mtimes.
    const listing = async (repo: Repository, tree: ContentId, prefix = ''): Promise<string[]> => {
      const out: string[] = [];
      for (const e of await repo.readTree(tree)) {
        const { mtimeNs, tree: sub, ...rest } = e;
        out.push(JSON.stringify({ path: prefix + e.name, ...rest, ...(e.kind === 'dir' ? {} : { mtimeNs }) }));
        if (sub) out.push(...(await listing(repo, sub, `${prefix}${e.name}/`)));
      }
      return out;
    };
    const same = async (step: string): Promise<void> => {
      const a = await captureAgent(watched, { dir, agent: 'a', git: false, session });
      const b = await captureAgent(plain, { dir, agent: 'a', git: false });
      expect(await listing(watched, await memdirTree(watched, a)), step).toEqual(await listing(plain, await memdirTree(plain, b)));
    };
    try {
      const db = new Database(file);
      db.pragma('journal_mode = WAL');
      db.exec('CREATE TABLE t (x TEXT)');
      await same('created');
      for (let i = 0; i < 100; i++) db.prepare('INSERT INTO t VALUES (?)').run(`row ${i}`);
      await same('written, WAL open');
      // A copy of the WAL survives the database: without its database it is a plain file.
      fs.copyFileSync(`${file}-wal`, path.join(root, 'saved-wal'));
      db.close();
      await same('closed (checkpointed)');
      fs.rmSync(file);
      fs.copyFileSync(path.join(root, 'saved-wal'), `${file}-wal`);
      await same('database gone, WAL left');
      fs.writeFileSync(file, 'not a database any more\n');
      await same('replaced by a plain file');
      fs.writeFileSync(path.join(dir, 'db', 'other.txt'), 'x');
      await same('a neighbour added');
      // A rollback-mode database beside a stray file named like its side file, then the database goes.
      const second = path.join(dir, 'db', 'second.db');
      const rollback = new Database(second);
      rollback.exec('CREATE TABLE u (y TEXT); INSERT INTO u VALUES (1)');
      rollback.close();
      fs.writeFileSync(`${second}-shm`, 'a stray file');
      await same('database with a stray side file');
      fs.rmSync(second);
      await same('database gone, stray side file stays');
    } finally {
      watched.close();
      plain.close();
    }
  });

  it('skipIfUnchanged commits nothing when every source is as in the parent', async () => {
    const root = tempDir();
    const dir = path.join(root, 'agent');
    fs.mkdirSync(dir);
    seedTree(dir);
    const repo = await Repository.init(path.join(root, 'store'));
    try {
      const first = await captureAgent(repo, { dir, agent: 'a', git: false });
      const again = await captureAgent(repo, { dir, agent: 'a', git: false, skipIfUnchanged: true });
      expect(again.unchanged).toBe(true);
      expect(again.snapshot.id).toBe(first.snapshot.id);
      expect(repo.catalog.list({ agent: 'a' })).toHaveLength(1);
      fs.writeFileSync(path.join(dir, 'notes', 'f1.md'), 'changed');
      const changed = await captureAgent(repo, { dir, agent: 'a', git: false, skipIfUnchanged: true });
      expect(changed.unchanged).toBe(false);
      expect(changed.snapshot.parent).toBe(first.snapshot.id);
      expect(first.unchanged).toBe(false);
    } finally {
      repo.close();
    }
  });

  it('takes a file as a database only when it is whole pages with the SQLite header', async () => {
    const root = tempDir();
    const dir = path.join(root, 'agent');
    fs.mkdirSync(dir);
    const db = new Database(path.join(dir, 'real.db'));
    db.exec('CREATE TABLE t (x)');
    db.close();
    const header = Buffer.from('SQLite format 3\0', 'latin1');
    fs.writeFileSync(path.join(dir, 'odd-size.db'), Buffer.concat([header, Buffer.alloc(1000, 7)]));
    const repo = await Repository.init(path.join(root, 'store'));
    try {
      const r = await captureAgent(repo, { dir, git: false });
      const kinds = Object.fromEntries((await repo.readTree(await memdirTree(repo, r))).map((e) => [e.name, e.kind]));
      expect(kinds).toEqual({ 'odd-size.db': 'file', 'real.db': 'sqlite' });
    } finally {
      repo.close();
    }
  });

  it('refuses a session of another directory or a closed one', async () => {
    const root = tempDir();
    const dir = path.join(root, 'agent');
    const elsewhere = path.join(root, 'elsewhere');
    fs.mkdirSync(dir);
    fs.mkdirSync(elsewhere);
    const repo = await Repository.init(path.join(root, 'store'));
    const session = startSession(elsewhere);
    try {
      await expect(captureAgent(repo, { dir, git: false, session })).rejects.toBeInstanceOf(InvalidArgumentError);
      session.close();
      await expect(captureAgent(repo, { dir: elsewhere, git: false, session })).rejects.toThrow(/closed/);
    } finally {
      repo.close();
    }
  });
});

describe('ChangeJournal.take', () => {
  it('sees a change made just before it, even when called from inside the poll phase', async () => {
    const root = tempDir();
    fs.mkdirSync(path.join(root, 'a'));
    const { ChangeJournal } = await import('../../src/capture/index.js');
    const journal = ChangeJournal.start(root);
    try {
      journal.watch('a');
      await journal.take();
      journal.walkedFully();
      // Continue inside a thread-pool completion (poll phase), as a capture after an async write does.
      await fs.promises.writeFile(path.join(root, 'scratch-outside'), 'x').catch(() => undefined);
      await new Promise<void>((resolve) => fs.stat(root, () => resolve()));
      fs.writeFileSync(path.join(root, 'a', 'new.md'), 'new');
      const take = await journal.take();
      expect(take?.dirty.get('a')).toEqual(new Set(['new.md']));
    } finally {
      journal.close();
    }
  });
});

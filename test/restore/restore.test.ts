/**
 * Restore modes and their promises: a new directory appears whole or not at all (no temp
 * directories left behind), a non-empty target needs `inPlace`, in-place restores take a
 * pre-operation snapshot first, partial restores (globs, one database) and state-only
 * restores touch nothing else, and no restore writes outside its target, even through a
 * symlink planted where the snapshot has a directory.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { AgentFields, JsonFileStateProvider, captureAgent } from '../../src/capture/index.js';
import { packKey, payloadOffset, sharedVerifyPool } from '../../src/cas/index.js';
import { CorruptChunkError, InvalidArgumentError, NotFoundError } from '../../src/errors/index.js';
import type { ContentId } from '../../src/hash/index.js';
import { restoreSnapshot } from '../../src/restore/index.js';
import { Repository, contentChunks, type TreeEntry } from '../../src/snapshot/index.js';
import { createAgentFixture, databaseRows, describeTree, integrityCheck, type AgentFixture } from '../helpers/agent-fixture.js';
import { pseudoRandomBytes } from '../helpers/deterministic-bytes.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs('memsnap-restore-');
const SIDE = /(-wal|-shm|-journal)$/;
const noSide = { skip: (rel: string) => SIDE.test(rel) };

interface Setup {
  root: string;
  fx: AgentFixture;
  storeDir: string;
  repo: Repository;
  snapshot: ContentId;
}

async function setup(seed: number): Promise<Setup> {
  const root = tempDir();
  const fx = createAgentFixture(root, { seed, git: false });
  fs.writeFileSync(path.join(fx.dir, 'zz-last.md'), `the last file restored, unique to seed ${seed}\n`.repeat(50));
  const storeDir = path.join(root, 'store');
  const repo = await Repository.init(storeDir, { durable: false });
  const snapshot = (await captureAgent(repo, { dir: fx.dir })).snapshot.id;
  return { root, fx, storeDir, repo, snapshot };
}

async function entryAt(repo: Repository, snapshot: ContentId, rel: string): Promise<TreeEntry> {
  let tree = (await repo.readSnapshot(snapshot)).sources.memdir.tree;
  const parts = rel.split('/');
  for (const [i, name] of parts.entries()) {
    const e = (await repo.readTree(tree)).find((x) => x.name === name)!;
    if (i === parts.length - 1) return e;
    tree = e.tree!;
  }
  throw new Error('unreachable');
}

/** Flips a byte in the middle of a chunk's stored payload. */
function corruptChunk(storeDir: string, repo: Repository, id: ContentId): void {
  const loc = repo.chunks.locate(id)!;
  const file = path.join(storeDir, ...packKey(loc.pack).split('/'));
  const fd = fs.openSync(file, 'r+');
  const at = payloadOffset(loc) + (loc.storedLength >> 1);
  const b = Buffer.alloc(1);
  fs.readSync(fd, b, 0, 1, at);
  b[0] = b[0]! ^ 0xff;
  fs.writeSync(fd, b, 0, 1, at);
  fs.closeSync(fd);
}

function leftovers(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => n.includes('memsnap'));
}

describe('restoreSnapshot', () => {
  it('restores into a new directory whole or not at all', async () => {
    const s = await setup(41);
    const last = await entryAt(s.repo, s.snapshot, 'zz-last.md');
    await s.repo.close();
    const repo = await Repository.open(s.storeDir, { durable: false });
    try {
      corruptChunk(s.storeDir, repo, last.content!.chunks![0]![0]);
      const target = path.join(s.root, 'out', 'restored');
      await expect(restoreSnapshot(repo, { snapshot: s.snapshot, target })).rejects.toThrow(CorruptChunkError);
      expect(fs.existsSync(target)).toBe(false);
      expect(leftovers(path.dirname(target))).toEqual([]);

      // In place, a failed restore leaves the directory exactly as it was.
      const before = describeTree(s.fx.dir, noSide);
      await expect(restoreSnapshot(repo, { snapshot: s.snapshot, target: s.fx.dir, inPlace: true })).rejects.toThrow(CorruptChunkError);
      expect(describeTree(s.fx.dir, noSide)).toEqual(before);
      expect(leftovers(s.root)).toEqual([]);
    } finally {
      await repo.close();
    }
  });

  it('refuses a non-empty target unless asked to restore in place, and accepts an empty one', async () => {
    const s = await setup(42);
    try {
      const busy = path.join(s.root, 'busy');
      fs.mkdirSync(busy);
      fs.writeFileSync(path.join(busy, 'keep.txt'), 'mine');
      const err = await restoreSnapshot(s.repo, { snapshot: s.snapshot, target: busy }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect(fs.readdirSync(busy)).toEqual(['keep.txt']);
      fs.writeFileSync(path.join(s.root, 'a-file'), 'x');
      await expect(restoreSnapshot(s.repo, { snapshot: s.snapshot, target: path.join(s.root, 'a-file') })).rejects.toThrow(InvalidArgumentError);

      const empty = path.join(s.root, 'empty');
      fs.mkdirSync(empty);
      await restoreSnapshot(s.repo, { snapshot: s.snapshot, target: empty });
      expect(describeTree(empty, noSide)).toEqual(describeTree(s.fx.dir, noSide));
      expect(leftovers(s.root)).toEqual([]);
      expect(s.repo.catalog.list({ agent: 'agent' })).toHaveLength(1);
    } finally {
      await s.repo.close();
    }
  });

  it('takes a pre-operation snapshot before an in-place restore, unless told not to', async () => {
    const s = await setup(43);
    try {
      const original = describeTree(s.fx.dir, noSide);
      const note = path.join(s.fx.dir, 'notes', 'people', '0.md');
      fs.writeFileSync(note, 'rewritten after the snapshot');
      fs.writeFileSync(path.join(s.fx.dir, 'new.md'), 'added after the snapshot');
      const modified = describeTree(s.fx.dir, noSide);

      const result = await restoreSnapshot(s.repo, { snapshot: s.snapshot, target: s.fx.dir, inPlace: true });
      expect(describeTree(s.fx.dir, noSide)).toEqual(original);
      expect(result.preSnapshot).toMatchObject({ kind: 'pre-operation', agent: 'agent', parent: s.snapshot });
      expect(s.repo.catalog.head('agent')).toBe(result.preSnapshot!.id);
      expect(leftovers(s.root)).toEqual([]);

      // The pre-operation snapshot holds what the restore replaced.
      const back = path.join(s.root, 'before-restore');
      await restoreSnapshot(s.repo, { snapshot: result.preSnapshot!.id, target: back });
      expect(describeTree(back, noSide)).toEqual(modified);

      fs.writeFileSync(note, 'changed again');
      const count = s.repo.catalog.list({ agent: 'agent' }).length;
      const quiet = await restoreSnapshot(s.repo, { snapshot: s.snapshot, target: s.fx.dir, inPlace: true, preSnapshot: false });
      expect(quiet.preSnapshot).toBeUndefined();
      expect(s.repo.catalog.list({ agent: 'agent' })).toHaveLength(count);
      expect(describeTree(s.fx.dir, noSide)).toEqual(original);
    } finally {
      await s.repo.close();
    }
  });

  it('restores only the files a glob selects and leaves everything else alone', async () => {
    const s = await setup(44);
    try {
      const people = ['notes/people/0.md', 'notes/people/4.md'];
      const original = new Map(people.map((rel) => [rel, fs.readFileSync(path.join(s.fx.dir, rel))]));
      for (const rel of [...people, 'notes/daily/3.md']) fs.writeFileSync(path.join(s.fx.dir, rel), `edited ${rel}`);
      fs.rmSync(path.join(s.fx.dir, 'notes', 'people', '8.md'));
      fs.writeFileSync(path.join(s.fx.dir, 'notes', 'people', 'extra.md'), 'not in the snapshot');
      const untouched = describeTree(s.fx.dir, { skip: (rel) => SIDE.test(rel) || rel.startsWith('notes/people') || rel === 'notes' });

      const result = await restoreSnapshot(s.repo, { snapshot: s.snapshot, target: s.fx.dir, inPlace: true, preSnapshot: false, paths: ['notes/people/*.md'] });
      expect(result.stats.files).toBe(3);
      expect(result.stateRestored).toEqual([]);
      expect(result.fieldsRestored).toBe(false);
      for (const rel of people) expect(fs.readFileSync(path.join(s.fx.dir, rel)).equals(original.get(rel)!)).toBe(true);
      expect(fs.existsSync(path.join(s.fx.dir, 'notes', 'people', '8.md'))).toBe(true);
      expect(fs.readFileSync(path.join(s.fx.dir, 'notes', 'people', 'extra.md'), 'utf8')).toBe('not in the snapshot');
      expect(describeTree(s.fx.dir, { skip: (rel) => SIDE.test(rel) || rel.startsWith('notes/people') || rel === 'notes' })).toEqual(untouched);
      expect(fs.readFileSync(path.join(s.fx.dir, 'notes', 'daily', '3.md'), 'utf8')).toBe('edited notes/daily/3.md');

      await expect(restoreSnapshot(s.repo, { snapshot: s.snapshot, target: s.fx.dir, inPlace: true, preSnapshot: false, paths: ['nothing/*.xyz'] })).rejects.toThrow(NotFoundError);
      // Into a new directory, a partial restore creates just the selected files and their directories.
      const fresh = path.join(s.root, 'partial');
      await restoreSnapshot(s.repo, { snapshot: s.snapshot, target: fresh, paths: ['*.sh'] });
      expect([...describeTree(fresh).keys()]).toEqual(['bin', 'bin/tool.sh']);
      expect(fs.statSync(path.join(fresh, 'bin', 'tool.sh')).mode & 0o777).toBe(0o755);
    } finally {
      await s.repo.close();
    }
  });

  it('restores one database alone, dropping stale side files, and leaves the others alone', async () => {
    const s = await setup(45);
    try {
      const rel = s.fx.databases.rollback;
      const file = path.join(s.fx.dir, rel);
      const want = databaseRows(file);
      const db = new Database(file);
      db.exec('DELETE FROM vectors; DELETE FROM memories;');
      db.close();
      const wal = new Database(path.join(s.fx.dir, s.fx.databases.wal));
      wal.exec(`INSERT INTO concepts (name, weight) VALUES ('after', 1)`);
      wal.close();
      const otherRows = databaseRows(path.join(s.fx.dir, s.fx.databases.wal));
      fs.writeFileSync(`${file}-journal`, 'stale journal that would corrupt the restored image');
      const others = describeTree(s.fx.dir, { skip: (r) => SIDE.test(r) || r === rel || r === 'kb' });

      const result = await restoreSnapshot(s.repo, { snapshot: s.snapshot, target: s.fx.dir, inPlace: true, preSnapshot: false, database: rel });
      expect(result.stats).toMatchObject({ databases: 1, files: 0 });
      expect(fs.existsSync(`${file}-journal`)).toBe(false);
      expect(integrityCheck(file)).toBe('ok');
      expect(databaseRows(file)).toEqual(want);
      expect(databaseRows(path.join(s.fx.dir, s.fx.databases.wal))).toEqual(otherRows);
      expect(describeTree(s.fx.dir, { skip: (r) => SIDE.test(r) || r === rel || r === 'kb' })).toEqual(others);
    } finally {
      await s.repo.close();
    }
  });

  it('restores runtime state and fields only, touching no file', async () => {
    const s = await setup(46);
    try {
      const fields = new AgentFields(s.repo.catalog, 'agent');
      fields.saveAll({ step: 1, plan: ['a', 'b'] });
      const providers = [new JsonFileStateProvider('cursor', s.fx.stateFiles.cursor), new JsonFileStateProvider('dream', s.fx.stateFiles.dream)];
      const cursor = JSON.parse(fs.readFileSync(s.fx.stateFiles.cursor, 'utf8')) as unknown;
      const dream = JSON.parse(fs.readFileSync(s.fx.stateFiles.dream, 'utf8')) as unknown;
      const snap = (await captureAgent(s.repo, { dir: s.fx.dir, stateProviders: providers })).snapshot.id;

      fs.writeFileSync(path.join(s.fx.dir, 'notes', 'people', '0.md'), 'changed after');
      fs.writeFileSync(s.fx.stateFiles.cursor, '{"offset": 0}');
      fs.rmSync(s.fx.stateFiles.dream);
      fields.saveAll({ step: 2 });
      const files = describeTree(s.fx.dir);

      const result = await restoreSnapshot(s.repo, { snapshot: snap, target: s.fx.dir, stateOnly: true, stateProviders: providers });
      expect(result.preSnapshot).toBeUndefined();
      expect(result.stats).toEqual({ files: 0, dirs: 0, symlinks: 0, databases: 0, bytes: 0 });
      expect(result.stateRestored).toEqual(['cursor', 'dream']);
      expect(describeTree(s.fx.dir)).toEqual(files);
      expect(JSON.parse(fs.readFileSync(s.fx.stateFiles.cursor, 'utf8'))).toEqual(cursor);
      expect(JSON.parse(fs.readFileSync(s.fx.stateFiles.dream, 'utf8'))).toEqual(dream);
      expect(fields.loadAll()).toEqual({ plan: ['a', 'b'], step: 1 });

      // A provider with nothing recorded in the snapshot is left untouched and reported; fields: false keeps the store's fields.
      const extra = new JsonFileStateProvider('extra', path.join(s.root, 'state', 'extra.json'));
      fs.writeFileSync(extra.file, '{"x":1}');
      fields.save('step', 3);
      const second = await restoreSnapshot(s.repo, { snapshot: snap, target: s.fx.dir, stateOnly: true, stateProviders: [extra], fields: false });
      expect(second.stateNotRecorded).toEqual(['extra']);
      expect(fs.readFileSync(extra.file, 'utf8')).toBe('{"x":1}');
      expect(fields.load('step')).toBe(3);
    } finally {
      await s.repo.close();
    }
  });

  it('never writes through a symlink planted where the snapshot has a directory or file', async () => {
    const s = await setup(47);
    try {
      const outside = path.join(s.root, 'victim');
      fs.mkdirSync(path.join(outside, 'people'), { recursive: true });
      fs.writeFileSync(path.join(outside, 'people', '0.md'), 'outside, must survive');
      fs.writeFileSync(path.join(outside, 'pinned.md'), 'outside file, must survive');
      const victim = describeTree(outside);

      fs.rmSync(path.join(s.fx.dir, 'notes'), { recursive: true });
      fs.symlinkSync(outside, path.join(s.fx.dir, 'notes'));
      fs.rmSync(path.join(s.fx.dir, 'bin', 'tool.sh'));
      fs.symlinkSync(path.join(outside, 'pinned.md'), path.join(s.fx.dir, 'bin', 'tool.sh'));

      await restoreSnapshot(s.repo, { snapshot: s.snapshot, target: s.fx.dir, inPlace: true, preSnapshot: false, paths: ['notes/**', 'bin/*'] });
      expect(describeTree(outside)).toEqual(victim);
      expect(fs.lstatSync(path.join(s.fx.dir, 'notes')).isDirectory()).toBe(true);
      expect(fs.readFileSync(path.join(s.fx.dir, 'notes', 'people', '0.md'), 'utf8')).not.toBe('outside, must survive');
      expect(fs.lstatSync(path.join(s.fx.dir, 'bin', 'tool.sh')).isFile()).toBe(true);
      expect(fs.readFileSync(path.join(s.fx.dir, 'bin', 'tool.sh'), 'utf8')).toBe('#!/bin/sh\necho remember\n');

      // A whole in-place restore removes the planted links without following them either.
      fs.symlinkSync(outside, path.join(s.fx.dir, 'planted'));
      await restoreSnapshot(s.repo, { snapshot: s.snapshot, target: s.fx.dir, inPlace: true, preSnapshot: false });
      expect(fs.existsSync(path.join(s.fx.dir, 'planted'))).toBe(false);
      expect(describeTree(outside)).toEqual(victim);
    } finally {
      await s.repo.close();
    }
  });

  it('refuses a whole restore over the directory that holds the store', async () => {
    const root = tempDir();
    const fx = createAgentFixture(root, { seed: 48, git: false });
    const storeDir = path.join(fx.dir, '.memsnap');
    const repo = await Repository.init(storeDir, { durable: false });
    try {
      const { snapshot } = await captureAgent(repo, { dir: fx.dir });
      await expect(restoreSnapshot(repo, { snapshot: snapshot.id, target: fx.dir, inPlace: true })).rejects.toThrow(InvalidArgumentError);
      // Also when the target is named through a symlinked parent.
      fs.symlinkSync(root, path.join(path.dirname(root), `${path.basename(root)}-alias`));
      const alias = path.join(`${root}-alias`, 'agent');
      try {
        await expect(restoreSnapshot(repo, { snapshot: snapshot.id, target: alias, inPlace: true })).rejects.toThrow(InvalidArgumentError);
      } finally {
        fs.rmSync(`${root}-alias`);
      }
      expect(fs.existsSync(path.join(storeDir, 'config.json'))).toBe(true);
      // Restoring paths in place is fine: the store is not part of the snapshot and stays.
      fs.writeFileSync(path.join(fx.dir, 'notes', 'pinned.md'), 'changed');
      await restoreSnapshot(repo, { snapshot: snapshot.id, target: fx.dir, inPlace: true, preSnapshot: false, paths: ['**'] });
      expect(fs.readFileSync(path.join(fx.dir, 'notes', 'pinned.md'), 'utf8')).not.toBe('changed');
      expect(fs.existsSync(path.join(storeDir, 'config.json'))).toBe(true);
    } finally {
      await repo.close();
    }
  });

  it('streams a whole restore of large and sparse files exactly, and still names a damaged chunk found on a worker', async () => {
    const root = tempDir();
    const dir = path.join(root, 'agent');
    fs.mkdirSync(path.join(dir, 'deep', 'er'), { recursive: true });
    const big = Buffer.concat(Array.from({ length: 48 }, (_, i) => pseudoRandomBytes(`big${i}`, 65_536)));
    fs.writeFileSync(path.join(dir, 'deep', 'big.bin'), big);
    // Data, a hole, data, and a trailing hole (the size must come back).
    const sparse = Buffer.concat([pseudoRandomBytes('s1', 9000), Buffer.alloc(300_000), pseudoRandomBytes('s2', 5000), Buffer.alloc(200_000)]);
    fs.writeFileSync(path.join(dir, 'deep', 'er', 'sparse.bin'), sparse);
    fs.writeFileSync(path.join(dir, 'empty'), '');
    for (let i = 0; i < 40; i++) fs.writeFileSync(path.join(dir, 'deep', `note-${i}.md`), `note ${i}\n`.repeat(i * 30));
    fs.chmodSync(path.join(dir, 'deep', 'er'), 0o500);
    const storeDir = path.join(root, 'store');
    let repo = await Repository.init(storeDir, { durable: false });
    const snapshot = (await captureAgent(repo, { dir })).snapshot.id;
    const target = path.join(root, 'out');
    await restoreSnapshot(repo, { snapshot, target });
    expect(describeTree(target)).toEqual(describeTree(dir));
    expect(fs.readFileSync(path.join(target, 'deep', 'er', 'sparse.bin')).equals(sparse)).toBe(true);
    fs.chmodSync(path.join(dir, 'deep', 'er'), 0o700);
    fs.chmodSync(path.join(target, 'deep', 'er'), 0o700);

    const entry = await entryAt(repo, snapshot, 'deep/big.bin');
    const ids: ContentId[] = [];
    for await (const [id] of contentChunks((c) => repo.getChunk(c), entry.content!)) ids.push(id);
    const victim = ids[Math.floor(ids.length / 2)]!;
    const loc = repo.chunks.locate(victim)!;
    await repo.close();
    repo = await Repository.open(storeDir, { durable: false });
    try {
      corruptChunk(storeDir, repo, victim);
      expect(await sharedVerifyPool().start()).toBe(true); // the big file's batches go to workers
      const again = path.join(root, 'again');
      const err = await restoreSnapshot(repo, { snapshot, target: again }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CorruptChunkError);
      expect((err as CorruptChunkError).data).toMatchObject({ id: victim, pack: loc.pack, offset: loc.offset });
      expect(fs.existsSync(again)).toBe(false);
      expect(leftovers(root)).toEqual([]);
    } finally {
      await repo.close();
    }
  });
});

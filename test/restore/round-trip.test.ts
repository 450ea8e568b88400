/**
 * Byte-exact round trips of generated agents: capture, restore into a new directory,
 * and compare every file's bytes, mode and mtime (µs), symlinks (never followed, the
 * outside-pointing one kept as a link), empty directories, the git repository, the
 * databases (integrity and rows, no raw -wal/-shm), runtime state and key/value fields.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { AgentFields, JsonFileStateProvider, captureAgent } from '../../src/capture/index.js';
import { restoreSnapshot } from '../../src/restore/index.js';
import { Repository, type TreeEntry } from '../../src/snapshot/index.js';
import type { ContentId } from '../../src/hash/index.js';
import { createAgentFixture, databaseRows, describeTree, git, integrityCheck, mutateAgent, type AgentFixture, type DescribedEntry } from '../helpers/agent-fixture.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs('memsnap-roundtrip-');

const SIDE = /(-wal|-shm|-journal)$/;
const isDb = (fx: AgentFixture, rel: string): boolean => Object.values(fx.databases).includes(rel);

/** Every entry of a snapshot tree by relative path. */
async function flatten(repo: Repository, tree: ContentId, prefix = '', out = new Map<string, TreeEntry>()): Promise<Map<string, TreeEntry>> {
  for (const e of await repo.readTree(tree)) {
    const rel = prefix === '' ? e.name : `${prefix}/${e.name}`;
    out.set(rel, e);
    if (e.kind === 'dir') await flatten(repo, e.tree!, rel, out);
  }
  return out;
}

function expectSameEntries(actual: Map<string, DescribedEntry>, expected: Map<string, DescribedEntry>, byteExact: (rel: string) => boolean): void {
  expect([...actual.keys()]).toEqual([...expected.keys()]);
  for (const [rel, want] of expected) {
    const got = actual.get(rel)!;
    expect({ rel, kind: got.kind, mode: got.mode, mtimeUs: got.mtimeUs, target: got.target }).toEqual({ rel, kind: want.kind, mode: want.mode, mtimeUs: want.mtimeUs, target: want.target });
    if (want.kind === 'file' && byteExact(rel)) expect(got.bytes!.equals(want.bytes!), `bytes of ${rel}`).toBe(true);
  }
}

describe('round trip of a generated agent', () => {
  it('restores files, modes, mtimes, links, empty dirs, git, databases, state and fields exactly', async () => {
    const root = tempDir();
    const fx = createAgentFixture(root, { seed: 7 });
    mutateAgent(fx);
    const repo = await Repository.init(path.join(root, 'store'), { durable: false });
    try {
      // Rows still in the WAL when the capture runs: the image must include them.
      const writer = new Database(path.join(fx.dir, fx.databases.wal));
      writer.pragma('wal_autocheckpoint = 0');
      writer.prepare('INSERT INTO concepts (name, weight) VALUES (?, ?)').run('only-in-the-wal', 42);
      expect(fs.statSync(path.join(fx.dir, `${fx.databases.wal}-wal`)).size).toBeGreaterThan(0);

      const fields = new AgentFields(repo.catalog, 'agent');
      fields.saveAll({ mood: 'curious', counter: 3, nested: { list: [1, 'two', null, true] } });
      const providers = [new JsonFileStateProvider('cursor', fx.stateFiles.cursor), new JsonFileStateProvider('dream', fx.stateFiles.dream)];
      const result = await captureAgent(repo, { dir: fx.dir, stateProviders: providers });
      expect(result.warnings).toEqual([]);

      const expected = describeTree(fx.dir, { skip: (rel) => SIDE.test(rel) });
      const expectedRows = Object.fromEntries(Object.values(fx.databases).map((rel) => [rel, databaseRows(path.join(fx.dir, rel))]));
      writer.close();
      const stateBefore = { cursor: fs.readFileSync(fx.stateFiles.cursor, 'utf8'), dream: fs.readFileSync(fx.stateFiles.dream, 'utf8') };

      // The snapshot records kinds as the scan saw them: side files are not raw files.
      const snapshot = await repo.readSnapshot(result.snapshot.id);
      const entries = await flatten(repo, snapshot.sources.memdir.tree);
      expect([...entries.keys()].filter((rel) => SIDE.test(rel))).toEqual([]);
      for (const rel of Object.values(fx.databases)) expect(entries.get(rel)?.kind).toBe('sqlite');
      expect(entries.get('outside-link')).toMatchObject({ kind: 'symlink', target: '../outside/secret.txt' });
      expect(entries.get('scratch/empty')?.kind).toBe('dir');
      expect(snapshot.sources.memdir.git).toEqual({ head: git(fx.dir, ['rev-parse', 'HEAD']), branch: 'main', dirty: false });
      expect(snapshot.totals).toMatchObject({ databases: 3, symlinks: 2 });

      // Everything the agent and the store hold changes before the restore.
      fs.writeFileSync(fx.stateFiles.cursor, '{"offset":-1}');
      fs.rmSync(fx.stateFiles.dream);
      fields.saveAll({ mood: 'changed' });

      // A restore into a new directory leaves the agent's live fields alone unless asked.
      const plain = await restoreSnapshot(repo, { snapshot: 'agent@latest', target: path.join(root, 'plain') });
      expect(plain.fieldsRestored).toBe(false);
      expect(fields.loadAll()).toEqual({ mood: 'changed' });
      const target = path.join(root, 'restored');
      const restored = await restoreSnapshot(repo, { snapshot: 'agent@latest', target, stateProviders: providers, fields: true });
      expect(restored.stateRestored).toEqual(['cursor', 'dream']);
      expect(restored.stats).toMatchObject({ databases: 3, symlinks: 2 });

      const actual = describeTree(target);
      // The WAL database's file differs from its image (the image holds the WAL's pages); the others are byte-exact.
      expectSameEntries(actual, expected, (rel) => rel !== fx.databases.wal);
      expect(fs.readlinkSync(path.join(target, 'outside-link'))).toBe('../outside/secret.txt');
      expect(fs.readdirSync(path.join(target, 'scratch', 'empty'))).toEqual([]);
      expect([...actual.keys()].filter((rel) => SIDE.test(rel))).toEqual([]);

      for (const rel of Object.values(fx.databases)) {
        expect(integrityCheck(path.join(target, rel)), rel).toBe('ok');
        expect(databaseRows(path.join(target, rel)), rel).toEqual(expectedRows[rel]);
      }
      const walDb = new Database(path.join(target, fx.databases.wal), { readonly: true });
      expect(walDb.prepare(`SELECT weight FROM concepts WHERE name = 'only-in-the-wal'`).pluck().get()).toBe(42);
      expect(walDb.pragma('journal_mode', { simple: true })).toBe('wal');
      walDb.close();

      expect(git(target, ['status', '--porcelain'])).toBe('');
      expect(git(target, ['rev-parse', 'HEAD'])).toBe(git(fx.dir, ['rev-parse', 'HEAD']));
      expect(git(target, ['fsck', '--no-progress'])).toBe('');

      expect(fs.readFileSync(fx.stateFiles.cursor, 'utf8') && JSON.parse(fs.readFileSync(fx.stateFiles.cursor, 'utf8'))).toEqual(JSON.parse(stateBefore.cursor));
      expect(JSON.parse(fs.readFileSync(fx.stateFiles.dream, 'utf8'))).toEqual(JSON.parse(stateBefore.dream));
      expect(fields.loadAll()).toEqual({ counter: 3, mood: 'curious', nested: { list: [1, 'two', null, true] } });
    } finally {
      await repo.close();
    }
  });

  it('restores every snapshot of a multi-turn history to what the directory held then', async () => {
    const root = tempDir();
    const fx = createAgentFixture(root, { seed: 11, notes: 8 });
    const repo = await Repository.init(path.join(root, 'store'), { durable: false });
    try {
      const history: { id: ContentId; files: Map<string, DescribedEntry>; rows: Record<string, Record<string, unknown[]>> }[] = [];
      for (let turn = 0; turn < 4; turn++) {
        if (turn > 0) mutateAgent(fx, 30);
        const { snapshot } = await captureAgent(repo, { dir: fx.dir });
        history.push({
          id: snapshot.id,
          files: describeTree(fx.dir, { skip: (rel) => SIDE.test(rel) || isDb(fx, rel) }),
          rows: Object.fromEntries(Object.values(fx.databases).map((rel) => [rel, databaseRows(path.join(fx.dir, rel))])),
        });
      }
      expect(new Set(history.map((h) => h.id)).size).toBe(4);
      for (const [i, h] of history.entries()) {
        const target = path.join(root, `restored-${i}`);
        await restoreSnapshot(repo, { snapshot: h.id, target });
        expectSameEntries(describeTree(target, { skip: (rel) => isDb(fx, rel) }), h.files, () => true);
        for (const rel of Object.values(fx.databases)) {
          expect(integrityCheck(path.join(target, rel))).toBe('ok');
          expect(databaseRows(path.join(target, rel))).toEqual(h.rows[rel]);
        }
      }
    } finally {
      await repo.close();
    }
  });

  it('keeps a symlink to a directory outside as a link and never reads through it', async () => {
    const root = tempDir();
    const dir = path.join(root, 'agent');
    const outside = path.join(root, 'outside-dir');
    fs.mkdirSync(dir);
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'not part of the agent');
    fs.symlinkSync(outside, path.join(dir, 'abs-link'));
    fs.symlinkSync('does/not/exist', path.join(dir, 'dangling'));
    fs.writeFileSync(path.join(dir, 'note.md'), 'hello');
    const repo = await Repository.init(path.join(root, 'store'), { durable: false });
    try {
      const result = await captureAgent(repo, { dir, git: false });
      expect(result.stats.filesRead).toBe(1);
      const entries = await flatten(repo, (await repo.readSnapshot(result.snapshot.id)).sources.memdir.tree);
      expect([...entries.keys()]).toEqual(['abs-link', 'dangling', 'note.md']);
      expect(entries.get('abs-link')).toMatchObject({ kind: 'symlink', target: outside });
      const target = path.join(root, 'restored');
      await restoreSnapshot(repo, { snapshot: result.snapshot.id, target });
      expect(fs.lstatSync(path.join(target, 'abs-link')).isSymbolicLink()).toBe(true);
      expect(fs.readlinkSync(path.join(target, 'abs-link'))).toBe(outside);
      expect(fs.readlinkSync(path.join(target, 'dangling'))).toBe('does/not/exist');
      expect(fs.readdirSync(outside)).toEqual(['secret.txt']);
    } finally {
      await repo.close();
    }
  });
});

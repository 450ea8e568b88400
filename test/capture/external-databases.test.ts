/**
 * Databases named explicitly outside the agent directory: captured in the same cut as an
 * extra source, reused when unchanged, diffed, verified, and restored to a chosen path or
 * back to where they came from.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { captureAgent } from '../../src/capture/index.js';
import { InvalidArgumentError } from '../../src/errors/index.js';
import { diffSnapshots, verifySnapshots } from '../../src/inspect/index.js';
import { restoreSnapshot } from '../../src/restore/index.js';
import { Repository } from '../../src/snapshot/index.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs('memsnap-extdb-');

function makeDb(file: string, rows: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE IF NOT EXISTS facts (id INTEGER PRIMARY KEY, text TEXT)');
  const insert = db.prepare('INSERT INTO facts (text) VALUES (?)');
  for (let i = 0; i < rows; i++) insert.run(`fact ${i}`);
  db.close();
}

function rowCount(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    return db.prepare('SELECT count(*) FROM facts').pluck().get() as number;
  } finally {
    db.close();
  }
}

describe('external databases', () => {
  it('are captured as extra sources, diffed, verified and restored where asked', async () => {
    const root = tempDir();
    const dir = path.join(root, 'agent');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'notes.md'), 'hello\n');
    const a = path.join(root, 'elsewhere', 'memory.db');
    const b = path.join(root, 'other', 'memory.db');
    makeDb(a, 10);
    makeDb(b, 3);
    const repo = await Repository.init(path.join(root, 'store'));
    try {
      const first = await captureAgent(repo, { dir, agent: 'ext', databases: [a, b], git: false, racyWindowMs: 1 });
      const snap = await repo.readSnapshot(first.snapshot.id);
      expect(snap.sources.databases?.origins).toEqual({ 'memory.db': a, 'memory.db-2': b });
      expect(snap.totals.databases).toBe(2);

      makeDb(a, 5);
      await new Promise((r) => setTimeout(r, 60));
      const second = await captureAgent(repo, { dir, agent: 'ext', databases: [a, b], git: false, racyWindowMs: 1 });
      expect(second.stats.databasesRead).toBe(1);

      const diff = await diffSnapshots(repo, first.snapshot.id, second.snapshot.id);
      expect(diff.paths.map((p) => [p.path, p.change])).toEqual([[a, 'modified']]);
      expect(diff.databases).toEqual([{ path: a, tables: [{ table: 'facts', added: 5, removed: 0, changed: 0 }] }]);
      expect((await verifySnapshots(repo)).ok).toBe(true);

      // A new directory: external databases go only where a target is given.
      const mapped = path.join(root, 'restored-a.db');
      const r1 = await restoreSnapshot(repo, { snapshot: first.snapshot.id, target: path.join(root, 'r1'), databaseTargets: { 'memory.db': mapped } });
      expect(r1.databasesRestored).toEqual([{ name: 'memory.db', path: mapped }]);
      expect(r1.databasesSkipped).toEqual(['memory.db-2']);
      expect(rowCount(mapped)).toBe(10);
      expect(fs.readFileSync(path.join(root, 'r1', 'notes.md'), 'utf8')).toBe('hello\n');

      // Back to their origin, only one of them, by its original path.
      const r2 = await restoreSnapshot(repo, { snapshot: first.snapshot.id, target: path.join(root, 'r2'), database: a, databasesToOrigin: true });
      expect(r2.databasesRestored).toEqual([{ name: 'memory.db', path: a }]);
      expect(rowCount(a)).toBe(10);
      expect(fs.existsSync(path.join(root, 'r2'))).toBe(false);
    } finally {
      await repo.close();
    }
  });

  it('refuses a named path that is not a database, inside or outside the directory', async () => {
    const root = tempDir();
    const dir = path.join(root, 'agent');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'plain.txt'), 'x'.repeat(1000));
    fs.writeFileSync(path.join(root, 'plain.txt'), 'x'.repeat(1000));
    const repo = await Repository.init(path.join(root, 'store'));
    try {
      await expect(captureAgent(repo, { dir, databases: [path.join(dir, 'plain.txt')] })).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(captureAgent(repo, { dir, databases: [path.join(root, 'plain.txt')] })).rejects.toBeInstanceOf(InvalidArgumentError);
      expect(repo.catalog.list()).toEqual([]);
    } finally {
      await repo.close();
    }
  });
});

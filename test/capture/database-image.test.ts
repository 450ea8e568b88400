/**
 * Incremental and direct database capture must give exactly the image SQLite's serialize()
 * gives, whatever happened to the database between captures: every capture here runs with
 * verifyDatabaseImages (which throws on any difference), and restored images are checked.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { captureAgent, decodeDatabaseState } from '../../src/capture/index.js';
import { catFile } from '../../src/inspect/index.js';
import { Repository } from '../../src/snapshot/index.js';
import { createRandom } from '../helpers/seeded-random.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs('memsnap-dbimage-');

type Step = (db: Database.Database, rnd: () => number) => void;

const STEPS: Record<string, Step> = {
  insert: (db, rnd) => {
    const ins = db.prepare('INSERT INTO m (text, blob) VALUES (?, ?)');
    db.transaction(() => {
      for (let i = 0; i < 1 + Math.floor(rnd() * 80); i++) ins.run(`row ${rnd()}`.repeat(1 + Math.floor(rnd() * 20)), Buffer.alloc(Math.floor(rnd() * 3000), Math.floor(rnd() * 256)));
    })();
  },
  update: (db, rnd) => void db.prepare('UPDATE m SET text = ? WHERE id % 7 = ?').run(`updated ${rnd()}`, Math.floor(rnd() * 7)),
  delete: (db, rnd) => void db.prepare('DELETE FROM m WHERE id % 11 = ?').run(Math.floor(rnd() * 11)),
  checkpointPassive: (db) => void db.pragma('wal_checkpoint(PASSIVE)'),
  checkpointTruncate: (db) => void db.pragma('wal_checkpoint(TRUNCATE)'),
  checkpointRestart: (db) => void db.pragma('wal_checkpoint(RESTART)'),
  vacuum: (db) => void db.exec('VACUUM'),
  index: (db, rnd) => void db.exec(rnd() < 0.5 ? 'CREATE INDEX IF NOT EXISTS m_text ON m(text)' : 'DROP INDEX IF EXISTS m_text'),
};

async function run(seed: number, steps: number, persistent: boolean, pageSize: number): Promise<{ ways: string[] }> {
  const random = createRandom(seed);
  const rnd = (): number => random.nextU32() / 2 ** 32;
  const root = tempDir();
  const dir = path.join(root, 'agent');
  fs.mkdirSync(dir);
  const file = path.join(dir, 'mem.db');
  const setup = new Database(file);
  setup.pragma(`page_size = ${pageSize}`);
  setup.pragma('journal_mode = WAL');
  setup.exec('CREATE TABLE m (id INTEGER PRIMARY KEY, text TEXT, blob BLOB)');
  setup.close();
  const repo = await Repository.init(path.join(root, 'store'), { durable: false });
  const ways: string[] = [];
  let db: Database.Database | undefined = persistent ? new Database(file) : undefined;
  try {
    for (let i = 0; i < steps; i++) {
      const names = Object.keys(STEPS);
      const name = names[Math.floor(rnd() * names.length)]!;
      const conn = db ?? new Database(file);
      STEPS[name]!(conn, rnd);
      if (!db) conn.close();
      const r = await captureAgent(repo, { dir, agent: 'a', git: false, racyWindowMs: 0, verifyDatabaseImages: true });
      ways.push(r.stats.databasesIncremental ? 'incremental' : r.stats.databasesRead ? 'full' : 'reused');
      // The stored image is the database: restoring it gives the same rows.
      const parts: Uint8Array[] = [];
      for await (const part of catFile(repo, r.snapshot.id, 'mem.db')) parts.push(part);
      const image = Buffer.concat(parts);
      const copy = path.join(root, `copy-${i}.db`);
      fs.writeFileSync(copy, image);
      const restored = new Database(copy, { readonly: true });
      const live = new Database(file, { readonly: true });
      expect(restored.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(restored.prepare('SELECT count(*), sum(length(text)), sum(length(blob)) FROM m').raw().get()).toEqual(
        live.prepare('SELECT count(*), sum(length(text)), sum(length(blob)) FROM m').raw().get(),
      );
      restored.close();
      live.close();
      fs.rmSync(copy);
    }
  } finally {
    db?.close();
    await repo.close();
  }
  return { ways };
}

describe('database image capture', () => {
  it('stays identical to serialize() through random steps with a persistent writer (incremental path)', async () => {
    const { ways } = await run(101, 40, true, 4096);
    expect(ways).toContain('incremental');
  });

  it('stays identical to serialize() with a writer that closes after every step (direct path)', async () => {
    const { ways } = await run(202, 25, false, 4096);
    expect(ways.filter((w) => w === 'full').length).toBeGreaterThan(0);
  });

  it('handles other page sizes', async () => {
    await run(303, 20, true, 1024);
    await run(404, 12, true, 65536);
  });

  it('remembers a compact state that decodes to the image it describes', async () => {
    const root = tempDir();
    const dir = path.join(root, 'agent');
    fs.mkdirSync(dir);
    const db = new Database(path.join(dir, 'x.db'));
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (v TEXT)');
    db.prepare('INSERT INTO t VALUES (?)').run('x'.repeat(50_000));
    const repo = await Repository.init(path.join(root, 'store'), { durable: false });
    try {
      await captureAgent(repo, { dir, git: false, racyWindowMs: 0 });
      const state = decodeDatabaseState(repo.catalog.loadDatabaseState('agent', 'memdir', 'x.db'));
      expect(state?.mode).toBe('wal');
      expect(state!.chunkPages.reduce((a, n) => a + n, 0)).toBe(state!.nPage);
      expect(state!.nPage).toBe(Number(db.pragma('page_count', { simple: true })));
    } finally {
      db.close();
      await repo.close();
    }
  });

  it('keeps the database state through captures that reuse the directory whole, so the next change is incremental', async () => {
    const root = tempDir();
    const dir = path.join(root, 'agent', 'nested');
    fs.mkdirSync(dir, { recursive: true });
    const db = new Database(path.join(dir, 'x.db'));
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (v TEXT)');
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    for (let i = 0; i < 200; i++) insert.run('x'.repeat(500));
    const repo = await Repository.init(path.join(root, 'store'), { durable: false });
    try {
      const agentDir = path.join(root, 'agent');
      await captureAgent(repo, { dir: agentDir, git: false, racyWindowMs: 0 });
      const still = await captureAgent(repo, { dir: agentDir, git: false, racyWindowMs: 0 });
      expect(still.stats.dirsReused).toBeGreaterThan(0);
      expect(repo.catalog.loadDatabaseState('agent', 'memdir', 'nested/x.db')).toBeDefined();
      insert.run('a new row');
      const next = await captureAgent(repo, { dir: agentDir, git: false, racyWindowMs: 0, verifyDatabaseImages: true });
      expect(next.stats.databasesIncremental).toBe(1);
    } finally {
      db.close();
      await repo.close();
    }
  });
});

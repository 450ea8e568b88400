/**
 * Capture sessions beside retention and garbage collection: a session reuses cached
 * content, database states and list nodes it did not write again, and every snapshot must
 * still verify after older snapshots are forgotten and collected between captures.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { CaptureSession, captureAgent } from '../../src/capture/index.js';
import { collectGarbage, forgetByPolicy } from '../../src/gc/index.js';
import { verifySnapshots } from '../../src/inspect/index.js';
import { Repository } from '../../src/snapshot/index.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs('memsnap-session-gc-');

describe('capture sessions and garbage collection', () => {
  it('keep every snapshot whole while older ones are forgotten and collected between captures', async () => {
    const root = tempDir();
    const dir = path.join(root, 'agent');
    fs.mkdirSync(path.join(dir, 'notes'), { recursive: true });
    const db = new Database(path.join(dir, 'memory.db'));
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE m (id INTEGER PRIMARY KEY, body TEXT)');
    const insert = db.prepare('INSERT INTO m (body) VALUES (?)');
    for (let i = 0; i < 3000; i++) insert.run(`memory ${i} `.repeat(8));
    const repo = await Repository.init(path.join(root, 'store'));
    const session = CaptureSession.start(dir);
    let incremental = 0;
    try {
      for (let turn = 0; turn < 8; turn++) {
        fs.writeFileSync(path.join(dir, 'notes', `turn-${turn}.md`), `turn ${turn}\n`);
        for (let i = 0; i < 20; i++) insert.run(`turn ${turn} row ${i}`);
        db.prepare('UPDATE m SET body = ? WHERE id = ?').run(`changed in ${turn}`, 1 + turn * 97);
        const r = await captureAgent(repo, { dir, agent: 'a', git: false, session });
        incremental += r.stats.databasesIncremental;
        if (turn % 2 === 1) {
          forgetByPolicy(repo, { keepLast: 1 });
          await collectGarbage(repo);
        }
      }
      const report = await verifySnapshots(repo);
      expect(report.damage).toEqual([]);
      expect(repo.catalog.list({ agent: 'a' }).length).toBeGreaterThanOrEqual(1);
      expect(incremental).toBeGreaterThanOrEqual(6);
    } finally {
      session.close();
      db.close();
      await repo.close();
    }
  });

  it('write list nodes again when another writer moved the head and the old snapshot was collected', async () => {
    const root = tempDir();
    const dir = path.join(root, 'agent');
    fs.mkdirSync(dir);
    const file = path.join(dir, 'memory.db');
    const db = new Database(file);
    db.exec('CREATE TABLE m (id INTEGER PRIMARY KEY, body TEXT)');
    const insert = db.prepare('INSERT INTO m (id, body) VALUES (?, ?)');
    db.transaction(() => {
      for (let i = 1; i <= 3000; i++) insert.run(i, `original ${i} `.repeat(8));
    })();
    db.close();
    const saved = path.join(root, 'saved.db');
    fs.copyFileSync(file, saved);
    const storeDir = path.join(root, 'store');
    const repo = await Repository.init(storeDir);
    const other = await Repository.open(storeDir);
    const session = CaptureSession.start(dir);
    try {
      await captureAgent(repo, { dir, agent: 'a', git: false, session }); // A, through the session
      const writer = new Database(file);
      writer.transaction(() => {
        for (let i = 1; i <= 3000; i += 3) writer.prepare('UPDATE m SET body = ? WHERE id = ?').run(`other ${i} `.repeat(8), i);
      })();
      writer.close();
      await captureAgent(other, { dir, agent: 'a', git: false }); // B, by another writer: most pages differ
      forgetByPolicy(other, { keepLast: 1 }); // A is forgotten...
      const gc = await collectGarbage(other); // ...and its list nodes are collected
      expect(gc.chunks.unreferenced).toBeGreaterThan(0);
      fs.copyFileSync(saved, file); // the database is A's bytes again: A's list nodes match again
      await captureAgent(repo, { dir, agent: 'a', git: false, session });
      const report = await verifySnapshots(repo);
      expect(report.damage).toEqual([]);
    } finally {
      session.close();
      await repo.close();
      await other.close();
    }
  });
});

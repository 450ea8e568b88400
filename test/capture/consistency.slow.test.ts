/**
 * One consistent cut while another process writes: a child commits ledger transactions in a
 * tight loop into a WAL-mode and a rollback-mode database inside the agent directory while
 * this process captures again and again. Every snapshot, restored, must pass
 * `PRAGMA integrity_check` and keep every invariant the writer keeps at each commit; the
 * snapshots must also have caught the writer at many different moments. And a capture
 * that meets a database another process holds locked past `busyTimeoutMs` fails with
 * LOCKED and commits nothing.
 * MEMSNAP_CONSISTENCY_MS (default 4000) sets how long the captures run.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { captureAgent } from '../../src/capture/index.js';
import { LockedError } from '../../src/errors/index.js';
import type { ContentId } from '../../src/hash/index.js';
import { restoreSnapshot } from '../../src/restore/index.js';
import { Repository } from '../../src/snapshot/index.js';
import { integrityCheck } from '../helpers/agent-fixture.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs('memsnap-consistency-');
const CHILD = fileURLToPath(new URL('./fixtures/ledger-writer.ts', import.meta.url));
const LOCKER = fileURLToPath(new URL('./fixtures/lock-holder.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUN_MS = Number(process.env['MEMSNAP_CONSISTENCY_MS'] ?? 4000);
const ACCOUNTS = 50;

function createLedger(file: string, journalMode: 'WAL' | 'DELETE'): void {
  const db = new Database(file);
  db.pragma(`journal_mode = ${journalMode}`);
  db.exec(`
    CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL);
    CREATE TABLE transfers (id INTEGER PRIMARY KEY, src INTEGER NOT NULL, dst INTEGER NOT NULL, amount INTEGER NOT NULL);
    CREATE TABLE meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);
    CREATE TABLE padding (id INTEGER PRIMARY KEY, data BLOB NOT NULL);
    INSERT INTO meta VALUES ('transfers', 0), ('moved', 0), ('padding', 0);
  `);
  const add = db.prepare('INSERT INTO accounts (id, balance) VALUES (?, 1000)');
  for (let i = 1; i <= ACCOUNTS; i++) add.run(i);
  db.close();
}

/** The ledger's invariants; returns its transfer count. */
function checkLedger(file: string): number {
  expect(integrityCheck(file), file).toBe('ok');
  const db = new Database(file, { readonly: true });
  try {
    const meta = Object.fromEntries((db.prepare('SELECT k, v FROM meta').raw().all() as [string, number][]).map(([k, v]) => [k, v]));
    expect(db.prepare('SELECT sum(balance) FROM accounts').pluck().get(), file).toBe(ACCOUNTS * 1000);
    expect(db.prepare('SELECT count(*) FROM accounts').pluck().get(), file).toBe(ACCOUNTS);
    expect(db.prepare('SELECT count(*) FROM transfers').pluck().get(), file).toBe(meta['transfers']);
    expect(db.prepare('SELECT coalesce(sum(amount), 0) FROM transfers').pluck().get(), file).toBe(meta['moved']);
    expect(db.prepare('SELECT count(*) FROM padding').pluck().get(), file).toBe(meta['padding']);
    return meta['transfers']!;
  } finally {
    db.close();
  }
}

describe('captures while another process writes', () => {
  it('gives every snapshot a consistent image of WAL and rollback databases', async () => {
    const root = tempDir();
    const dir = path.join(root, 'agent');
    fs.mkdirSync(path.join(dir, 'db'), { recursive: true });
    const files = { wal: path.join(dir, 'ledger.db'), rollback: path.join(dir, 'db', 'ledger-rollback.db') };
    createLedger(files.wal, 'WAL');
    createLedger(files.rollback, 'DELETE');
    fs.writeFileSync(path.join(dir, 'notes.md'), 'an agent with two ledgers\n');
    const stopFile = path.join(root, 'stop');
    const repo = await Repository.init(path.join(root, 'store'), { durable: false });

    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, stopFile, files.wal, files.rollback], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('ready')) resolve();
      });
      child.on('error', reject);
      void exited.then((code) => reject(new Error(`writer exited early (${code}): ${stderr}`)));
    });

    const snapshots: ContentId[] = [];
    try {
      // At least RUN_MS and at least 8 captures (on a loaded machine a capture may wait long for the writer's locks).
      const until = performance.now() + RUN_MS;
      while (performance.now() < until || (snapshots.length < 8 && performance.now() < until + 4 * RUN_MS)) {
        // A long busy timeout: a writer in a tight loop on a loaded machine can starve the read lock for seconds.
        snapshots.push((await captureAgent(repo, { dir, git: false, busyTimeoutMs: 30_000, verifyDatabaseImages: process.env['MEMSNAP_VERIFY_IMAGES'] === '1' })).snapshot.id);
      }
    } finally {
      fs.writeFileSync(stopFile, '');
    }
    const code = await exited;
    expect(code, stderr).toBe(0);
    const { commits } = JSON.parse(stdout) as { commits: number };
    expect(commits).toBeGreaterThan(100);
    expect(snapshots.length).toBeGreaterThanOrEqual(8);

    try {
      const seen = { wal: new Set<number>(), rollback: new Set<number>() };
      for (const [i, id] of snapshots.entries()) {
        const target = path.join(root, 'restored', String(i));
        await restoreSnapshot(repo, { snapshot: id, target, fields: false });
        seen.wal.add(checkLedger(path.join(target, 'ledger.db')));
        seen.rollback.add(checkLedger(path.join(target, 'db', 'ledger-rollback.db')));
        fs.rmSync(target, { recursive: true });
      }
      // The captures really did run while the writer was busy.
      expect(seen.wal.size).toBeGreaterThanOrEqual(Math.min(5, snapshots.length - 1));
      expect(seen.rollback.size).toBeGreaterThanOrEqual(Math.min(5, snapshots.length - 1));
      // And the live databases still hold.
      expect(checkLedger(files.wal)).toBe(commits);
      expect(checkLedger(files.rollback)).toBe(commits);
    } finally {
      await repo.close();
    }
  });

  it('fails with LOCKED and commits nothing while another process holds a rollback database past busyTimeoutMs', async () => {
    const root = tempDir();
    const dir = path.join(root, 'agent');
    fs.mkdirSync(dir);
    const file = path.join(dir, 'ledger.db');
    createLedger(file, 'DELETE');
    const repo = await Repository.init(path.join(root, 'store'), { durable: false });
    const stopFile = path.join(root, 'stop');
    const child = spawn(process.execPath, ['--import', 'tsx', LOCKER, file, stopFile], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      const head = (await captureAgent(repo, { dir, git: false })).snapshot.id;
      await new Promise<void>((resolve, reject) => {
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          if (stderr.includes('locked')) resolve();
        });
        void exited.then((code) => reject(new Error(`lock holder exited early (${code}): ${stderr}`)));
      });
      fs.appendFileSync(path.join(dir, 'note.md'), 'changed while locked');
      const err = await captureAgent(repo, { dir, git: false, busyTimeoutMs: 300 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LockedError);
      expect((err as LockedError).code).toBe('LOCKED');
      expect(repo.catalog.head('agent')).toBe(head);
      expect(repo.catalog.list({ agent: 'agent' })).toHaveLength(1);

      fs.writeFileSync(stopFile, '');
      expect(await exited).toBe(0);
      const after = await captureAgent(repo, { dir, git: false, busyTimeoutMs: 300 });
      expect(after.snapshot.parent).toBe(head);
      const target = path.join(root, 'restored');
      await restoreSnapshot(repo, { snapshot: after.snapshot.id, target });
      const db = new Database(path.join(target, 'ledger.db'), { readonly: true });
      expect(db.prepare(`SELECT v FROM meta WHERE k = 'transfers'`).pluck().get()).toBe(1);
      db.close();
    } finally {
      if (!fs.existsSync(stopFile)) fs.writeFileSync(stopFile, '');
      await exited;
      await repo.close();
    }
  });
});

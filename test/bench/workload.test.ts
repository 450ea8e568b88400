/**
 * The benchmark workload at a tiny scale: the agent generator is deterministic for a seed
 * and builds the described structure (git work tree of nested notes, WAL-mode memory
 * database with its four tables, state files outside the memdir); the turn mutator changes
 * what it says it changes; the change meter sees those changes.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { agentLayout, generateAgent, readCursor, type AgentLayout } from '../../bench/workload/agent-generator.js';
import { ChangeMeter } from '../../bench/workload/change-meter.js';
import { EMBEDDING_DIM } from '../../bench/workload/memory-db.js';
import { listNotes, TurnMutator } from '../../bench/workload/turn-mutator.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const SCALE = 0.02; // 40 notes, 720 memories: room for a full turn's edits
const tempDir = useTempDirs('memsnap-workload-');

/** Every file of the work tree (not .git) with a digest of its bytes. */
function workTreeDigest(memdir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of fs.readdirSync(memdir, { recursive: true, withFileTypes: true })) {
    const abs = path.join(e.parentPath, e.name);
    const rel = path.relative(memdir, abs);
    if (!e.isFile() || rel.startsWith('.git' + path.sep) || rel.startsWith('memory.db')) continue;
    out[rel] = createHash('sha256').update(fs.readFileSync(abs)).digest('hex');
  }
  return out;
}

/** All rows of every table, as a digest (vectors included). */
function databaseDigest(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    const h = createHash('sha256');
    for (const t of ['long_term', 'vectors', 'concepts', 'compactions', 'meta']) h.update(JSON.stringify(db.prepare(`SELECT * FROM ${t} ORDER BY 1`).all(), (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('hex') : v)));
    return h.digest('hex');
  } finally {
    db.close();
  }
}

function count(db: Database.Database, table: string): number {
  return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
}

async function tinyAgent(seed = 7): Promise<AgentLayout> {
  const root = path.join(tempDir(), 'agent');
  await generateAgent(root, { seed, scale: SCALE });
  return agentLayout(root);
}

describe('agent generator', () => {
  it('is deterministic for a seed and differs across seeds', async () => {
    const [a, b, c] = [await tinyAgent(7), await tinyAgent(7), await tinyAgent(8)];
    expect(workTreeDigest(a.memdir)).toEqual(workTreeDigest(b.memdir));
    expect(databaseDigest(a.database)).toBe(databaseDigest(b.database));
    expect(fs.readFileSync(a.stateFiles.cursor, 'utf8')).toBe(fs.readFileSync(b.stateFiles.cursor, 'utf8'));
    const head = (l: AgentLayout): string => execFileSync('git', ['rev-parse', 'HEAD'], { cwd: l.memdir, encoding: 'utf8' });
    expect(head(a)).toBe(head(b));
    expect(workTreeDigest(a.memdir)).not.toEqual(workTreeDigest(c.memdir));
    expect(databaseDigest(a.database)).not.toBe(databaseDigest(c.database));
  });

  it('builds a git memdir of nested notes, a WAL memory database and state files outside', async () => {
    const layout = await tinyAgent();
    const manifest = JSON.parse(fs.readFileSync(layout.manifest, 'utf8')) as { files: number; memories: number };
    expect(fs.statSync(path.join(layout.memdir, '.git')).isDirectory()).toBe(true);
    expect(execFileSync('git', ['status', '--porcelain'], { cwd: layout.memdir, encoding: 'utf8' })).toBe('');
    const notes = listNotes(layout.memdir);
    expect(notes.length).toBe(manifest.files - 2); // README.md and .gitignore besides the notes
    expect(notes.some((p) => p.split(path.sep).length >= 3)).toBe(true);
    expect(notes.every((p) => /\.(md|json)$/.test(p))).toBe(true);
    const text = fs.readFileSync(path.join(layout.memdir, notes[0]!), 'utf8');
    expect(text).toMatch(/^[\x09\x0a\x20-\x7e]+$/); // prose, not random bytes
    const db = new Database(layout.database, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(count(db, 'long_term')).toBe(manifest.memories);
      expect(count(db, 'vectors')).toBe(manifest.memories);
      expect(count(db, 'concepts')).toBeGreaterThan(0);
      expect(count(db, 'compactions')).toBeGreaterThan(0);
      const blob = db.prepare('SELECT embedding FROM vectors LIMIT 1').pluck().get() as Buffer;
      expect(blob.length).toBe(EMBEDDING_DIM * 4);
      const sql = db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'concepts'").pluck().get() as string;
      expect(sql).toContain('WITHOUT ROWID');
      expect(count(db, "sqlite_schema WHERE type = 'index' AND sql IS NOT NULL")).toBeGreaterThanOrEqual(3);
    } finally {
      db.close();
    }
    for (const file of Object.values(layout.stateFiles)) {
      expect(path.relative(layout.memdir, file).startsWith('..')).toBe(true);
      expect(() => JSON.parse(fs.readFileSync(file, 'utf8')) as unknown).not.toThrow();
    }
  });
});

describe('turn mutator', () => {
  it('changes the files, rows and state it reports, commits to git, and the meter sees it', async () => {
    const layout = await tinyAgent();
    const mutator = TurnMutator.open(layout, { compactionEvery: 2 });
    const meter = new ChangeMeter(layout.memdir, layout.database, Object.values(layout.stateFiles));
    try {
      for (let turn = 1; turn <= 3; turn++) {
        const before = workTreeDigest(layout.memdir);
        const db = mutator.database.db;
        const rowsBefore = count(db, 'long_term');
        const headBefore = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: layout.memdir, encoding: 'utf8' }).trim();
        const r = await mutator.turn();
        const after = workTreeDigest(layout.memdir);
        expect(r.turn).toBe(turn);
        for (const p of r.added) expect(before[p] === undefined && after[p] !== undefined).toBe(true);
        for (const p of r.edited) expect(after[p]).not.toBe(before[p]);
        for (const p of r.deleted) expect(after[p]).toBeUndefined();
        const changed = Object.keys({ ...before, ...after }).filter((p) => before[p] !== after[p]).sort();
        expect(changed).toEqual([...r.added, ...r.edited, ...r.deleted].sort());
        expect(r.added.length + r.edited.length + r.deleted.length).toBeGreaterThanOrEqual(21);
        expect(r.deleted.length).toBe(turn === 3 ? 1 : 0);
        expect(r.commit).not.toBe(headBefore);
        expect(execFileSync('git', ['status', '--porcelain'], { cwd: layout.memdir, encoding: 'utf8' })).toBe('');
        expect(r.memoriesInserted).toHaveLength(50);
        expect(count(db, 'long_term')).toBe(rowsBefore + 50 - r.memoriesDeleted.length);
        for (const id of r.memoriesDeleted) expect(db.prepare('SELECT count(*) FROM vectors WHERE memory_id = ?').pluck().get(id)).toBe(0);
        for (const id of r.memoriesUpdated) expect(db.prepare('SELECT updated FROM long_term WHERE id = ?').pluck().get(id)).toBe(r.timeMs);
        expect(r.compaction !== undefined).toBe(turn % 2 === 0);
        expect(readCursor(layout).turn).toBe(turn);
        expect(r.stateFiles).toEqual(turn % 2 === 0 ? ['cursor', 'dream'] : ['cursor']);
        const m = meter.measure();
        for (const p of [...r.added, ...r.edited]) expect(m.files).toContain(p);
        expect(m.files).toContain(layout.stateFiles.cursor);
        expect(m.files.some((p) => p.startsWith('.git'))).toBe(true);
        expect(m.removed).toEqual(r.deleted);
        expect(m.pages).toBeGreaterThan(10);
        expect(m.totalBytesZstd).toBeGreaterThan(0);
        expect(m.totalBytesZstd).toBeLessThan(m.totalBytes);
      }
    } finally {
      mutator.close();
    }
  });

  it('gives the same turn for the same agent', async () => {
    const results = [];
    for (const layout of [await tinyAgent(), await tinyAgent()]) {
      const mutator = TurnMutator.open(layout);
      try {
        results.push(await mutator.turn());
      } finally {
        mutator.close();
      }
      results.push(databaseDigest(layout.database));
    }
    expect(results[0]).toEqual(results[2]);
    expect(results[1]).toBe(results[3]);
  });
});

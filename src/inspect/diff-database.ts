/**
 * Row-level differences of one database between two snapshots: per table, rows added,
 * removed and changed. Both images are written to a private temporary directory and
 * compared with ATTACH; tables with a rowid are matched by rowid, others by whole row.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { contentChunks, type ContentRef, type Repository } from '../snapshot/index.js';

/** Changes of one table. */
export interface TableChange {
  readonly table: string;
  readonly added: number;
  readonly removed: number;
  readonly changed: number;
}

async function writeImage(repo: Repository, content: ContentRef, file: string): Promise<void> {
  const fd = fs.openSync(file, 'w', 0o600);
  try {
    for await (const [id] of contentChunks((cid) => repo.getChunk(cid), content)) fs.writeSync(fd, await repo.getChunk(id));
  } finally {
    fs.closeSync(fd);
  }
}

function tables(db: Database.Database, schema: string): Map<string, boolean> {
  const rows = db.prepare(`SELECT name, sql FROM ${schema}.sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all() as { name: string; sql: string | null }[];
  return new Map(rows.map((r) => [r.name, !/WITHOUT\s+ROWID/i.test(r.sql ?? '')]));
}

const q = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** Tables whose rows differ between images `before` and `after` (either may be absent). */
export async function diffDatabase(repo: Repository, before: ContentRef | undefined, after: ContentRef | undefined): Promise<TableChange[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memsnap-diff-'));
  try {
    const a = path.join(dir, 'a.db');
    const b = path.join(dir, 'b.db');
    if (before) await writeImage(repo, before, a);
    if (after) await writeImage(repo, after, b);
    const db = new Database(':memory:');
    try {
      db.prepare(`ATTACH ? AS a`).run(before ? a : ':memory:');
      db.prepare(`ATTACH ? AS b`).run(after ? b : ':memory:');
      const ta = tables(db, 'a');
      const tb = tables(db, 'b');
      const out: TableChange[] = [];
      for (const name of [...new Set([...ta.keys(), ...tb.keys()])].sort()) {
        const change = tableChange(db, name, ta.get(name), tb.get(name));
        if (change.added || change.removed || change.changed) out.push(change);
      }
      return out;
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function count(db: Database.Database, sql: string): number {
  return db.prepare(sql).pluck().get() as number;
}

function tableChange(db: Database.Database, name: string, inA: boolean | undefined, inB: boolean | undefined): TableChange {
  const t = q(name);
  if (inA === undefined) return { table: name, added: count(db, `SELECT count(*) FROM b.${t}`), removed: 0, changed: 0 };
  if (inB === undefined) return { table: name, added: 0, removed: count(db, `SELECT count(*) FROM a.${t}`), changed: 0 };
  const info = (schema: string) => db.prepare(`SELECT name, pk FROM pragma_table_info(?, ?) ORDER BY cid`).all(name, schema) as { name: string; pk: number }[];
  const colsA = info('a');
  const colsB = info('b');
  if (JSON.stringify(colsA) !== JSON.stringify(colsB)) {
    // Schema changed: every row counts as removed and added.
    return { table: name, added: count(db, `SELECT count(*) FROM b.${t}`), removed: count(db, `SELECT count(*) FROM a.${t}`), changed: 0 };
  }
  // Rows are matched by rowid, or by primary key in WITHOUT ROWID tables.
  const pk = colsA.filter((c) => c.pk > 0).sort((x, y) => x.pk - y.pk).map((c) => q(c.name));
  const key = inA && inB ? ['rowid'] : pk;
  if (key.length === 0) {
    const onlyB = `SELECT * FROM b.${t} EXCEPT SELECT * FROM a.${t}`;
    const onlyA = `SELECT * FROM a.${t} EXCEPT SELECT * FROM b.${t}`;
    return { table: name, added: count(db, `SELECT count(*) FROM (${onlyB})`), removed: count(db, `SELECT count(*) FROM (${onlyA})`), changed: 0 };
  }
  const k = key.join(', ');
  const keyOf = (schema: string) => `SELECT ${k} FROM ${schema}.${t}`;
  const added = count(db, `SELECT count(*) FROM (${keyOf('b')} EXCEPT ${keyOf('a')})`);
  const removed = count(db, `SELECT count(*) FROM (${keyOf('a')} EXCEPT ${keyOf('b')})`);
  const changed = count(db, `SELECT count(*) FROM (SELECT ${k}, * FROM b.${t} WHERE (${k}) IN (${keyOf('a')}) EXCEPT SELECT ${k}, * FROM a.${t})`);
  return { table: name, added, removed, changed };
}

/**
 * Redacting one database image: tables dropped, columns nulled or masked, patterns masked in
 * TEXT values, nothing old left in free pages or unused page space, integrity kept, the
 * journal-mode header bytes kept, same input same bytes, and clear refusals.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors/index.js';
import { redactDatabaseImage, type DatabaseRedaction } from '../../src/export/database-redaction.js';
import { TextMasker } from '../../src/export/text-masker.js';

const MARKER = '[REDACTED]';
const masker = new TextMasker(['SECRET-[A-Z]+-\\d+'], MARKER);

/** A database image with a masked-pattern secret in a live row, one in a deleted row (free pages), and a secret table. */
function image(options: { wal?: boolean } = {}): Buffer {
  const db = new Database(':memory:');
  db.pragma('secure_delete = OFF');
  db.exec(`
    CREATE TABLE memories (id INTEGER PRIMARY KEY, content TEXT NOT NULL, note TEXT, score REAL, raw BLOB);
    CREATE TABLE credentials (k TEXT, v TEXT);
    CREATE TABLE concepts (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
    CREATE INDEX memories_note ON memories(note);`);
  const ins = db.prepare('INSERT INTO memories (content, note, score, raw) VALUES (?, ?, ?, ?)');
  for (let i = 0; i < 300; i++) ins.run(`memory ${i} keep-me-${i} ${'x'.repeat(100)}`, i % 7 === 0 ? `note SECRET-NOTE-${i} end` : `plain note ${i}`, i / 3, Buffer.from([i & 255, 1, 2]));
  for (let i = 0; i < 40; i++) ins.run(`FREEPAGE-QQQ-${i} ${'y'.repeat(300)}`, null, 0, null);
  db.exec(`INSERT INTO credentials VALUES ('api', 'DROPTABLE-QQQ-4242')`);
  db.exec(`INSERT INTO concepts (name) VALUES ('alpha'), ('beta')`);
  db.exec(`DELETE FROM memories WHERE content LIKE 'FREEPAGE-%'`);
  const out = db.serialize();
  db.close();
  if (options.wal) {
    out[18] = 2;
    out[19] = 2;
  }
  return out;
}

const rules = (r: Partial<DatabaseRedaction>): DatabaseRedaction => ({ dropTables: [], columns: [], marker: MARKER, ...r });

function open(bytes: Buffer): Database.Database {
  const copy = Buffer.from(bytes);
  copy[18] = 1;
  copy[19] = 1;
  return new Database(copy);
}

describe('redactDatabaseImage', () => {
  it('precondition: the planted secrets are in the source image, the deleted ones in free space', () => {
    const img = image();
    for (const s of ['SECRET-NOTE-7', 'DROPTABLE-QQQ-4242', 'FREEPAGE-QQQ-3']) expect(img.includes(s), s).toBe(true);
  });

  it('drops tables, masks patterns, and leaves no old byte anywhere in the image', () => {
    const r = redactDatabaseImage(image(), rules({ dropTables: ['CREDENTIALS'], masker }), 'memory.db');
    expect(r.tablesDropped).toEqual(['credentials']);
    expect(r.matches).toBe(43); // ids 0, 7, ..., 294
    for (const s of ['SECRET-', 'DROPTABLE-QQQ', 'FREEPAGE-QQQ', 'credentials']) expect(r.image.includes(s), s).toBe(false);
    expect(r.image.includes('keep-me-299')).toBe(true);
    const db = open(r.image);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('freelist_count', { simple: true })).toBe(0);
    expect(db.prepare(`SELECT note FROM memories WHERE id = 8`).pluck().get()).toBe(`note ${MARKER} end`);
    expect(db.prepare(`SELECT count(*) FROM memories`).pluck().get()).toBe(300);
    expect(db.prepare(`SELECT name FROM sqlite_schema WHERE name = 'credentials'`).get()).toBeUndefined();
    db.close();
  });

  it('nulls and masks columns by the type of each value', () => {
    const r = redactDatabaseImage(image(), rules({ columns: [{ table: 'memories', column: 'note', action: 'null' }, { table: 'Memories', column: 'CONTENT', action: 'mask' }, { table: 'memories', column: 'score', action: 'mask' }, { table: 'memories', column: 'raw', action: 'mask' }] }), 'kb.db');
    expect(r.columnsNulled).toEqual(['memories.note']);
    expect(r.columnsMasked).toEqual(['memories.content', 'memories.score', 'memories.raw']);
    expect([...r.columnsFound].sort()).toEqual(['memories\0content', 'memories\0note', 'memories\0raw', 'memories\0score']);
    expect(r.image.includes('keep-me-')).toBe(false);
    expect(r.image.includes('SECRET-NOTE')).toBe(false);
    const db = open(r.image);
    expect(db.prepare(`SELECT DISTINCT content, note, score, hex(raw) AS raw FROM memories`).all()).toEqual([{ content: MARKER, note: null, score: 0, raw: '' }]);
    db.close();
  });

  it('keeps the WAL-mode header bytes, and gives the same bytes for the same input', () => {
    const a = redactDatabaseImage(image({ wal: true }), rules({ masker }), 'a.db');
    const b = redactDatabaseImage(image({ wal: true }), rules({ masker }), 'a.db');
    expect([a.image[18], a.image[19]]).toEqual([2, 2]);
    expect(a.image.equals(b.image)).toBe(true);
    expect(a.pageSize).toBe(4096);
  });

  it('refuses nulling a NOT NULL column, masking a UNIQUE one into duplicates, and generated columns', () => {
    expect(() => redactDatabaseImage(image(), rules({ columns: [{ table: 'memories', column: 'content', action: 'null' }] }), 'm.db')).toThrow(/database m\.db: nulling memories\.content .*failed: NOT NULL constraint/);
    expect(() => redactDatabaseImage(image(), rules({ columns: [{ table: 'concepts', column: 'name', action: 'mask' }] }), 'm.db')).toThrow(/masking concepts\.name failed: UNIQUE constraint/);
    const db = new Database(':memory:');
    db.exec(`CREATE TABLE g (a TEXT, b TEXT GENERATED ALWAYS AS (upper(a)) VIRTUAL); INSERT INTO g (a) VALUES ('x')`);
    const img = db.serialize();
    db.close();
    expect(() => redactDatabaseImage(img, rules({ columns: [{ table: 'g', column: 'b', action: 'mask' }] }), 'g.db')).toThrow(InvalidArgumentError);
  });

  it('does not let triggers copy old values while they are rewritten, and keeps the triggers', () => {
    const db = new Database(':memory:');
    db.exec(`CREATE TABLE audit (old TEXT);
      CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, owner TEXT);
      CREATE TRIGGER notes_audit AFTER UPDATE ON notes BEGIN INSERT INTO audit VALUES (old.body || ' / ' || coalesce(old.owner, '-')); END;
      INSERT INTO notes (body, owner) VALUES ('has SECRET-TRIG-1 inside', 'OWNER-TRIG-2'), ('plain', 'someone')`);
    const img = db.serialize();
    db.close();
    const r = redactDatabaseImage(img, rules({ columns: [{ table: 'notes', column: 'owner', action: 'null' }], masker }), 't.db');
    expect(r.image.includes('SECRET-TRIG')).toBe(false);
    expect(r.image.includes('OWNER-TRIG')).toBe(false);
    const out = open(r.image);
    expect(out.prepare('SELECT count(*) FROM audit').pluck().get()).toBe(0);
    out.exec(`UPDATE notes SET body = 'x' WHERE id = 2`);
    expect(out.prepare('SELECT old FROM audit').pluck().all()).toEqual(['plain / -']);
    out.close();
  });

  it('refuses a pattern match in the schema that no dropped table removes', () => {
    const db = new Database(':memory:');
    db.exec(`CREATE TABLE t (x TEXT DEFAULT 'SECRET-DEFAULT-1'); CREATE TABLE u (y TEXT); CREATE VIEW v AS SELECT 'SECRET-VIEW-2' AS z`);
    const img = db.serialize();
    db.close();
    expect(() => redactDatabaseImage(img, rules({ masker }), 's.db')).toThrow(/database s\.db: the schema of table t holds a match of maskPatterns.*drop the table with dropTables/);
    expect(() => redactDatabaseImage(img, rules({ dropTables: ['t'], masker }), 's.db')).toThrow(/the schema of view v .*remove the view at the source/);
  });

  it('refuses masking patterns in a database with a virtual (FTS) table, but drops one on request', () => {
    const db = new Database(':memory:');
    db.exec(`CREATE VIRTUAL TABLE docs USING fts5(body); INSERT INTO docs VALUES ('SECRET-FTS-1 text'); CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('ok')`);
    const img = db.serialize();
    db.close();
    expect(() => redactDatabaseImage(img, rules({ masker }), 'f.db')).toThrow(/virtual table docs cannot be masked/);
    const r = redactDatabaseImage(img, rules({ dropTables: ['docs'], masker }), 'f.db');
    expect(r.image.includes('SECRET-FTS')).toBe(false);
    expect(r.image.includes('docs_data')).toBe(false);
  });
});
